using Gradscope.Claims;
using Gradscope.Report;

namespace Gradscope.Tests.Claims;

/// <summary>
/// Two-sided bracket checks (<c>op: in</c>, <c>value: [lo, hi]</c>) and hypotheses scoped to a control (the control's own
/// setup): load-time validation, the verdict each path gives, and what summary.json and the report show.
/// </summary>
public class ClaimBracketAndControlSetupTests
{
    private const string Yaml = """
        id: demo
        paper: "0"
        statement: >
          A demonstration claim.
        hypotheses:
          gap:
            quantity: "certified relative gap"
            op: ">="
            value: 0.5
            why: "the theorem assumes a gap"
            source: "Paper A, Thm 1"
          ratio_in_range:
            quantity: "parameter ratio of the two nets"
            op: in
            value: [0.9, 1.1]
            why: "the nets are matched"
            source: "Paper A, Sec. 2"
          control_phase:
            quantity: "fraction of the control run in the terminal phase"
            op: ">="
            value: 0.9
            why: "the control must also reach the terminal phase, or its checks say nothing"
            source: "Paper A, Thm 1"
            control: opposite
        checks:
          slope:
            quantity: "log-log slope"
            op: in
            value: [-1.2, -0.8]
            why: "the rate is 1/t"
            source: "Paper A, Thm 2"
        controls:
          opposite:
            description: "a variant where the theorem predicts no such rate"
            checks: [slope]
          other:
            description: "a second variant"
            checks: [slope]
        quick: { n: 3 }
        full: { n: 30 }
        """;

    private static ClaimDefinition Def => ClaimDefinition.Parse(Yaml, "demo.yaml");

    private static void InDir(Action<string> act)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-bracket-{Guid.NewGuid():N}");
        try { act(dir); }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData(-1.0, true)]
    [InlineData(-1.2, true)]      // closed at both ends
    [InlineData(-0.8, true)]
    [InlineData(-1.2000001, false)]
    [InlineData(-0.7999999, false)]
    [InlineData(-3.0, false)]
    [InlineData(0.5, false)]
    [InlineData(double.NaN, false)]
    [InlineData(double.NegativeInfinity, false)]
    public void BracketCheckPassesExactlyInsideTheClosedInterval(double slope, bool passes) => InDir(dir =>
    {
        var ctx = new ClaimContext(Def, "quick", 1, 1, dir);
        var e = ctx.Check("slope", slope);
        Assert.Equal("in", e.Comparison);
        Assert.Equal(-1.2, e.Threshold);
        Assert.Equal(-0.8, e.UpperThreshold);
        Assert.Equal(passes, e.Passed);
        var h = ctx.Hypothesis("ratio_in_range", slope + 2);   // the same bracket shifted by 2: [0.8, 1.2] vs [0.9, 1.1]
        Assert.Equal(slope + 2 >= 0.9 && slope + 2 <= 1.1, h.Holds);
        Assert.Equal(1.1, h.UpperThreshold);
    });

    private static ClaimOutcome Outcome(ClaimContext ctx, double gap = 1, double ratio = 1, double phase = 1, double slope = -1,
        double opposite = 0.5, double other = -3, bool runOpposite = true)
    {
        var o = new ClaimOutcome();
        o.Hypotheses.Add(ctx.Hypothesis("gap", gap));
        o.Hypotheses.Add(ctx.Hypothesis("ratio_in_range", ratio));
        if (o.Hypotheses.Any(h => !h.Holds)) return o;
        o.Hypotheses.Add(ctx.Hypothesis("control_phase", phase));
        o.Numbers.Add(ctx.Check("slope", slope));
        if (runOpposite) o.Controls.Add(ctx.Control("opposite", ctx.Check("slope", opposite)));
        o.Controls.Add(ctx.Control("other", ctx.Check("slope", other)));
        return o;
    }

    public static TheoryData<double, double, double, double, double, double, Verdict, string> Paths => new()
    {
        // gap, ratio, phase, slope, opposite control's slope, other control's slope -> verdict, a word of the reason
        { 1, 1, 1, -1, 0.5, -3, Verdict.Reproduced, "2 controls failed" },                    // both controls judged, both discriminate
        { 1, 1, 0.5, -1, 0.5, -3, Verdict.Inconclusive, "control opposite not judged" },      // the control's setup failed: at most inconclusive
        { 1, 1, 0.5, -1, -1, -3, Verdict.Inconclusive, "control opposite not judged" },       // not judged even though its checks pass
        { 1, 1, 0.5, -0.5, 0.5, -3, Verdict.NotReproduced, "slope" },                         // a check of the claim fails
        { 1, 1, 1, -1, -1, -3, Verdict.Inconclusive, "do not discriminate" },                 // a judged control passes the checks
        { 1, 1, 0.5, -1, 0.5, -1, Verdict.Inconclusive, "do not discriminate" },              // one not judged, the other blind
        { 0.1, 1, 0.5, -1, 0.5, -3, Verdict.InvalidSetup, "gap" },                           // a hypothesis of the claim fails
        { 1, 1.2, 1, -1, 0.5, -3, Verdict.InvalidSetup, "ratio_in_range = 1.2 (needs in [0.9, 1.1])" }, // outside its bracket
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void VerdictOfEachPath(double gap, double ratio, double phase, double slope, double opposite, double other, Verdict expected, string reason) => InDir(dir =>
    {
        var o = Outcome(new ClaimContext(Def, "quick", 1, 1, dir), gap, ratio, phase, slope, opposite, other);
        Assert.Equal(expected, o.Verdict);
        Assert.Contains(reason, o.Reason);
        Assert.Empty(o.Missing(Def));
        var controls = o.ControlResults(Def);
        if (gap >= 0.5 && ratio is >= 0.9 and <= 1.1)
        {
            var opp = controls.Single(c => c.Id == "opposite");
            Assert.Equal(phase >= 0.9, opp.Judged);
            if (!opp.Judged) { Assert.False(opp.Discriminates); Assert.Contains("control_phase = 0.5", opp.SetupFailure); }
            else Assert.Null(opp.SetupFailure);
        }
    });

    [Fact]
    public void AControlWhoseSetupFailedNeedNotRunAndIsReportedNotJudged() => InDir(dir =>
    {
        var o = Outcome(new ClaimContext(Def, "quick", 1, 1, dir), phase: 0.2, runOpposite: false);
        Assert.Empty(o.Missing(Def));
        Assert.Equal(Verdict.Inconclusive, o.Verdict);
        var opp = o.ControlResults(Def)[0];
        Assert.Equal("opposite", opp.Id);
        Assert.False(opp.Judged);
        Assert.Empty(opp.Checks);
        Assert.Equal("a variant where the theorem predicts no such rate", opp.Description);
        // a control whose setup holds must run
        var ran = Outcome(new ClaimContext(Def, "quick", 1, 1, dir), runOpposite: false);
        Assert.Contains("control 'opposite' was never run", ran.Missing(Def));
        // a claim hypothesis that fails lets the rule skip the control hypotheses; otherwise they must be certified
        Assert.Empty(Outcome(new ClaimContext(Def, "quick", 1, 1, dir), gap: 0).Missing(Def));
        var skipped = new ClaimOutcome();
        var ctx = new ClaimContext(Def, "quick", 1, 1, dir);
        skipped.Hypotheses.Add(ctx.Hypothesis("gap", 1));
        skipped.Hypotheses.Add(ctx.Hypothesis("ratio_in_range", 1));
        Assert.Contains("hypothesis 'control_phase' was never certified", skipped.Missing(Def));
    });

    [Fact]
    public void OnlyControlsNotJudgedIsInconclusiveSayingNoControlCouldBeJudged()
    {
        string yaml = Yaml.Replace("""
              other:
                description: "a second variant"
                checks: [slope]

            """.Replace("\r", ""), "");
        var def = ClaimDefinition.Parse(yaml, "demo.yaml");
        Assert.Single(def.Controls);
        InDir(dir =>
        {
            var ctx = new ClaimContext(def, "quick", 1, 1, dir);
            var o = new ClaimOutcome();
            o.Hypotheses.Add(ctx.Hypothesis("gap", 1));
            o.Hypotheses.Add(ctx.Hypothesis("ratio_in_range", 1));
            o.Hypotheses.Add(ctx.Hypothesis("control_phase", 0));
            o.Numbers.Add(ctx.Check("slope", -1));
            Assert.Empty(o.Missing(def));
            Assert.Equal(Verdict.Inconclusive, o.Verdict);
            Assert.Contains("no control could be judged", o.Reason);
        });
    }

    [Fact]
    public void SummaryAndReportShowBracketsAndControlsNotJudged() => InDir(dir =>
    {
        var rule = new Rule(ctx => Outcome(ctx, phase: 0.5, slope: -0.9));
        var summary = ClaimRunner.Run([(Def, rule)], RunScale.Quick, 1, 1, dir);
        Assert.Equal(Verdict.Inconclusive, summary.Claims[0].Verdict);
        string json = File.ReadAllText(Path.Combine(dir, "summary.json"));
        Assert.Contains("\"upperThreshold\": -0.8", json);
        Assert.Contains("\"comparison\": \"in\"", json);
        Assert.Contains("\"judged\": false", json);
        var read = SummaryFile.Read(Path.Combine(dir, "summary.json"));
        var c = read.Claims[0];
        var slope = c.Numbers.Single(n => n.CheckId == "slope");
        Assert.Equal((-1.2, -0.8), (slope.Threshold!.Value, slope.UpperThreshold!.Value));
        Assert.Equal("opposite", c.Hypotheses.Single(h => h.Name == "control_phase").Control);
        Assert.Null(c.Hypotheses.Single(h => h.Name == "gap").Control);
        var opp = c.Controls.Single(x => x.Id == "opposite");
        Assert.False(opp.Judged);
        Assert.True(c.Controls.Single(x => x.Id == "other").Judged);
        string html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("in [-1.2, -0.8]", html);
        Assert.Contains("not judged (its setup failed)", html);
        Assert.Contains("setup of control opposite", html);
    });

    [Theory]
    [InlineData("value: [-1.2, -0.8]", "value: [-0.8, -1.2]", "needs lo < hi")]
    [InlineData("value: [-1.2, -0.8]", "value: [-1, -1]", "needs lo < hi")]
    [InlineData("value: [-1.2, -0.8]", "value: [-1.2, 1e999]", "finite ends")]
    [InlineData("value: [-1.2, -0.8]", "value: [-1.2]", "needs value: [lo, hi]")]
    [InlineData("value: [-1.2, -0.8]", "value: [-1.2, -1, -0.8]", "needs value: [lo, hi]")]
    [InlineData("value: [-1.2, -0.8]", "value: -1", "needs value: [lo, hi]")]
    [InlineData("value: [-1.2, -0.8]", "value: [-1.2, x]", "must hold two numbers")]
    [InlineData("value: [-1.2, -0.8]", "value: [-1.2, .nan]", "must hold two numbers")]
    [InlineData("op: \">=\"\n    value: 0.5", "op: \">=\"\n    value: [0.5, 1]", "only op 'in' takes")]
    [InlineData("op: in\n    value: [0.9", "op: between\n    value: [0.9", ".op: must be one of <=, >=, <, >, =, in (in takes a bracket [lo, hi]), got 'between'")]
    [InlineData("control: opposite", "control: nope", "names control 'nope'")]
    public void MalformedBracketsAndControlScopesAreErrorsNamingFileLineAndKey(string from, string to, string message)
    {
        string yaml = Yaml.Replace("\r", "");
        Assert.Contains(from, yaml);
        int at = yaml.IndexOf(from, StringComparison.Ordinal);
        var e = Assert.Throws<InvalidDataException>(() => ClaimDefinition.Parse(yaml[..at] + to + yaml[(at + from.Length)..], "claims/demo.yaml"));
        Assert.Contains("claims/demo.yaml:", e.Message);
        Assert.Contains(message, e.Message);
        Assert.Matches(@"claims/demo\.yaml:\d+", e.Message);
        Assert.Contains(from.Contains("control") ? "hypotheses.control_phase" : from.Contains("0.5") ? "hypotheses.gap" : from.Contains("0.9") ? "hypotheses.ratio_in_range" : "checks.slope", e.Message);
    }

    [Fact]
    public void ControlKeyIsOnlyForHypotheses()
    {
        string yaml = Yaml.Replace("\r", "").Replace("    source: \"Paper A, Thm 2\"", "    source: \"Paper A, Thm 2\"\n    control: opposite");
        var e = Assert.Throws<InvalidDataException>(() => ClaimDefinition.Parse(yaml, "claims/demo.yaml"));
        Assert.Contains("checks.slope.control: unknown key 'control'", e.Message);
    }

    private sealed class Rule(Func<ClaimContext, ClaimOutcome> run) : IClaimRule
    {
        public string Id => "demo";
        public ClaimOutcome Run(ClaimContext context) => run(context);
    }
}
