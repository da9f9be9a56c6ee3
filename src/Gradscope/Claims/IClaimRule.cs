namespace Gradscope.Claims;

using Gradscope.Report;

/// <summary>
/// The verdict rule of one claim: runs the claim's experiments through the shared trainer and
/// probes, and turns the measurements into evidence (each number beside its predeclared
/// threshold) and figures. The verdict is "reproduced" exactly when every checked number passes.
/// </summary>
public interface IClaimRule
{
    /// <summary>The claim id this rule judges (matches Claims/Definitions/&lt;id&gt;.yaml).</summary>
    string Id { get; }

    /// <summary>Runs the experiments and measures; returns the evidence and charts.</summary>
    ClaimOutcome Run(ClaimContext context);
}

/// <summary>What a verdict rule found: the numbers behind the verdict and the figures that show it.</summary>
public sealed class ClaimOutcome
{
    /// <summary>Measured numbers (checked ones decide the verdict; Info ones give context).</summary>
    public List<Evidence> Numbers { get; } = new();
    /// <summary>Figures.</summary>
    public List<ChartSpec> Charts { get; } = new();
    /// <summary>Settings and caveats worth a reader's attention.</summary>
    public List<string> Notes { get; } = new();

    /// <summary>Reproduced when at least one number was checked and every checked number passed.</summary>
    public Verdict Verdict
    {
        get
        {
            var checkedOnes = Numbers.Where(n => n.Passed is not null).ToList();
            return checkedOnes.Count > 0 && checkedOnes.All(n => n.Passed == true) ? Verdict.Reproduced : Verdict.NotReproduced;
        }
    }
}
