using System.Text.Json;

namespace Gradscope.Tests.Sweeps;

/// <summary>
/// The Jiang et al. 2020 norms and flatness, the distances from initialization and WeightWatcher's alpha reach
/// `rank-measures`: a sweep whose runs record them through <c>probes.measures</c> ranks them from the final metrics, and
/// <c>measure --run --flatness</c> writes them into measures.json.
/// </summary>
public class RankFlatnessMeasuresTests
{
    static readonly string Base = SweepTestFiles.RealBase(8, 12, """
        probes:
          every: 20
          measures: ["jiang.*", "flatness.*", "layer.*.dist_init_*", "*ww_*"]
        """);

    static (int Code, string Out, string Err) Cli(params string[] args) => SweepTestFiles.RunCli(null, args);

    [Fact]
    public void ProbedFlatnessAndSpectralMeasuresAreRanked()
    {
        using var t = new SweepTestFiles();
        var dir = t.RunRealSweep(Base, "  algorithm.eta: [0.05, 0.1, 0.2]\n");

        var rank = Cli("rank-measures", dir, "--source", "files");
        Assert.True(rank.Code == 0, $"rank-measures exit {rank.Code}: {rank.Out} {rank.Err}");
        var names = File.ReadAllLines(Path.Combine(dir, "measure-ranking.csv")).Skip(1).Select(l => l.Split(',')[0]).ToHashSet();
        foreach (var key in new[] { "jiang.pacbayes_flatness", "jiang.pacbayes_mag_orig", "jiang.sharpness_orig", "jiang.frob_distance", "jiang.dist_spec_init",
                     "jiang.log_prod_of_spec", "flatness.sigma", "layer.0.dist_init_frobenius", "layer.0.ww_alpha", "ww_alpha_hat" })
            Assert.Contains(key, names);

        // The default source (the suite on the final weights) with --flatness: the same families, distances from the
        // run's rebuilt initialization included.
        rank = Cli("rank-measures", dir, "--flatness");
        Assert.True(rank.Code == 0, $"rank-measures --flatness exit {rank.Code}: {rank.Out} {rank.Err}");
        names = File.ReadAllLines(Path.Combine(dir, "measure-ranking.csv")).Skip(1).Select(l => l.Split(',')[0]).ToHashSet();
        foreach (var key in new[] { "jiang.pacbayes_flatness", "jiang.sharpness_init", "jiang.frob_distance", "layer.1.dist_init_spectral", "jiang.fro_over_spec" })
            Assert.Contains(key, names);
        var both = Cli("rank-measures", dir, "--source", "files", "--flatness");
        Assert.Equal(2, both.Code);
        Assert.Contains("--source suite", both.Err);

        // measure --run --flatness on one of the runs: the same keys in measures.json.
        string runDir;
        using (var index = Gradscope.Sweeps.SweepIndex.Open(Path.Combine(dir, Gradscope.Sweeps.SweepDirectory.IndexFile)))
            runDir = Gradscope.Sweeps.SweepWorker.RunDirectory(Path.Combine(dir, index.Points().First().Directory));
        var m = Cli("measure", "--run", runDir, "--flatness");
        Assert.True(m.Code == 0, $"measure exit {m.Code}: {m.Err}");
        var measures = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "measures.json"))).RootElement.GetProperty("measures");
        foreach (var key in new[] { "jiang.pacbayes_init", "jiang.sharpness_mag_flatness", "jiang.dist_spec_init", "layer.0.ww_alpha" })
            Assert.True(measures.TryGetProperty(key, out _), key);
    }
}
