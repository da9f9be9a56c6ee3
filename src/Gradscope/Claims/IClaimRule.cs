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

/// <summary>
/// What a verdict rule found: the hypotheses certified on the run, the numbers behind the verdict (checked
/// ones and context), the negative controls judged by the same checks, and the figures.
/// </summary>
public sealed class ClaimOutcome
{
    /// <summary>The theorem's hypotheses as certified on the run (<see cref="ClaimContext.Hypothesis"/>).</summary>
    public List<HypothesisResult> Hypotheses { get; } = new();
    /// <summary>Measured numbers (checked ones decide the verdict; Info ones give context).</summary>
    public List<Evidence> Numbers { get; } = new();
    /// <summary>The negative controls (<see cref="ClaimContext.Control"/>).</summary>
    public List<ControlResult> Controls { get; } = new();
    /// <summary>Figures.</summary>
    public List<ChartSpec> Charts { get; } = new();
    /// <summary>Settings and caveats worth a reader's attention.</summary>
    public List<string> Notes { get; } = new();

    /// <summary>
    /// The verdict (THEORY.md section 6): invalid setup when a hypothesis fails; not reproduced when no check
    /// was made or one failed; inconclusive when every check passed but a control passed them too (or the
    /// claim has no control); reproduced otherwise.
    /// </summary>
    public Verdict Verdict => Judge().Verdict;

    /// <summary>One line saying why the verdict is what it is.</summary>
    public string Reason => Judge().Reason;

    private (Verdict Verdict, string Reason) Judge()
    {
        var broken = Hypotheses.Where(h => !h.Holds).ToList();
        if (broken.Count > 0)
            return (Verdict.InvalidSetup, "hypothesis not met: " + string.Join("; ", broken.Select(h =>
                $"{h.Name} = {ClaimContext.Fmt(h.Value)} (needs {h.Comparison} {ClaimContext.Fmt(h.Threshold)})")));
        var checkedOnes = Numbers.Where(n => n.Passed is not null).ToList();
        if (checkedOnes.Count == 0) return (Verdict.NotReproduced, "nothing could be checked");
        var failed = checkedOnes.Where(n => n.Passed != true).ToList();
        if (failed.Count > 0)
            return (Verdict.NotReproduced, "check failed: " + string.Join("; ", failed.Select(e =>
                $"{e.CheckId ?? e.Name} = {ClaimContext.Fmt(e.Value)} (needs {e.Comparison} {ClaimContext.Fmt(e.Threshold ?? double.NaN)})")));
        if (Controls.Count == 0) return (Verdict.Inconclusive, "every check passed, but the claim has no negative control to show the checks can fail");
        var blind = Controls.Where(c => !c.Discriminates).ToList();
        if (blind.Count > 0)
            return (Verdict.Inconclusive, "the checks do not discriminate: control " + string.Join(", ", blind.Select(c => c.Id)) + " passes them too");
        return (Verdict.Reproduced, $"{checkedOnes.Count} checks passed; {Controls.Count} control{(Controls.Count == 1 ? "" : "s")} failed them as the theory predicts");
    }

    /// <summary>
    /// What the outcome lacks against its definition: a declared hypothesis, check or control the rule never
    /// evaluated (checks may be skipped only when a hypothesis failed), or a check the definition does not declare.
    /// Empty when complete.
    /// </summary>
    public IReadOnlyList<string> Missing(ClaimDefinition definition)
    {
        var problems = new List<string>();
        var hyp = Hypotheses.Select(h => h.Name).ToHashSet();
        foreach (var h in definition.Hypotheses.Keys.Where(h => !hyp.Contains(h)))
            problems.Add($"hypothesis '{h}' was never certified");
        // a legacy definition's rule may skip checks it cannot make; a hypothesis that fails lets the rule stop early
        if (definition.Legacy || Hypotheses.Any(h => !h.Holds)) return problems;
        var checks = Numbers.Where(n => n.CheckId is not null).Select(n => n.CheckId!).ToHashSet();
        foreach (var c in definition.Thresholds.Keys.Where(c => !checks.Contains(c)))
            problems.Add($"check '{c}' was never evaluated");
        foreach (var control in definition.Controls)
        {
            var run = Controls.FirstOrDefault(c => c.Id == control.Id);
            if (run is null) { problems.Add($"control '{control.Id}' was never run"); continue; }
            var done = run.Checks.Select(e => e.CheckId).ToHashSet();
            foreach (var c in control.Checks.Where(c => !done.Contains(c)))
                problems.Add($"control '{control.Id}' did not evaluate check '{c}'");
        }
        return problems;
    }
}
