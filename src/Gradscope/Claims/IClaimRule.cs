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
    /// The verdict (THEORY.md section 6): invalid setup when a hypothesis of the claim fails; not reproduced when no
    /// check was made or one failed; inconclusive when every check passed but a judged control passed them too, a
    /// control could not be judged (a hypothesis of its own setup failed), or the claim has no control; reproduced
    /// otherwise.
    /// </summary>
    public Verdict Verdict => Judge().Verdict;

    /// <summary>One line saying why the verdict is what it is.</summary>
    public string Reason => Judge().Reason;

    /// <summary>
    /// The controls as judged: each control the rule ran, with <see cref="ControlResult.Judged"/> false (and
    /// <see cref="ControlResult.Discriminates"/> false) when a hypothesis of its own setup failed; a declared control whose
    /// setup failed and that the rule did not run is added, not judged, with its description from
    /// <paramref name="definition"/>. In definition order.
    /// </summary>
    public IReadOnlyList<ControlResult> ControlResults(ClaimDefinition definition)
    {
        var failed = FailedSetups();
        var result = new List<ControlResult>();
        foreach (var declared in definition.Controls)
        {
            var run = Controls.FirstOrDefault(c => c.Id == declared.Id);
            if (failed.TryGetValue(declared.Id, out string? why))
                result.Add((run ?? new ControlResult { Id = declared.Id, Description = declared.Description, Checks = [], Discriminates = false })
                    with { Judged = false, Discriminates = false, SetupFailure = why });
            else if (run is not null) result.Add(run);
        }
        result.AddRange(Controls.Where(c => definition.Controls.All(d => d.Id != c.Id)));
        return result;
    }

    // control id -> its failed setup hypotheses, in words
    private Dictionary<string, string> FailedSetups() => Hypotheses.Where(h => h.Control is not null && !h.Holds)
        .GroupBy(h => h.Control!).ToDictionary(g => g.Key, g => string.Join("; ", g.Select(Describe)));

    private static string Describe(HypothesisResult h) =>
        $"{h.Name} = {ClaimContext.Fmt(h.Value)} (needs {Evidence.Needs(h.Comparison, h.Threshold, h.UpperThreshold, ClaimContext.Fmt)})";

    private (Verdict Verdict, string Reason) Judge()
    {
        var broken = Hypotheses.Where(h => !h.Holds && h.Control is null).ToList();
        if (broken.Count > 0)
            return (Verdict.InvalidSetup, "hypothesis not met: " + string.Join("; ", broken.Select(Describe)));
        var checkedOnes = Numbers.Where(n => n.Passed is not null).ToList();
        if (checkedOnes.Count == 0) return (Verdict.NotReproduced, "nothing could be checked");
        var failed = checkedOnes.Where(n => n.Passed != true).ToList();
        if (failed.Count > 0)
            return (Verdict.NotReproduced, "check failed: " + string.Join("; ", failed.Select(e =>
                $"{e.CheckId ?? e.Name} = {ClaimContext.Fmt(e.Value)} (needs {Evidence.Needs(e.Comparison, e.Threshold ?? double.NaN, e.UpperThreshold, ClaimContext.Fmt)})")));
        var setups = FailedSetups();
        var judged = Controls.Where(c => !setups.ContainsKey(c.Id)).ToList();
        if (judged.Count == 0 && setups.Count == 0)
            return (Verdict.Inconclusive, "every check passed, but the claim has no negative control to show the checks can fail");
        var reasons = new List<string>();
        var blind = judged.Where(c => !c.Discriminates).ToList();
        if (blind.Count > 0)
            reasons.Add("the checks do not discriminate: control " + string.Join(", ", blind.Select(c => c.Id)) + " passes them too");
        if (setups.Count > 0)
            reasons.Add((judged.Count == 0 ? "no control could be judged: " : "") + string.Join("; ", setups.Select(kv =>
                $"control {kv.Key} not judged (its setup failed: {kv.Value})")) + ", so the checks are not shown to fail where the theory predicts the opposite");
        if (reasons.Count > 0) return (Verdict.Inconclusive, "every check passed, but " + string.Join("; and ", reasons));
        return (Verdict.Reproduced, $"{checkedOnes.Count} checks passed; {judged.Count} control{(judged.Count == 1 ? "" : "s")} failed them as the theory predicts");
    }

    /// <summary>
    /// What the outcome lacks against its definition: a declared hypothesis, check or control the rule never
    /// evaluated (checks may be skipped only when a hypothesis of the claim failed, and a control's checks only when a
    /// hypothesis of its own setup failed), or a check the definition does not declare.
    /// Empty when complete.
    /// </summary>
    public IReadOnlyList<string> Missing(ClaimDefinition definition)
    {
        var problems = new List<string>();
        var hyp = Hypotheses.Select(h => h.Name).ToHashSet();
        // a hypothesis of the claim that fails lets the rule stop early: its controls' setups need not be certified then
        bool stoppedEarly = Hypotheses.Any(h => !h.Holds && h.Control is null);
        foreach (var (name, h) in definition.Hypotheses.Where(h => !hyp.Contains(h.Key)))
            if (!(stoppedEarly && h.Control is not null)) problems.Add($"hypothesis '{name}' was never certified");
        // a legacy definition's rule may skip checks it cannot make
        if (definition.Legacy || stoppedEarly) return problems;
        var checks = Numbers.Where(n => n.CheckId is not null).Select(n => n.CheckId!).ToHashSet();
        foreach (var c in definition.Thresholds.Keys.Where(c => !checks.Contains(c)))
            problems.Add($"check '{c}' was never evaluated");
        var setups = FailedSetups();
        foreach (var control in definition.Controls)
        {
            if (setups.ContainsKey(control.Id)) continue;   // not judged: its checks may be missing, the control may not have run
            var run = Controls.FirstOrDefault(c => c.Id == control.Id);
            if (run is null) { problems.Add($"control '{control.Id}' was never run"); continue; }
            var done = run.Checks.Select(e => e.CheckId).ToHashSet();
            foreach (var c in control.Checks.Where(c => !done.Contains(c)))
                problems.Add($"control '{control.Id}' did not evaluate check '{c}'");
        }
        return problems;
    }
}
