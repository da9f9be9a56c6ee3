using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Gradscope.Sweeps;

/// <summary>
/// Claims points through the index and runs each as <c>gradscope train &lt;point&gt;/config.yaml --out &lt;point&gt;/run --threads T</c>
/// (or <c>train --resume &lt;point&gt;/run --threads T</c> when the run holds a checkpoint; a run directory without one is
/// removed and started afresh), renewing its lease while the run lasts, until nothing is claimable (waiting while
/// other workers hold leases) or <c>maxPoints</c> points were handled. Train output goes to &lt;point&gt;/train.out and train.err.
/// What runs is <paramref name="train"/> (by default this process's own gradscope binary,
/// <see cref="GradscopeCommandLine.Current"/>), never a command read from the sweep directory: whoever can write a
/// sweep directory cannot make its workers run anything else.
/// </summary>
public sealed class SweepWorker(string sweepDir, string workerId, GradscopeCommandLine? train = null)
{
    /// <summary>File of final metrics a finished train run leaves in its run directory.</summary>
    public const string FinalFile = "final.json";

    /// <summary>The train run directory of a point directory (<c>&lt;point&gt;/run</c>).</summary>
    public static string RunDirectory(string pointDir) => Path.Combine(pointDir, "run");

    readonly string _dir = Path.GetFullPath(sweepDir);

    /// <summary>Runs the claim loop; returns the number of points this worker completed (done or failed).</summary>
    public int Run(int maxPoints = int.MaxValue, TextWriter? log = null, CancellationToken cancel = default)
    {
        using var index = SweepIndex.Open(Path.Combine(_dir, SweepDirectory.IndexFile));
        var gradscope = train ?? GradscopeCommandLine.Current();
        var threadsText = index.Meta(SweepDirectory.MetaThreads) ?? "1";
        if (!int.TryParse(threadsText, NumberStyles.None, CultureInfo.InvariantCulture, out int t) || t < 1 || t > 4096)
            throw new SweepException($"sweep index '{index.Path}': meta 'threads' must be a whole number from 1 to 4096, got '{threadsText}'");
        var threads = t.ToString(CultureInfo.InvariantCulture);
        var leaseText = index.Meta(SweepDirectory.MetaLease) ?? "30";
        if (!double.TryParse(leaseText, NumberStyles.Float, CultureInfo.InvariantCulture, out double lease) || !double.IsFinite(lease) || lease <= 0 || lease > 86400)
            throw new SweepException($"sweep index '{index.Path}': meta 'lease_seconds' must be seconds in (0, 86400], got '{leaseText}'");
        var host = Environment.MachineName;
        int handled = 0;
        while (handled < maxPoints && !cancel.IsCancellationRequested)
        {
            var claim = index.TryClaim(workerId, Environment.ProcessId, host, lease);
            if (claim is null)
            {
                // Points still leased by others: wait for them to finish or for a dead holder's lease to expire.
                if (index.EarliestLeaseEnd() is not double end) break;
                Thread.Sleep(TimeSpan.FromSeconds(Math.Clamp(end - SweepIndex.Now() + 0.05, 0.05, 0.5)));
                continue;
            }
            handled++;
            var pointDir = Path.Combine(_dir, claim.Directory);
            log?.WriteLine($"{workerId}: point {claim.Index} attempt {claim.Attempt}");
            if (claim.PreviousHost == host && claim.PreviousChildPid is long orphan) StopOrphan((int)orphan, pointDir);

            var runDir = RunDirectory(pointDir);
            var final = Path.Combine(runDir, FinalFile);
            var watch = Stopwatch.StartNew();
            if (claim.Attempt > 1 && Completed(final))
            {
                // The previous holder's run finished but its worker died before recording it.
                index.Complete(claim.Index, workerId, ReadMetrics(final), 0);
                continue;
            }
            bool resume = HasCheckpoint(runDir);
            if (!resume && Directory.Exists(runDir)) Directory.Delete(runDir, recursive: true); // killed before its first checkpoint
            var args = resume
                ? gradscope.With("train", "--resume", runDir, "--threads", threads)
                : gradscope.With("train", Path.Combine(pointDir, "config.yaml"), "--out", runDir, "--threads", threads);
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
            if (child.ExitCode == 0 && Completed(final)) index.Complete(claim.Index, workerId, ReadMetrics(final), wall);
            else if (child.ExitCode == 0) index.Fail(claim.Index, workerId, File.Exists(final)
                ? $"train run ended without completing ({FinalFile}: {File.ReadAllText(final).ReplaceLineEndings(" ")}); a re-run resumes it"
                : $"train exited 0 but wrote no {FinalFile}", wall);
            else index.Fail(claim.Index, workerId, $"train exited with code {child.ExitCode}: {Tail(errPath, 15)}", wall);
        }
        return handled;
    }

    /// <summary>Whether a run directory holds a checkpoint to resume from (<c>checkpoints/latest.json</c>, written by the trainer).</summary>
    public static bool HasCheckpoint(string runDir) => File.Exists(Path.Combine(runDir, "checkpoints", "latest.json"));

    /// <summary>Whether a final metrics file exists and does not report an unfinished run (its "status", when present, is "completed").</summary>
    public static bool Completed(string finalPath)
    {
        if (!File.Exists(finalPath)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(finalPath));
            return !(doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("status", out var st)
                && st.ValueKind == JsonValueKind.String && st.GetString() != "completed");
        }
        catch (JsonException) { return false; }
    }

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
