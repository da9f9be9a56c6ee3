using Gradscope.Claims;
using Gradscope.Report;

namespace Gradscope.Tests.Claims;

public class ClaimDefinitionTests
{
    private const string Minimal = """
        id: demo
        paper: "0"
        statement: >
          A demonstration claim.
        thresholds:
          small:
            op: "<="
            value: 0.5
            why: "because"
        quick:
          n: 3
          train:
            dtype: f64
            model: { mlp: { widths: [2, 1] } }
        full:
          n: 30
        """;

    [Fact]
    public void ParsesThresholdsAndScaleParameters()
    {
        var def = ClaimDefinition.Parse(Minimal, "demo.yaml");
        Assert.Equal("demo", def.Id);
        Assert.Equal("A demonstration claim.", def.Statement);
        var t = def.Thresholds["small"];
        Assert.Equal(("<=", 0.5, "because"), (t.Op, t.Value, t.Why));
        Assert.Equal(3, def.Parameters("quick").Int("n"));
        Assert.Equal(30, def.Parameters("full").Int("n"));
        Assert.True(def.Parameters("quick").Has("train"));
        Assert.True(def.Parameters("full").Has("train")); // full states only what differs from quick: it inherits train
    }

    [Theory]
    [InlineData("op: \"<=\"", "op: \"~\"", "thresholds.small.op: must be one of <=, >=, <, >, =, in (in takes a bracket [lo, hi]), got '~'")]
    [InlineData("value: 0.5", "value: half", "thresholds.small.value: must be a number, got 'half'")]
    [InlineData("    why: \"because\"\n", "", "thresholds.small: missing key 'why'")]
    [InlineData("paper: \"0\"", "paper: \"0\"\ncolour: red", "unknown key 'colour'")]
    [InlineData("full:\n  n: 30", "", "both a quick and a full")]
    public void RejectsMalformedDefinitionsNamingTheProblem(string from, string to, string message)
    {
        string yaml = Minimal.Replace(from, to);
        Assert.NotEqual(Minimal, yaml);
        var e = Assert.Throws<InvalidDataException>(() => ClaimDefinition.Parse(yaml, "demo.yaml"));
        Assert.Contains("demo.yaml", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void MissingParameterIsAnErrorNamingTheKey()
    {
        var def = ClaimDefinition.Parse(Minimal, "demo.yaml");
        var e = Assert.ThrowsAny<Exception>(() => def.Parameters("quick").Double("eta"));
        Assert.Contains("eta", e.Message);
    }

    [Fact]
    public void EveryRegisteredClaimIsInTheoryOrderWithJustifiedThresholdsAndBothScales()
    {
        var ids = ClaimRegistry.All.Select(c => c.Definition.Id).ToList();
        Assert.NotEmpty(ids);
        Assert.Equal(ClaimRegistry.Order.Where(ids.Contains), ids);
        foreach (var (def, rule) in ClaimRegistry.All)
        {
            Assert.Equal(def.Id, rule.Id);
            Assert.NotEmpty(def.Thresholds);
            Assert.All(def.Thresholds.Values, t => Assert.False(string.IsNullOrWhiteSpace(t.Why), $"{def.Id}.{t.Name} has no why"));
            def.Parameters("quick");
            def.Parameters("full");
        }
    }

    [Fact]
    public void SelectRejectsUnknownIdsAndListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ClaimRegistry.Select(["no-such-claim"]));
        Assert.Contains("no-such-claim", e.Message);
        Assert.Contains(ClaimRegistry.All[0].Definition.Id, e.Message);
    }

    private sealed class FixedRule(string id, Func<ClaimContext, ClaimOutcome> run) : IClaimRule
    {
        public string Id => id;
        public ClaimOutcome Run(ClaimContext context) => run(context);
    }

    [Fact]
    public void RunnerRecordsAFailingClaimAndRunsTheOthers()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-claims-{Guid.NewGuid():N}");
        try
        {
            var def = ClaimDefinition.Parse(Minimal, "demo.yaml");
            var boom = new FixedRule("demo", _ => throw new InvalidOperationException("the data file is truncated"));
            var ok = new FixedRule("demo", ctx =>
            {
                var o = new ClaimOutcome();
                o.Numbers.Add(ctx.Check("small", "a number", 0.25));
                o.Numbers.Add(Evidence.Info("context", 7));
                return o;
            });
            var bad = new FixedRule("demo", ctx =>
            {
                var o = new ClaimOutcome();
                o.Numbers.Add(ctx.Check("small", "a number", 0.75));
                return o;
            });
            var infoOnly = new FixedRule("demo", _ => { var o = new ClaimOutcome(); o.Numbers.Add(Evidence.Info("x", 1)); return o; });
            var summary = ClaimRunner.Run([(def, boom), (def, ok), (def, bad), (def, infoOnly)], RunScale.Quick, 1, 1, dir);
            // a legacy definition has no control, so its passing checks cannot be told from checks that cannot fail
            Assert.Equal([Verdict.Error, Verdict.Inconclusive, Verdict.NotReproduced, Verdict.NotReproduced], summary.Claims.Select(c => c.Verdict));
            Assert.Contains("the data file is truncated", summary.Claims[0].Error);
            Assert.True(File.Exists(Path.Combine(dir, "summary.json")));
            Assert.True(File.Exists(Path.Combine(dir, "report.html")));
            Assert.Contains("the data file is truncated", File.ReadAllText(Path.Combine(dir, "report.html")));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void SummaryAndReportAreWrittenAfterEveryClaimSoAnInterruptedRunKeepsWhatFinished()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-claims-{Guid.NewGuid():N}");
        try
        {
            var def = ClaimDefinition.Parse(Minimal, "demo.yaml");
            var first = new FixedRule("demo", ctx => { var o = new ClaimOutcome(); o.Numbers.Add(ctx.Check("small", "first number", 0.125)); return o; });
            string? seen = null;
            var second = new FixedRule("demo", ctx =>
            {
                seen = File.ReadAllText(Path.Combine(dir, "summary.json"));
                Assert.True(File.Exists(Path.Combine(dir, "report.html")));
                throw new OperationCanceledException("interrupted");
            });
            ClaimRunner.Run([(def, first), (def, second)], RunScale.Quick, 1, 1, dir);
            Assert.NotNull(seen);
            Assert.Contains("first number", seen);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void CheckingAnUndeclaredThresholdIsAnError()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-claims-{Guid.NewGuid():N}");
        try
        {
            var ctx = new ClaimContext(ClaimDefinition.Parse(Minimal, "demo.yaml"), "quick", 1, 1, dir);
            var e = Assert.Throws<InvalidOperationException>(() => ctx.Check("large", "x", 1));
            Assert.Contains("'large'", e.Message);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
