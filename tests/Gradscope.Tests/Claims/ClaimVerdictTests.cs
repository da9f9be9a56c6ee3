using Gradscope.Claims;
using Gradscope.Report;

namespace Gradscope.Tests.Claims;

/// <summary>The claims v2 format: hypotheses, checks with quantity and source, controls, and the verdict they decide.</summary>
public class ClaimVerdictTests
{
    private const string V2 = """
        id: demo
        paper: "0, 2"
        statement: >
          A demonstration claim.
        hypotheses:
          gap:
            quantity: "certified relative gap"
            op: ">="
            value: 0.5
            why: "the theorem assumes a gap"
            source: "Paper A, Thm 1"
        checks:
          small:
            quantity: "the distance to the limit"
            op: "<="
            value: 0.5
            why: "the limit is approached"
            source: "Paper A, Thm 1"
          rate:
            quantity: "the rate's exponent"
            op: ">="
            value: 0.9
            why: "the rate is 1/t"
            source: "Paper A, Thm 2"
        controls:
          opposite:
            description: "a variant where the theorem predicts no convergence"
            checks: [small]
        quick: { n: 3 }
        full: { n: 30 }
        """;

    private static ClaimDefinition Def => ClaimDefinition.Parse(V2, "demo.yaml");

    private static ClaimContext Ctx(string dir) => new(Def, "quick", 1, 1, dir);

    private static ClaimOutcome Outcome(ClaimContext ctx, double gap, double small, double rate, double controlSmall)
    {
        var o = new ClaimOutcome();
        o.Hypotheses.Add(ctx.Hypothesis("gap", gap));
        o.Numbers.Add(ctx.Check("small", small));
        o.Numbers.Add(ctx.Check("rate", rate));
        o.Controls.Add(ctx.Control("opposite", ctx.Check("small", controlSmall)));
        return o;
    }

    [Theory]
    [InlineData(0.7, 0.1, 1.0, 0.9, Verdict.Reproduced)]        // hypotheses hold, checks pass, control fails them
    [InlineData(0.7, 0.1, 1.0, 0.2, Verdict.Inconclusive)]      // the control passes too: the checks do not discriminate
    [InlineData(0.7, 0.9, 1.0, 0.9, Verdict.NotReproduced)]     // a check fails
    [InlineData(0.7, 0.1, double.NaN, 0.9, Verdict.NotReproduced)] // NaN never passes
    [InlineData(0.3, 0.1, 1.0, 0.9, Verdict.InvalidSetup)]      // the theorem's hypothesis does not hold
    [InlineData(double.NaN, 0.1, 1.0, 0.9, Verdict.InvalidSetup)]
    public void VerdictFollowsHypothesesChecksAndControls(double gap, double small, double rate, double controlSmall, Verdict expected)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-verdict-{Guid.NewGuid():N}");
        try
        {
            var o = Outcome(Ctx(dir), gap, small, rate, controlSmall);
            Assert.Equal(expected, o.Verdict);
            Assert.Empty(o.Missing(Def));
            Assert.False(string.IsNullOrWhiteSpace(o.Reason));
            Assert.Equal(controlSmall > 0.5, o.Controls[0].Discriminates);
            if (expected == Verdict.InvalidSetup) Assert.Contains("gap", o.Reason);
            if (expected == Verdict.Inconclusive) Assert.Contains("opposite", o.Reason);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void ChecksCarryTheirIdQuantityAndSource()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-verdict-{Guid.NewGuid():N}");
        try
        {
            var e = Ctx(dir).Check("rate", 0.95);
            Assert.Equal(("rate", "the rate's exponent", "Paper A, Thm 2", true), (e.CheckId, e.Name, e.Source, e.Passed));
            var h = Ctx(dir).Hypothesis("gap", 0.5);
            Assert.True(h.Holds);
            Assert.Equal(("certified relative gap", "Paper A, Thm 1"), (h.Quantity, h.Source));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void AnOutcomeThatSkipsADeclaredCheckOrControlIsIncomplete()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-verdict-{Guid.NewGuid():N}");
        try
        {
            var ctx = Ctx(dir);
            var o = new ClaimOutcome();
            o.Hypotheses.Add(ctx.Hypothesis("gap", 1));
            o.Numbers.Add(ctx.Check("small", 0.1));
            var missing = o.Missing(Def);
            Assert.Contains(missing, m => m.Contains("check 'rate'"));
            Assert.Contains(missing, m => m.Contains("control 'opposite'"));
            // a failed hypothesis lets the rule stop before its checks
            var stopped = new ClaimOutcome();
            stopped.Hypotheses.Add(ctx.Hypothesis("gap", 0));
            Assert.Empty(stopped.Missing(Def));
            Assert.Equal(Verdict.InvalidSetup, stopped.Verdict);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void ReportedNumbersCarryRegistryKeysAndTheRunnerRefusesAnUnknownKey()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-verdict-{Guid.NewGuid():N}");
        try
        {
            var keyed = new Rule(ctx =>
            {
                var o = Outcome(ctx, 0.7, 0.1, 1.0, 0.9);
                o.Numbers.Add(Evidence.Info("rho = prod ||W_k||_F", 12.5) with { Key = "rho" });
                o.Numbers.Add(Evidence.Info("stable rank of weight 1", 3.25) with { Key = "layer.1.stable_rank" });
                o.Numbers.Add(Evidence.Info("training accuracy", 1));   // no registry quantity: no key
                return o;
            });
            var wrong = new Rule(ctx => { var o = Outcome(ctx, 0.7, 0.1, 1.0, 0.9); o.Numbers.Add(Evidence.Info("accuracy", 1) with { Key = "train_acc" }); return o; });
            var summary = ClaimRunner.Run([(Def, keyed), (Def, wrong)], RunScale.Quick, 1, 1, dir);
            Assert.Equal([Verdict.Reproduced, Verdict.Error], summary.Claims.Select(c => c.Verdict));
            Assert.Contains("'train_acc', which is not a registry key", summary.Claims[1].Error);
            // summary.json keeps each key beside its prose label; every key given is a registry key
            var read = SummaryFile.Read(Path.Combine(dir, "summary.json"));
            var numbers = read.Claims[0].Numbers;
            Assert.Equal("rho", numbers.Single(e => e.Name.StartsWith("rho", StringComparison.Ordinal)).Key);
            Assert.Equal("layer.1.stable_rank", numbers.Single(e => e.Name.StartsWith("stable", StringComparison.Ordinal)).Key);
            Assert.Null(numbers.Single(e => e.Name == "training accuracy").Key);
            Assert.All(read.Claims.SelectMany(c => c.Numbers).Where(e => e.Key is not null),
                e => Assert.NotNull(Gradscope.Measures.Registry.MeasureRegistry.Find(e.Key!)));
            // the report shows the label
            Assert.Contains("stable rank of weight 1", File.ReadAllText(Path.Combine(dir, "report.html")));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void HypothesesCarryRegistryKeysAndTheRunnerRefusesAnUnknownOne()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-verdict-{Guid.NewGuid():N}");
        try
        {
            ClaimOutcome With(ClaimContext ctx, string? key)
            {
                var o = new ClaimOutcome();
                o.Hypotheses.Add(ctx.Hypothesis("gap", 0.7) with { Key = key });
                o.Numbers.Add(ctx.Check("small", 0.1));
                o.Numbers.Add(ctx.Check("rate", 1.0));
                o.Controls.Add(ctx.Control("opposite", ctx.Check("small", 0.9)));
                return o;
            }
            var summary = ClaimRunner.Run([(Def, new Rule(ctx => With(ctx, "train_loss"))), (Def, new Rule(ctx => With(ctx, null))), (Def, new Rule(ctx => With(ctx, "train_acc")))],
                RunScale.Quick, 1, 1, dir);
            Assert.Equal([Verdict.Reproduced, Verdict.Reproduced, Verdict.Error], summary.Claims.Select(c => c.Verdict));
            Assert.Contains("hypothesis 'gap' carries key 'train_acc', which is not a registry key", summary.Claims[2].Error);
            // summary.json keeps the key beside the hypothesis (none when the value is no registry quantity), and it is a registry key
            var read = SummaryFile.Read(Path.Combine(dir, "summary.json"));
            var keyed = read.Claims[0].Hypotheses.Single();
            Assert.Equal(("gap", 0.7, "train_loss"), (keyed.Name, keyed.Value, keyed.Key));
            Assert.Null(read.Claims[1].Hypotheses.Single().Key);
            Assert.NotNull(Gradscope.Measures.Registry.MeasureRegistry.Find(keyed.Key!));
            Assert.Contains("\"key\": \"train_loss\"", File.ReadAllText(Path.Combine(dir, "summary.json")));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void TheRunnerRefusesAnIncompleteOutcomeAndRecordsHypothesesAndControls()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-verdict-{Guid.NewGuid():N}");
        try
        {
            var full = new Rule(ctx => Outcome(ctx, 0.7, 0.1, 1.0, 0.9));
            var partial = new Rule(ctx => { var o = new ClaimOutcome(); o.Hypotheses.Add(ctx.Hypothesis("gap", 1)); o.Numbers.Add(ctx.Check("small", 0.1)); return o; });
            var summary = ClaimRunner.Run([(Def, full), (Def, partial)], RunScale.Quick, 1, 1, dir);
            Assert.Equal([Verdict.Reproduced, Verdict.Error], summary.Claims.Select(c => c.Verdict));
            Assert.Contains("check 'rate' was never evaluated", summary.Claims[1].Error);
            var read = SummaryFile.Read(Path.Combine(dir, "summary.json"));
            var c0 = read.Claims[0];
            Assert.Equal("gap", Assert.Single(c0.Hypotheses).Name);
            var control = Assert.Single(c0.Controls);
            Assert.True(control.Discriminates);
            Assert.Equal("small", Assert.Single(control.Checks).CheckId);
            Assert.Equal(2, c0.PaperTitles.Count);
            Assert.Contains("Theory III", c0.PaperTitles[0]);
            string html = File.ReadAllText(Path.Combine(dir, "report.html"));
            Assert.Contains("Negative controls", html);
            Assert.Contains("certified relative gap", html);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("quantity: \"the distance to the limit\"\n    ", "", "names no measured quantity")]
    [InlineData("source: \"Paper A, Thm 2\"", "", "checks.rate: missing key 'source'")]
    [InlineData("checks: [small]", "checks: []", "control 'opposite' has no check")]
    [InlineData("checks: [small]", "checks: [nope]", "names check 'nope', which the definition does not declare")]
    [InlineData("description: \"a variant where the theorem predicts no convergence\"\n    ", "", "controls.opposite: missing key 'description'")]
    [InlineData("quick: { n: 3 }", "quick: { n: 3 }\nbogus: 1", "unknown key 'bogus'")]
    public void MalformedDefinitionsAreErrorsNamingFileAndKey(string from, string to, string message)
    {
        Assert.Contains(from, V2);
        var e = Assert.Throws<InvalidDataException>(() => ClaimDefinition.Parse(V2.Replace(from, to), "claims/demo.yaml"));
        Assert.Contains("claims/demo.yaml", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void UndeclaredNamesInARuleAreErrors()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-verdict-{Guid.NewGuid():N}");
        try
        {
            var ctx = Ctx(dir);
            Assert.Throws<InvalidOperationException>(() => ctx.Check("nope", 1));
            Assert.Throws<InvalidOperationException>(() => ctx.Hypothesis("nope", 1));
            Assert.Throws<InvalidOperationException>(() => ctx.Control("nope", ctx.Check("small", 1)));
            Assert.Throws<InvalidOperationException>(() => ctx.Control("opposite", ctx.Check("rate", 1))); // not listed by the control
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    private sealed class Rule(Func<ClaimContext, ClaimOutcome> run) : IClaimRule
    {
        public string Id => "demo";
        public ClaimOutcome Run(ClaimContext context) => run(context);
    }
}
