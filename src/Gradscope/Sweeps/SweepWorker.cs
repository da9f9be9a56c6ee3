using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Gradscope.Sweeps;

/// <summary>
/// Claims points through the index and runs each as <c>gradscope train &lt;point&gt;/config.yaml --out &lt;point&gt; --threads T</c>
/// (or <c>train --resume &lt;point&gt;</c> when the point directory holds a checkpoint), renewing its lease while the run
/// lasts, until nothing is claimable or <c>maxPoints</c> points were handled.
/// </summary>
public sealed class SweepWorker(string sweepDir, string workerId)
{
    /// <summary>File of final metrics a finished train run leaves in its directory.</summary>
    public const string FinalFile = "final.json";

    readonly string _dir = Path.GetFullPath(sweepDir);

    /// <summary>Runs the claim loop; returns the number of points this worker completed (done or failed).</summary>
    public int Run(int maxPoints = int.MaxValue, TextWriter? log = null, CancellationToken cancel = default)
    {
        using var index = SweepIndex.Open(Path.Combine(_dir, SweepDirectory.IndexFile));
        var train = GradscopeCommandLine.FromJson(index.Meta(SweepDirectory.MetaTrainCommand) ?? throw new SweepException("index has no train command"));
        var threads = index.Meta(SweepDirectory.MetaThreads) ?? "1";
        double lease = double.Parse(index.Meta(SweepDirectory.MetaLease) ?? "30", CultureInfo.InvariantCulture);
        var host = Environment.MachineName;
        int handled = 0;
        while (handled < maxPoints && !cancel.IsCancellationRequested)
        {
            var claim = index.TryClaim(workerId, Environment.ProcessId, host, lease);
            if (claim is null)
            {
                // Points still leased by others: wait for them to finish or for a dead holder's lease to expire.
                if (index.EarliestLeaseEnd() is not double end) break;
                Thread.Sleep(TimeSpan.FromSeconds(Math.Clamp(end - SweepIndex.Now() + 0.05, 0.05, lease / 2)));
                continue;
            }
            handled++;
            var pointDir = Path.Combine(_dir, claim.Directory);
            log?.WriteLine($"{workerId}: point {claim.Index} attempt {claim.Attempt}");
            if (claim.PreviousHost == host && claim.PreviousChildPid is long orphan) StopOrphan((int)orphan, pointDir);

            var final = Path.Combine(pointDir, FinalFile);
            var watch = Stopwatch.StartNew();
            if (claim.Attempt > 1 && File.Exists(final))
            {
                // The previous holder's run finished but its worker died before recording it.
                index.Complete(claim.Index, workerId, ReadMetrics(final), 0);
                continue;
            }
            var args = HasCheckpoint(pointDir)
                ? train.With("train", "--resume", pointDir, "--threads", threads)
                : train.With("train", Path.Combine(pointDir, "config.yaml"), "--out", pointDir, "--threads", threads);
            var errPath = Path.Combine(pointDir, "train.err");
            using var child = GradscopeCommandLine.StartLogged(args, Path.Combine(pointDir, "train.out"), errPath);
            index.SetChild(claim.Index, workerId, child.Id);
            bool lost = false;
            while (!child.WaitForExit(TimeSpan.FromSeconds(Math.Max(0.05, lease / 4))))
            {
                if (cancel.IsCancellationRequested || !index.Heartbeat(claim.Index, workerId, lease))
                {
                    lost = true;
                    try { child.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    child.WaitForExit();
                    break;
                }
            }
            if (lost) { log?.WriteLine($"{workerId}: lost point {claim.Index}"); continue; }
            double wall = watch.Elapsed.TotalSeconds;
            if (child.ExitCode == 0 && File.Exists(final)) index.Complete(claim.Index, workerId, ReadMetrics(final), wall);
            else if (child.ExitCode == 0) index.Fail(claim.Index, workerId, $"train exited 0 but wrote no {FinalFile}", wall);
            else index.Fail(claim.Index, workerId, $"train exited with code {child.ExitCode}: {Tail(errPath, 15)}", wall);
        }
        return handled;
    }

    /// <summary>Whether a point directory holds a checkpoint to resume from (a file or folder whose name starts with "checkpoint").</summary>
    public static bool HasCheckpoint(string pointDir) =>
        Directory.Exists(pointDir) && Directory.EnumerateFileSystemEntries(pointDir, "checkpoint*").Any();

    static string ReadMetrics(string path)
    {
        var text = File.ReadAllText(path);
        try { using var _ = JsonDocument.Parse(text); return text; }
        catch (JsonException) { return JsonSerializer.Serialize(new { unparsed = text }); }
    }

    static string Tail(string path, int lines)
    {
        if (!File.Exists(path)) return "(no stderr)";
        var all = File.ReadAllLines(path);
        return string.Join("\n", all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>Stops a train process left running by a dead worker on this host, if the pid still belongs to that point.</summary>
    static void StopOrphan(int pid, string pointDir)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            if (!cmdline.Contains(pointDir, StringComparison.Ordinal)) return;
            using var p = Process.GetProcessById(pid);
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5000);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException) { }
    }
}
