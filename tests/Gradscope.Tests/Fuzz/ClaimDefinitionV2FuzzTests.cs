using Gradscope.Claims;
using Xunit.Abstractions;

namespace Gradscope.Tests.Fuzz;

/// <summary>
/// The claim-definition fuzz pass over the v2 format with bracket checks (<c>op: in</c>) and a hypothesis scoped to a
/// control: every mutated text parses to a definition whose brackets are finite with lo &lt; hi and whose control
/// hypotheses name a declared control, or fails with an InvalidDataException naming the file.
/// </summary>
public class ClaimDefinitionV2FuzzTests(ITestOutputHelper output)
{
    private const string Text = """
        id: fuzz
        paper: "0"
        statement: >
          A statement.
        hypotheses:
          matched:
            quantity: "a ratio"
            op: in
            value: [0.9, 1.1]
            why: "a reason"
            source: "a paper"
          control_setup:
            quantity: "a fraction"
            op: ">="
            value: 0.9
            why: "a reason"
            source: "a paper"
            control: opposite
        checks:
          slope:
            quantity: "a slope"
            op: in
            value: [-1.2, -0.8]
            why: "a reason"
            source: "a paper"
          drift:
            quantity: "a drift"
            op: "<="
            value: 1.0e-6
            why: "a reason"
            source: "a paper"
        controls:
          opposite:
            description: "a variant"
            checks: [slope, drift]
        quick:
          horizon: 20.0
        full:
          horizon: 40.0
        """;

    [Fact]
    public void V2DefinitionWithBracketsGivesAValidDefinitionOrANamedError()
    {
        var m = new Mutator(7707);
        var tally = new FuzzTally("claim definition (v2, brackets)", typeof(InvalidDataException), "claim.yaml");
        for (int i = 0; i < 300; i++)
        {
            var text = m.Text(Text, out var how);
            tally.Case(i, how, () =>
            {
                var d = ClaimDefinition.Parse(text, "claim.yaml");
                foreach (var t in d.Thresholds.Values.Concat(d.Hypotheses.Values))
                {
                    Assert.Equal(t.Op == "in", t.Upper is not null);
                    if (t.Upper is double hi) Assert.True(double.IsFinite(t.Value) && double.IsFinite(hi) && t.Value < hi);
                    else Assert.False(double.IsNaN(t.Value));
                    // a bracket never throws when judged
                    _ = t.Holds(0.95);
                }
                Assert.All(d.Hypotheses.Values.Where(h => h.Control is not null), h => Assert.Contains(d.Controls, c => c.Id == h.Control));
            });
        }
        tally.AssertClean(output, 100);
    }
}
