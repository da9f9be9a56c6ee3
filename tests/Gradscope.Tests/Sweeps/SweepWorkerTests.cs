using System.Diagnostics;
using Gradscope.Sweeps;

namespace Gradscope.Tests.Sweeps;

public class SweepWorkerTests
{
    static string MakeSweep(SweepTestFiles t, string grid, double lease)
    {
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var sweep = SweepFile.Load(t.Write("s.yaml", "base: base.yaml\ngrid:\n" + grid));
        var dir = Path.Combine(t.Root, "out");
        SweepDirectory.CreateOrOpen(sweep, dir, 1, lease).Dispose();
        return dir;
    }

    [Fact]
    public void ConcurrentWorkerProcessesWithOneKilledFinishEveryPointExactlyOnce()
    {
        using var t = new SweepTestFiles();
        var dir = MakeSweep(t, "  model.width: [1, 2, 3, 4, 5, 6]\n  algorithm.eta: [0.1, 0.2]\n", lease: 1.5);
        var cli = SweepTestFiles.Cli();
        var fake = t.FakeTrain(0.4).FileName;
        var workers = Enumerable.Range(0, 3).Select(i => GradscopeCommandLine.StartLogged(
            cli.With("sweep-worker", dir, "--worker-id", $"w{i}", "--train-command", fake), Path.Combine(t.Root, $"w{i}.log"), Path.Combine(t.Root, $"w{i}.log"))).ToList();
        try
        {
            using var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile));
            // Kill w0 (SIGKILL, worker only: its train child is orphaned) while it holds a running point.
            var watch = Stopwatch.StartNew();
            while (!index.Points().Any(p => p.Worker == "w0" && p.Status == PointStatus.Running) && watch.Elapsed < TimeSpan.FromSeconds(20))
                Thread.Sleep(20);
            var held = index.Points().Single(p => p.Worker == "w0" && p.Status == PointStatus.Running).Index;
            workers[0].Kill(entireProcessTree: false);
            workers[0].WaitForExit();
            foreach (var w in workers.Skip(1)) Assert.True(w.WaitForExit(TimeSpan.FromSeconds(40)), "worker did not finish");

            var points = index.Points();
            Assert.All(points, p => Assert.Equal(PointStatus.Done, p.Status));
            Assert.Equal("ok", index.IntegrityCheck());
            var events = index.Events();
            // Exactly one completion per point, and nothing completed by the killed worker after it held `held`.
            Assert.Equal(points.Select(p => p.Index).Order(), events.Where(e => e.Kind == PointStatus.Done).Select(e => e.Index).Order());
            Assert.DoesNotContain(events, e => e.Kind == PointStatus.Done && e.Index == held && e.Worker == "w0");
            Assert.True(points.Single(p => p.Index == held).Attempts >= 2);
            Assert.All(points, p => Assert.Contains("\"test_acc\":0.9", p.Metrics));
        }
        finally
        {
            foreach (var w in workers) { if (!w.HasExited) w.Kill(true); w.Dispose(); }
        }
    }

    [Fact]
    public void FailedPointsRecordTheErrorAndARerunSkipsDonePoints()
    {
        using var t = new SweepTestFiles();
        var dir = MakeSweep(t, "  model.width: [12, 13, 14]\n", lease: 5);
        Assert.Equal(3, new SweepWorker(dir, "a", t.FakeTrain(0.0)).Run());
        using (var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile)))
        {
            var failed = index.Points().Single(p => p.Status == PointStatus.Failed);
            Assert.Equal("13", System.Text.Json.JsonDocument.Parse(failed.Hyperparameters).RootElement.GetProperty("model.width").GetString());
            Assert.Contains("code 3", failed.Error);
            Assert.Contains("width 13 is unlucky", failed.Error);
        }
        // Re-run: only the failed point is retried (it fails again), done points are not re-run.
        var sweep = SweepFile.Load(Path.Combine(t.Root, "s.yaml"));
        using (var index = SweepDirectory.CreateOrOpen(sweep, dir, 1, 5))
            Assert.Equal(1, index.Counts()[PointStatus.Pending]);
        Assert.Equal(1, new SweepWorker(dir, "b", t.FakeTrain(0)).Run());
        using (var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile)))
        {
            Assert.Equal(4, index.Events().Count(e => e.Kind is PointStatus.Done or PointStatus.Failed));
            Assert.Equal(2, index.Points().Count(p => p.Status == PointStatus.Done && p.Attempts == 1));
        }
    }

    [Fact]
    public void APointWithACheckpointIsResumed()
    {
        using var t = new SweepTestFiles();
        var log = Path.Combine(t.Root, "argv.log");
        var script = t.Write("record.sh", $"#!/bin/sh\necho \"$@\" >> {log}\nif [ \"$2\" = \"--resume\" ]; then d=\"$3\"; else d=\"$4\"; mkdir -p \"$d\"; fi\necho '{{}}' > \"$d/final.json\"\n");
        SweepTestFiles.MakeExecutable(script);
        var dir = MakeSweep(t, "  model.width: [1, 2]\n", lease: 5);
        var first = Directory.GetDirectories(Path.Combine(dir, "points")).Order().First();
        var second = Directory.GetDirectories(Path.Combine(dir, "points")).Order().Last();
        // first: a run killed before its first checkpoint (removed and restarted); second: a checkpointed run (resumed).
        Directory.CreateDirectory(Path.Combine(first, "run"));
        File.WriteAllText(Path.Combine(first, "run", "config.yaml"), "stale");
        Directory.CreateDirectory(Path.Combine(second, "run", "checkpoints"));
        File.WriteAllText(Path.Combine(second, "run", "checkpoints", "latest.json"), "{}");
        new SweepWorker(dir, "a", new GradscopeCommandLine(script, [])).Run();
        var lines = File.ReadAllLines(log);
        Assert.Equal($"train {first}/config.yaml --out {first}/run --threads 1", lines[0]);
        Assert.Equal($"train --resume {second}/run --threads 1", lines[1]);
        Assert.False(File.Exists(Path.Combine(first, "run", "config.yaml")));
    }
}
