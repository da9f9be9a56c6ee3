using System.Text.Json;
using Gradscope.Sweeps;

namespace Gradscope.Tests.Sweeps;

/// <summary>The sweep CLI with the real trainer: `gradscope sweep` (local executor, 2 workers), `sweep --status`,
/// `rank-measures`, and the refusal of a sweep directory made by another sweep file.</summary>
public class SweepEndToEndTests
{
    static readonly string Base = SweepTestFiles.RealBase();

    static (int Code, string Out, string Err) Cli(params string[] args) => SweepTestFiles.RunCli(null, args);

    [Fact]
    public void SweepTrainsEveryPointWithTheRealTrainerAndRanksItsMeasures()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", Base);
        var sweepPath = t.Write("s.yaml", "base: base.yaml\ngrid:\n  algorithm.eta: [0.05, 0.2]\n  model.mlp.widths: [[4, 3, 1], [4, 8, 1]]\n");
        var dir = Path.Combine(t.Root, "out");

        var run = Cli("sweep", sweepPath, "--out", dir, "--parallel", "2");
        Assert.True(run.Code == 0, $"sweep exit {run.Code}: {run.Out} {run.Err}");
        Assert.Contains("4/4 finished: 4 done", run.Out);     // plain progress lines when redirected
        using (var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile)))
        {
            var points = index.Points();
            Assert.Equal(4, points.Count);
            foreach (var p in points)
            {
                Assert.Equal(PointStatus.Done, p.Status);
                var final = JsonDocument.Parse(p.Metrics!).RootElement;
                Assert.Equal(20, final.GetProperty("steps").GetDouble());
                Assert.InRange(final.GetProperty("test_error").GetDouble(), 0, 1);
                var runDir = SweepWorker.RunDirectory(Path.Combine(dir, p.Directory));
                Assert.True(File.Exists(Path.Combine(runDir, "checkpoints", "latest.json")));
                // The run's config is the point's config: the swept width is in it.
                var widths = JsonDocument.Parse(p.Hyperparameters).RootElement.GetProperty("model.mlp.widths").GetString();
                Assert.Contains("widths: [" + string.Join(", ", JsonSerializer.Deserialize<int[]>(widths!)!) + "]", File.ReadAllText(Path.Combine(runDir, "config.yaml")), StringComparison.Ordinal);
            }
        }

        var status = Cli("sweep", "--status", dir);
        Assert.Equal(0, status.Code);
        Assert.Contains("done     4", status.Out);
        Assert.Contains("4 finished points ran", status.Out);

        // A second run of the same sweep file skips the finished points.
        var again = Cli("sweep", sweepPath, "--out", dir, "--parallel", "2");
        Assert.Equal(0, again.Code);
        using (var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile)))
            Assert.All(index.Points(), p => Assert.Equal(1, p.Attempts));

        // The suite on the reloaded final weights and data reproduces the trainer's own last probe (rho, min margin):
        // so the run's model and data sets were rebuilt exactly.
        var ranked = Gradscope.Sweeps.Ranking.SweepMeasures.Load(dir, new Gradscope.Sweeps.Ranking.MeasureSuiteSource());
        using (var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile)))
            foreach (var p in index.Points())
            {
                var final = JsonDocument.Parse(p.Metrics!).RootElement;
                var m = ranked.Single(r => r.Index == p.Index);
                Assert.Equal(final.GetProperty("rho").GetDouble(), m.Measures["rho"], 1e-9 * final.GetProperty("rho").GetDouble());
                Assert.Equal(final.GetProperty("margin.min").GetDouble(), m.Measures["margin.min"], 1e-9);
                Assert.Equal(final.GetProperty("test_error").GetDouble() - final.GetProperty("train_error").GetDouble(), m.Gap, 15);
                Assert.DoesNotContain("generalization_gap", m.Measures.Keys);
            }

        var rank = Cli("rank-measures", dir);
        Assert.True(rank.Code == 0, $"rank-measures exit {rank.Code}: {rank.Out} {rank.Err}");
        var csv = File.ReadAllLines(Path.Combine(dir, "measure-ranking.csv"));
        Assert.Contains(csv.Skip(1), l => l.StartsWith("rho,4,", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(dir, "measure-ranking.html")));
    }

    [Fact]
    public void AnotherSweepFileIntoTheSameDirectoryIsAClearError()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", Base);
        var a = SweepFile.Load(t.Write("a.yaml", "base: base.yaml\ngrid:\n  algorithm.eta: [0.1]\n"));
        var dir = Path.Combine(t.Root, "out");
        SweepDirectory.CreateOrOpen(a, dir, 1, 30).Dispose();
        var b = t.Write("b.yaml", "base: base.yaml\ngrid:\n  algorithm.eta: [0.3]\n");
        var r = Cli("sweep", b, "--out", dir);
        Assert.Equal(2, r.Code);
        Assert.Contains("different sweep file", r.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "workers")));
    }
}
