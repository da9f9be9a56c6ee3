using System.Text.Json;
using Gradscope.Sweeps;

namespace Gradscope.Tests.Sweeps;

/// <summary>
/// `rank-measures --source files` on the measures.json files `gradscope measure --run` writes: it ranks the values under
/// "measures" (not the header numbers), reads NaN/Infinity tokens as Python's json.dump writes them, and names the point,
/// file and key of a malformed file instead of a stack trace.
/// </summary>
public class RankMeasureFilesTests
{
    static (int Code, string Out, string Err) Cli(params string[] args) => SweepTestFiles.RunCli(null, args);

    [Fact]
    public void RanksWhatMeasureWritesAndNamesTheBadPoint()
    {
        using var t = new SweepTestFiles();
        var dir = t.RunRealSweep(SweepTestFiles.RealBase(), "  algorithm.eta: [0.05, 0.1, 0.2]\n");
        var runDirs = new List<string>();
        var indices = new List<int>();
        using (var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile)))
            foreach (var p in index.Points()) { runDirs.Add(SweepWorker.RunDirectory(Path.Combine(dir, p.Directory))); indices.Add(p.Index); }
        foreach (var r in runDirs)
        {
            var m = Cli("measure", "--run", r, "--no-svd");
            Assert.True(m.Code == 0, $"measure exit {m.Code}: {m.Err}");
            Assert.True(File.Exists(Path.Combine(r, "measures.json")));
        }

        var rank = Cli("rank-measures", dir, "--source", "files");
        Assert.True(rank.Code == 0, $"rank-measures exit {rank.Code}: {rank.Out} {rank.Err}");
        var names = File.ReadAllLines(Path.Combine(dir, "measure-ranking.csv")).Skip(1).Select(l => l.Split(',')[0]).ToHashSet();
        // The registry keys under "measures" are ranked; the header numbers (version, outputs) are not measures.
        foreach (var key in new[] { "rho", "layer.0.frobenius", "margin.min", "bound.vc", "spectral_complexity" }) Assert.Contains(key, names);
        Assert.DoesNotContain("version", names);
        Assert.DoesNotContain("outputs", names);

        // A Python-written NaN token: read as NaN, that point drops out of rho's ranking, the others stay.
        var f0 = Path.Combine(runDirs[0], "measures.json");
        var text = File.ReadAllText(f0);
        var rho = JsonDocument.Parse(text).RootElement.GetProperty("measures").GetProperty("rho").GetRawText();
        File.WriteAllText(f0, text.Replace($"\"rho\": {rho}", "\"rho\": NaN"));
        rank = Cli("rank-measures", dir, "--source", "files");
        Assert.True(rank.Code == 0, $"rank-measures exit {rank.Code}: {rank.Out} {rank.Err}");
        var rhoRow = File.ReadAllLines(Path.Combine(dir, "measure-ranking.csv")).Single(l => l.StartsWith("rho,", StringComparison.Ordinal));
        Assert.StartsWith("rho,2,", rhoRow);

        // A value that is not a number: a clear error naming the point, the file and the key, exit 2.
        File.WriteAllText(f0, text.Replace($"\"rho\": {rho}", "\"rho\": \"large\""));
        rank = Cli("rank-measures", dir, "--source", "files");
        Assert.Equal(2, rank.Code);
        Assert.Contains($"point {indices[0]}:", rank.Err);
        Assert.Contains(f0, rank.Err);
        Assert.Contains("measures.rho", rank.Err);
        Assert.DoesNotContain("   at ", rank.Err);
    }
}
