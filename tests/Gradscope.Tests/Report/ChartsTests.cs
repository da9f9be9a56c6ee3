using System.Text.Json.Nodes;
using Gradscope.Report;

namespace Gradscope.Tests.Report;

public class ChartsTests
{
    static JsonArray Rows(JsonObject spec) => spec["data"]!["values"]!.AsArray();

    [Fact]
    public void EcdfStepsMatchHandCountedCdf()
    {
        // sample {3, 1, 2, 2, NaN}: n = 4 after dropping NaN; F(1) = 1/4, F(2) = 3/4, F(3) = 1
        var steps = Charts.EcdfSteps([3, 1, 2, 2, double.NaN]);
        Assert.Equal([(1.0, 0.0), (1.0, 0.25), (2.0, 0.75), (3.0, 1.0)], steps);
    }

    [Fact]
    public void EcdfOfLargeSampleIsThinnedButExactAtKeptPoints()
    {
        var values = Enumerable.Range(0, 10_000).Select(i => (double)((i * 7919) % 10_000)).ToArray();   // a permutation of 0..9999
        var steps = Charts.EcdfSteps(values);
        Assert.True(steps.Count <= Charts.MaxEcdfSteps + 2, $"{steps.Count} steps");
        Assert.Equal((9999.0, 1.0), steps[^1]);
        // F(v) = (v + 1) / n exactly for a permutation of 0..n-1
        foreach (var (v, f) in steps.Skip(1)) Assert.Equal((v + 1) / 10_000, f, 12);
    }

    [Fact]
    public void EcdfChartHasOneCurvePerSample()
    {
        var c = Charts.Ecdf("m", "t", "c", "margin", [new Sample("true", [1, 2]), new Sample("random", [0.5])]);
        var rows = Rows(c.VegaLite);
        Assert.Equal(3, rows.Count(r => (string?)r!["series"] == "true"));   // (1,0), (1,.5), (2,1)
        Assert.Equal(2, rows.Count(r => (string?)r!["series"] == "random"));
        Assert.Equal("step-after", (string?)c.VegaLite["mark"]!["interpolate"]);
    }

    [Fact]
    public void LogAxesSkipUndrawableValues()
    {
        var c = Charts.Line("a", "t", "c", "t", "y", [0, 1, 10, 100], [1, -1, double.NaN, 2], logX: true, logY: true);
        var rows = Rows(c.VegaLite);
        Assert.Equal([1.0, 10, 100], rows.Select(r => (double)r!["x"]!));   // x = 0 has no place on a log axis
        Assert.Null(rows[0]!["y"]);                                          // y = -1 on a log axis
        Assert.Null(rows[1]!["y"]);                                          // NaN
        Assert.Equal(2.0, (double)rows[2]!["y"]!);
        Assert.Equal("log", (string?)c.VegaLite["encoding"]!["x"]!["scale"]!["type"]);
        Assert.Equal("log", (string?)c.VegaLite["encoding"]!["y"]!["scale"]!["type"]);
    }

    [Fact]
    public void LinesRejectsMismatchedSeries()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Charts.Lines("a", "t", "c", "x", "y", [new Series("gamma", [1, 2, 3], [1, 2])]));
        Assert.Contains("gamma", e.Message);
        Assert.Contains("3 x values but 2 y values", e.Message);
    }

    [Fact]
    public void ScatterReferenceLineLiesOnYEqualsXAcrossTheData()
    {
        var c = Charts.Scatter("s", "t", "c", "x", "y", [new Point(0.1, 3), new Point(0.4, 1), new Point(0.2, 2)], ReferenceLine.Identity);
        var line = c.VegaLite["layer"]![1]!["data"]!["values"]!.AsArray();
        Assert.All(line, r => Assert.Equal((double)r!["x"]!, (double)r!["y"]!, 15));
        Assert.Equal(0.1, (double)line[0]!["x"]!, 15);
        Assert.Equal(0.4, (double)line[^1]!["x"]!, 15);
        var shifted = Charts.Scatter("s", "t", "c", "x", "y", [new Point(1, 1), new Point(3, 1)], new ReferenceLine("2x+1", 2, 1));
        Assert.All(shifted.VegaLite["layer"]![1]!["data"]!["values"]!.AsArray(),
            r => Assert.Equal(2 * (double)r!["x"]! + 1, (double)r!["y"]!, 12));
    }

    [Fact]
    public void BarsKeepTheGivenOrderAndGroupBySeries()
    {
        var c = Charts.Bars("b", "t", "c", "i", "sigma", [new Bar("1", 3, "W_1"), new Bar("10", 2, "W_1"), new Bar("2", 1, "W_2")]);
        Assert.Equal(["1", "10", "2"], Rows(c.VegaLite).Select(r => (string)r!["category"]!));
        var x = c.VegaLite["encoding"]!["x"]!.AsObject();
        Assert.True(x.ContainsKey("sort") && x["sort"] is null);
        Assert.NotNull(c.VegaLite["encoding"]!["xOffset"]);
    }

    [Fact]
    public void SpecsDeclareTheVendoredVegaLiteMajorVersion()
    {
        string major = ReportAssets.Versions["vega-lite"].Split('.')[0];
        Assert.EndsWith($"/vega-lite/v{major}.json", VegaLite.SchemaUrl);
        foreach (var claim in SampleRun.Create().Claims)
            foreach (var chart in claim.Charts)
                Assert.Equal(VegaLite.SchemaUrl, (string?)chart.VegaLite["$schema"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    public void ChartIdsMustBeUsable(string id) =>
        Assert.Throws<ArgumentException>(() => Charts.Line(id, "t", "c", "x", "y", [1], [1]));
}
