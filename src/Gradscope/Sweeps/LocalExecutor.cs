using System.Diagnostics;

namespace Gradscope.Sweeps;

/// <summary>Runs a sweep on this machine: <c>parallel</c> worker processes (<c>gradscope sweep-worker</c>), each running
/// one single-threaded train process at a time, all claiming through the index. Worker logs go to <c>workers/</c>.</summary>
public static class LocalExecutor
{
    /// <summary>Starts the workers, calls <paramref name="progress"/> with the status counts about twice a second, and
    /// returns the final counts once every worker has exited. <paramref name="trainCommand"/> (tests) replaces the
    /// workers' own binary for train runs; it is passed on their command line, never stored in the sweep directory.</summary>
    public static IReadOnlyDictionary<string, int> Run(string sweepDir, GradscopeCommandLine gradscope, int parallel,
        Action<IReadOnlyDictionary<string, int>>? progress = null, CancellationToken cancel = default, GradscopeCommandLine? trainCommand = null)
    {
        if (parallel < 1) throw new ArgumentOutOfRangeException(nameof(parallel), parallel, "parallel must be >= 1");
        sweepDir = Path.GetFullPath(sweepDir);
        var logs = Directory.CreateDirectory(Path.Combine(sweepDir, "workers")).FullName;
        using var index = SweepIndex.Open(Path.Combine(sweepDir, SweepDirectory.IndexFile));
        int n = Math.Min(parallel, Math.Max(1, index.Claimable()));
        var workers = new List<Process>();
        try
        {
            for (int i = 0; i < n; i++)
            {
                var id = $"local-{Environment.ProcessId}-{i}";
                IEnumerable<string> args = ["sweep-worker", sweepDir, "--worker-id", id];
                if (trainCommand is not null) args = args.Append("--train-command").Concat(trainCommand.With());
                workers.Add(GradscopeCommandLine.StartLogged(gradscope.With(args),
                    Path.Combine(logs, id + ".log"), Path.Combine(logs, id + ".log")));
            }
            while (workers.Any(w => !w.HasExited))
            {
                progress?.Invoke(index.Counts());
                if (cancel.IsCancellationRequested) break;
                workers.First(w => !w.HasExited).WaitForExit(500);
            }
        }
        finally
        {
            foreach (var w in workers)
            {
                if (!w.HasExited) { try { w.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
                w.Dispose();
            }
        }
        var counts = index.Counts();
        progress?.Invoke(counts);
        return counts;
    }
}
