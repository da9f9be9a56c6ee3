using System.Globalization;
using System.Text;
using Gradscope.Report;
using Gradscope.Sweeps;
using Gradscope.Sweeps.Ranking;
using Gradscope.Tests.Cli;

namespace Gradscope.Tests.Daily;

/// <summary>`gradscope plot` and `gradscope table`: the metrics reader, the thinning of long curves, the flat sweep table.</summary>
public class PlotAndTableTests
{
    internal static string TempDir(string tag)
    {
        string d = Path.Combine(Path.GetTempPath(), $"gs-{tag}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>A run directory whose metrics.csv holds train_loss = 10 exp(-step/1000) and (a made-up curve) train_error = step/(step+100) at the given steps.</summary>
    internal static string FakeRun(string parent, string name, IEnumerable<long> steps, bool finished = true, string tail = "")
    {
        string dir = Path.Combine(parent, name);
        Directory.CreateDirectory(dir);
        var sb = new StringBuilder("step,t,wall_s,train_loss,train_error\n");
        foreach (long s in steps)
            sb.Append(CultureInfo.InvariantCulture, $"{s},{s * 0.1},{s * 0.001},{10 * Math.Exp(-s / 1000.0):R},{s / (s + 100.0):R}\n");
        sb.Append(tail);
        File.WriteAllText(Path.Combine(dir, "metrics.csv"), sb.ToString());
        if (finished) File.WriteAllText(Path.Combine(dir, "final.json"), "{}");
        return dir;
    }

    [Fact]
    public void MetricsReaderReadsColumnsAndLeavesAPartialLastRowForLater()
    {
        string root = TempDir("metrics");
        try
        {
            string run = FakeRun(root, "r", [0, 10, 20], finished: false, tail: "30,3,0.03,1.2");
            var m = RunMetrics.Read(run);
            Assert.Equal(["step", "t", "wall_s", "train_loss", "train_error"], m.Columns);
            Assert.Equal([0.0, 10, 20], m.Column("step"));
            Assert.Equal(10 * Math.Exp(-0.02), m.Column("train_loss")[2]);
            Assert.False(m.Finished);
            Assert.Throws<KeyNotFoundException>(() => m.Column("nope"));
            File.AppendAllText(Path.Combine(run, "metrics.csv"), "\n40,4,0.04,1,0.5\n");
            var e = Assert.Throws<InvalidDataException>(() => RunMetrics.Read(run));
            Assert.Contains("metrics.csv:5: 4 cells for 5 columns", e.Message);
        }
        finally { Directory.Delete(root, true); }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ThinningKeepsFirstAndLastAndSpacesPointsEvenlyAlongTheAxis(bool logX)
    {
        var x = Enumerable.Range(1, 100_000).Select(i => (double)i).ToList();
        var y = x.Select(v => 1 / v).ToList();
        var s = PlotPage.Thin("r", x, y, logX);
        Assert.InRange(s.X.Count, 100, PlotPage.MaxPointsPerCurve + 1);
        Assert.Equal(1, s.X[0]);
        Assert.Equal(100_000, s.X[^1]);
        for (int i = 0; i < s.X.Count; i++) Assert.Equal(1 / s.X[i], s.Y[i]);   // points are rows, not interpolations
        // the kept points are spread over the drawn axis: no bin of a tenth of the axis is empty
        double Pos(double v) => logX ? Math.Log(v) : v;
        double lo = Pos(1), hi = Pos(100_000);
        for (int b = 0; b < 10; b++)
            Assert.Contains(s.X, v => Pos(v) >= lo + b * (hi - lo) / 10 && Pos(v) <= lo + (b + 1) * (hi - lo) / 10);
        // a short curve is untouched
        Assert.Equal(5, PlotPage.Thin("r", [1.0, 2, 3, 4, 5], [1.0, 2, 3, 4, 5], logX).X.Count);
    }

    [Fact]
    public void ChartsUseLogAxesOnlyWhereValuesSpanTwoDecades()
    {
        string root = TempDir("plotlog");
        try
        {
            var runs = new[] { new PlotRun("a", RunMetrics.Read(FakeRun(root, "a", Enumerable.Range(0, 50).Select(i => (long)i * 200)))) };
            var loss = PlotPage.MetricChart(runs, "train_loss", "step").VegaLite.ToJsonString();
            var acc = PlotPage.MetricChart(runs, "train_error", "step").VegaLite.ToJsonString();
            Assert.Contains("\"log\"", loss);   // 10 exp(-step/1000) falls from 10 to 5.5e-4 over steps 0..9800
            Assert.DoesNotContain("\"log\"", acc);  // acc spans 0.67..0.99 and the positive steps 200..9800 less than two decades
            var wide = new[] { new PlotRun("w", RunMetrics.Read(FakeRun(root, "w", [0, 1, 10, 100, 1000, 10000]))) };
            var accWide = PlotPage.MetricChart(wide, "train_error", "step");
            Assert.Equal("log", (string?)accWide.VegaLite["encoding"]!["x"]!["scale"]!["type"]);   // steps 1..10^4
            Assert.Null(accWide.VegaLite["encoding"]!["y"]!["scale"]!["type"]);                    // acc = 0 at step 0: not positive
            Assert.Equal(["train_loss", "train_error"], PlotPage.MetricColumns(runs));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void PlotCommandWritesOnePageForRunsAndRefusesWhatIsNotARun()
    {
        string root = TempDir("plotcli");
        try
        {
            FakeRun(root, "a", [0, 10, 20]);
            FakeRun(root, "b", [0, 10, 20, 30]);
            string outFile = Path.Combine(root, "p.html");
            var (code, stdout, stderr) = CliProcess.Run($"plot \"{Path.Combine(root, "a")}\" \"{Path.Combine(root, "b")}\" --out \"{outFile}\"");
            Assert.True(code == 0, stderr);
            Assert.Contains("2 runs", stdout);
            string html = File.ReadAllText(outFile);
            Assert.Contains("Content-Security-Policy", html);
            Assert.Contains("\"series\":\"b\"", html);
            // a directory searched for runs finds both
            (code, stdout, _) = CliProcess.Run($"plot \"{root}\" --out \"{outFile}\"");
            Assert.Equal(0, code);
            Assert.Contains("2 runs", stdout);
            // errors name what is wrong and change nothing
            string empty = Path.Combine(root, "empty"); Directory.CreateDirectory(empty);
            (code, _, stderr) = CliProcess.Run($"plot \"{empty}\" --out \"{Path.Combine(root, "q.html")}\"");
            Assert.Equal(2, code);
            Assert.Contains("holds no training run", stderr);
            Assert.False(File.Exists(Path.Combine(root, "q.html")));
            (code, _, stderr) = CliProcess.Run($"plot \"{Path.Combine(root, "a")}\" --metrics nope --out \"{outFile}\"");
            Assert.Equal(2, code);
            Assert.Contains("'nope'", stderr);
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>A sweep directory with three points (one done with metrics, one failed, one pending) and measure values.</summary>
    internal static string FakeSweep(string root)
    {
        string dir = Path.Combine(root, "sweep");
        Directory.CreateDirectory(dir);
        var points = new[]
        {
            new SweepPoint(0, new string('a', 64), "x: 1", new Dictionary<string, string> { ["algorithm.eta"] = "0.1", ["model.mlp.widths"] = "[8, 1]" }, 0),
            new SweepPoint(1, new string('b', 64), "x: 2", new Dictionary<string, string> { ["algorithm.eta"] = "0.3", ["model.mlp.widths"] = "[8, 1]" }, 1),
            new SweepPoint(2, new string('c', 64), "x: 3", new Dictionary<string, string> { ["algorithm.eta"] = "1, or more", ["model.mlp.widths"] = "[8, 1]" }, 2),
        };
        using (var index = SweepIndex.Create(Path.Combine(dir, SweepDirectory.IndexFile), points.Select(p => (p, "points/" + p.DirectoryName)), new Dictionary<string, string> { ["sweep_hash"] = "h" }))
        {
            var c0 = index.TryClaim("w", 1, "h", 60)!;
            Assert.True(index.Complete(c0.Index, "w", "{\"train_acc\": 1.0, \"test_acc\": 0.9, \"loss\": 0.01}", 2.5));
            var c1 = index.TryClaim("w", 1, "h", 60)!;
            Assert.True(index.Fail(c1.Index, "w", "diverged", 1.0));
        }
        FakeRun(Path.Combine(dir, "points", points[0].DirectoryName), "run", [0, 10, 20]);
        File.WriteAllText(Path.Combine(dir, SweepTable.MeasureValuesFile), SweepTable.MeasureValuesCsv(
            [new RankedPoint(0, points[0].Hyperparameters, 0.1, new Dictionary<string, double> { ["rho"] = 12.5, ["bound.bft"] = 3e4 })]));
        return dir;
    }

    [Fact]
    public void TableIsOneFlatCsvOfHyperparametersFinalMetricsAndMeasures()
    {
        string root = TempDir("table");
        try
        {
            string sweep = FakeSweep(root);
            var (code, stdout, stderr) = CliProcess.Run($"table \"{sweep}\"");
            Assert.True(code == 0, stderr);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(4, lines.Length);
            var header = SweepTable.SplitCsv(lines[0]);
            Assert.Equal(["point", "status", "seed", "wall_s", "directory", "algorithm.eta", "model.mlp.widths", "train_error", "test_error", "train_loss", "reached_target", "bound.bft", "rho"], header);
            var rows = lines.Skip(1).Select(SweepTable.SplitCsv).ToList();
            Assert.All(rows, r => Assert.Equal(header.Count, r.Count));
            string Cell(int row, string col) => rows[row][header.IndexOf(col)];
            // the point's final metrics were stored with the old names (train_acc, test_acc, loss): read under the registry keys, 1 - 1.0 = 0
            Assert.Equal(("done", "0.1", "0", "12.5", "30000"), (Cell(0, "status"), Cell(0, "algorithm.eta"), Cell(0, "train_error"), Cell(0, "rho"), Cell(0, "bound.bft")));
            Assert.Equal(("failed", "", ""), (Cell(1, "status"), Cell(1, "train_error"), Cell(1, "rho")));
            Assert.Equal(("pending", "1, or more"), (Cell(2, "status"), Cell(2, "algorithm.eta")));   // a comma inside a value is quoted
            Assert.Contains("\"1, or more\"", lines[3]);
            // not a sweep: a clear error
            (code, _, stderr) = CliProcess.Run($"table \"{root}\"");
            Assert.Equal(2, code);
            Assert.Contains("is not a sweep directory", stderr);
            // the plot of a sweep shows its runs and the measure scatter
            string page = Path.Combine(root, "s.html");
            (code, stdout, stderr) = CliProcess.Run($"plot \"{sweep}\" --out \"{page}\"");
            Assert.True(code == 0, stderr);
            Assert.Contains("1 run, 1 sweep", stdout);
            Assert.Contains("rho vs generalization gap", File.ReadAllText(page));
        }
        finally { Directory.Delete(root, true); }
    }
}
