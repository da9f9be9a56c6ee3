using System.Text.Json;
using System.Text.Json.Nodes;
using Gradscope.Report;

namespace Gradscope.Tests.Report;

public class SummaryFileTests
{
    static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "gradscope-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    [Fact]
    public void RoundTripThroughFilePreservesEveryField()
    {
        var original = SampleRun.Create() with
        {
            Claims = [.. SampleRun.Create().Claims, new ClaimResult
            {
                Id = "non-finite", Statement = "s", Paper = "p", Verdict = Verdict.NotReproduced,
                Numbers = [Evidence.Info("nan", double.NaN), Evidence.Check("inf", double.PositiveInfinity, "<", 1, "j")],
            }],
        };
        string path = Path.Combine(TempDir(), "summary.json");
        SummaryFile.Write(path, original);
        var back = SummaryFile.Read(path);

        Assert.Equal(original.ToolVersion, back.ToolVersion);
        Assert.Equal(original.Started, back.Started);
        Assert.Equal(original.Finished, back.Finished);
        Assert.Equal(original.Scale, back.Scale);
        Assert.Equal(original.Seed, back.Seed);
        Assert.Equal(original.Threads, back.Threads);
        Assert.Equal(original.Machine, back.Machine);
        Assert.Equal(original.WallSeconds, back.WallSeconds);
        Assert.Equal(original.Claims.Count, back.Claims.Count);
        for (int i = 0; i < original.Claims.Count; i++)
        {
            var a = original.Claims[i];
            var b = back.Claims[i];
            Assert.Equal((a.Id, a.Statement, a.Paper, a.Verdict, a.Error, a.WallSeconds, a.Notes),
                         (b.Id, b.Statement, b.Paper, b.Verdict, b.Error, b.WallSeconds, b.Notes));
            Assert.Equal(a.Numbers, b.Numbers);   // Evidence is a record of scalars: value equality (NaN equals NaN for records)
            Assert.Equal(a.Charts.Count, b.Charts.Count);
            for (int k = 0; k < a.Charts.Count; k++)
            {
                Assert.Equal((a.Charts[k].Id, a.Charts[k].Title, a.Charts[k].Caption), (b.Charts[k].Id, b.Charts[k].Title, b.Charts[k].Caption));
                Assert.True(JsonNode.DeepEquals(a.Charts[k].VegaLite, b.Charts[k].VegaLite), $"chart {a.Charts[k].Id} spec changed");
            }
        }
        Assert.True(double.IsNaN(back.Claims[^1].Numbers[0].Value));
        Assert.Equal(double.PositiveInfinity, back.Claims[^1].Numbers[1].Value);
    }

    [Fact]
    public void JsonUsesCamelCaseNamesAndKebabCaseEnums()
    {
        using var doc = JsonDocument.Parse(SummaryFile.ToJson(SampleRun.Create()));
        var root = doc.RootElement;
        Assert.Equal("quick", root.GetProperty("scale").GetString());
        Assert.Equal(42UL, root.GetProperty("seed").GetUInt64());
        Assert.Equal("2026-11-23T09:00:00+00:00", root.GetProperty("started").GetString());
        var claims = root.GetProperty("claims");
        Assert.Equal("reproduced", claims[0].GetProperty("verdict").GetString());
        Assert.Equal("not-reproduced", claims[1].GetProperty("verdict").GetString());
        Assert.Equal("error", claims[3].GetProperty("verdict").GetString());
        var first = claims[0].GetProperty("numbers")[0];
        Assert.Equal("<=", first.GetProperty("comparison").GetString());
        Assert.Equal(0.05, first.GetProperty("threshold").GetDouble());
        Assert.True(first.GetProperty("passed").GetBoolean());
        Assert.Equal(VegaLite.SchemaUrl, claims[0].GetProperty("charts")[0].GetProperty("vegaLite").GetProperty("$schema").GetString());
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        string path = Path.Combine(TempDir(), "summary.json");
        var e = Assert.Throws<FileNotFoundException>(() => SummaryFile.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData("{ not json", "line")]
    [InlineData("[]", "summary")]
    [InlineData("null", "null")]
    [InlineData("{\"toolVersion\":\"x\"}", "missing required properties including: 'started'")]
    [InlineData("{\"toolVersion\":\"x\",\"started\":\"2026-01-01T00:00:00Z\",\"finished\":\"2026-01-01T00:00:00Z\",\"scale\":\"huge\",\"seed\":1,\"threads\":1,\"machine\":\"m\",\"wallSeconds\":1,\"claims\":[]}", "scale")]
    public void MalformedFileIsNamedWithTheProblem(string json, string mention)
    {
        string path = Path.Combine(TempDir(), "summary.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidDataException>(() => SummaryFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.True(e.Message.Contains(mention, StringComparison.OrdinalIgnoreCase), e.Message);
    }

    [Theory]
    [InlineData(1.0, "<=", 1.0, true)]
    [InlineData(1.0, "<", 1.0, false)]
    [InlineData(2.0, ">=", 1.0, true)]
    [InlineData(1.0, ">", 1.0, false)]
    [InlineData(0.0, "=", 0.0, true)]
    [InlineData(double.NaN, "<=", 1.0, false)]
    [InlineData(double.NaN, ">=", 1.0, false)]
    public void EvidenceCheckComparesValueWithThreshold(double value, string op, double threshold, bool passed) =>
        Assert.Equal(passed, Evidence.Check("q", value, op, threshold, "j").Passed);

    [Fact]
    public void EvidenceRejectsUnknownComparison()
    {
        var e = Assert.Throws<ArgumentException>(() => Evidence.Check("q", 1, "=<", 1, "j"));
        Assert.Contains("'=<'", e.Message);
    }
}
