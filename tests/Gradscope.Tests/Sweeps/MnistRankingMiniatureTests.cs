using System.Text.Json;
using Gradscope.Data;
using Gradscope.Sweeps;
using Gradscope.Training;

namespace Gradscope.Tests.Sweeps;

/// <summary>
/// sweeps/mnist-ranking.yaml: its 128 points vary what its header says, and a 4-point miniature of it (its own base
/// config, a 50-image subset) runs end to end through the CLI: sweep (local executor), rank-measures --flatness, report.
/// </summary>
public class MnistRankingMiniatureTests
{
    static string RepositoryRoot => Path.GetDirectoryName(DataPaths.DataDirectory.TrimEnd('/'))!;

    [Fact]
    public void MnistRankingExpandsTo128ValidConfigsWithFourSeedsPerConfiguration()
    {
        var points = SweepExpander.Expand(SweepFile.Load(Path.Combine(RepositoryRoot, "sweeps", "mnist-ranking.yaml")));
        Assert.Equal(128, points.Count);
        Assert.Equal(128, points.Select(p => p.Hash).Distinct().Count());
        var configs = points.Select(p => TrainConfigYaml.Parse(p.ConfigYaml, $"point {p.Index}")).ToList();
        // read back from the parsed configs: MNIST in, 10 classes out, 1 or 2 hidden layers of 32 or 128
        Assert.All(configs, c => { Assert.Equal(784, c.Model.Mlp!.Widths[0]); Assert.Equal(10, c.Model.Mlp.Widths[^1]); });
        Assert.Equal([2, 3], configs.Select(c => c.Model.Mlp!.Widths.Length - 1).Distinct().Order().ToArray());
        Assert.Equal([32, 128], configs.Select(c => c.Model.Mlp!.Widths[1]).Distinct().Order().ToArray());
        Assert.Equal([32, 128], configs.Select(c => c.Algorithm.BatchSize).Distinct().Order().ToArray());
        Assert.Equal([0.0, 0.0005], configs.Select(c => c.Algorithm.WeightDecay).Distinct().Order().ToArray());
        Assert.Equal([0.0, 0.1], configs.Select(c => c.Data.LabelNoise).Distinct().Order().ToArray());
        Assert.All(configs, c => { Assert.Equal(0.01, c.Stop.Loss); Assert.Equal(10_000, c.Stop.Steps); Assert.Equal(500, c.Data.Subsample); });
        // 32 configurations x 4 seeds: a sign-error environment has 16 pairs, enough for an effective sample size of 12
        var groups = configs.GroupBy(ConfigurationKey).ToList();
        Assert.Equal(32, groups.Count);
        Assert.All(groups, g => Assert.Equal(new ulong[] { 0, 1, 2, 3 }, g.Select(c => c.Seed).Order().ToArray()));
    }

    // a configuration's identity without its seed
    static string ConfigurationKey(TrainConfig c) =>
        $"{string.Join('-', c.Model.Mlp!.Widths)}|{c.Algorithm.BatchSize}|{c.Algorithm.WeightDecay}|{c.Data.LabelNoise}";

    [Fact]
    public void AFourPointMiniatureRunsEndToEndAndReportsThePointsStoppedBeforeTheTarget()
    {
        string real = File.ReadAllText(Path.Combine(RepositoryRoot, "sweeps", "mnist-ranking.yaml"));
        using var t = new SweepTestFiles();
        // the real file's base; the grid: 2 architectures x a 20-step cap (cannot reach cross-entropy 0.01) or 1000 steps
        var path = t.Write("mini.yaml", real[..real.IndexOf("\ngrid:", StringComparison.Ordinal)]
            + "\ngrid:\n  model.mlp.widths: [[784, 16, 10], [784, 16, 16, 10]]\n  stop.steps: [20, 1000]\nseeds: [0]\n");
        var dir = Path.Combine(t.Root, "out");
        var run = SweepTestFiles.RunCli(null, "sweep", path, "data.subsample=50", "--out", dir, "--parallel", "2");
        Assert.True(run.Code == 0, $"sweep exit {run.Code}: {run.Out} {run.Err}");

        var rank = SweepTestFiles.RunCli(null, "rank-measures", dir, "--flatness");
        Assert.True(rank.Code == 0, $"rank-measures exit {rank.Code}: {rank.Out} {rank.Err}");
        Assert.Contains("2 of 4 finished points stopped at their step or time cap before their training target", rank.Out);
        Assert.Contains("measured 4/4 finished points", rank.Err);

        // measure-values.csv: reached_target is 1 exactly for the runs whose final.json says the loss target stopped them
        var values = File.ReadAllLines(Path.Combine(dir, SweepTable.MeasureValuesFile));
        var header = values[0].Split(',');
        Assert.Equal(["point", "gap", "reached_target"], header[..3]);
        int frob = Array.IndexOf(header, "jiang.frob_distance");
        Assert.True(frob > 0, values[0]);
        using (var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile)))
            foreach (var p in index.Points())
            {
                var final = JsonDocument.Parse(File.ReadAllText(Path.Combine(SweepWorker.RunDirectory(Path.Combine(dir, p.Directory)), "final.json"))).RootElement;
                string reason = final.GetProperty("reason").GetString()!;
                var row = values.Single(l => l.StartsWith($"{p.Index},", StringComparison.Ordinal)).Split(',');
                Assert.Equal(reason == "loss" ? "1" : "0", row[2]);
                Assert.Equal(reason == "loss", row[frob].Length > 0);     // measured only when the target was reached
                if (JsonDocument.Parse(p.Hyperparameters).RootElement.GetProperty("stop.steps").GetString() == "20") Assert.Equal("steps", reason);
                else Assert.Equal("loss", reason);
            }
        // every measure is scored on the 2 points that reached the target: coverage 2 / 4
        var ranking = File.ReadAllLines(Path.Combine(dir, "measure-ranking.csv"));
        var names = ranking.Skip(1).Select(l => l.Split(',')).ToDictionary(c => c[0], c => c);
        foreach (var key in new[] { "jiang.pacbayes_flatness", "jiang.sharpness_orig", "jiang.pacbayes_mag_flatness", "jiang.frob_distance", "jiang.dist_spec_init" })
        {
            Assert.True(names.ContainsKey(key), key);
            Assert.Equal(("2", "0.5"), (names[key][1], names[key][2]));
        }

        var report = SweepTestFiles.RunCli(null, "report", dir);
        Assert.True(report.Code == 0, $"report exit {report.Code}: {report.Out} {report.Err}");
        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("Measures ranked against the generalization gap", html);
        Assert.Contains("vs generalization gap", html);
    }
}
