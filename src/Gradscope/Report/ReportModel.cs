using System.Text.Json.Nodes;

namespace Gradscope.Report;

// The report model: what `gradscope reproduce` writes to summary.json and what report.html is
// rendered from. Plain records so that System.Text.Json reads and writes them without custom code
// (see SummaryFile for the serializer options: camelCase names, kebab-case enum values).

/// <summary>Outcome of one claim (THEORY.md section 6): the verdict follows from the measurement.</summary>
public enum Verdict
{
    /// <summary>Every check the claim's verdict rule makes passed.</summary>
    Reproduced,
    /// <summary>The measurement does not support the claim.</summary>
    NotReproduced,
    /// <summary>The experiment failed to run (exception, divergence); see <see cref="ClaimResult.Error"/>.</summary>
    Error,
    /// <summary>Every check passed, but a negative control passed them too (the checks do not discriminate), or the claim has no control.</summary>
    Inconclusive,
    /// <summary>A hypothesis of the theorem did not hold on the run, so the checks do not test the theorem; see <see cref="ClaimResult.VerdictReason"/>.</summary>
    InvalidSetup,
}

/// <summary>Size of a reproduction run: quick (minutes, small sizes) or full (the sizes of the papers).</summary>
public enum RunScale
{
    /// <summary>Reduced sizes and step counts.</summary>
    Quick,
    /// <summary>Full sizes and step counts.</summary>
    Full,
}

/// <summary>The facts of one reproduction run and the result of each claim; the content of summary.json.</summary>
public sealed record RunSummary
{
    /// <summary>Gradscope version that produced the run (e.g. "0.1.0+abc1234").</summary>
    public required string ToolVersion { get; init; }
    /// <summary>When the run started.</summary>
    public required DateTimeOffset Started { get; init; }
    /// <summary>When the run finished.</summary>
    public required DateTimeOffset Finished { get; init; }
    /// <summary>Quick or full sizes.</summary>
    public required RunScale Scale { get; init; }
    /// <summary>Master seed; same seed and same thread count give bit-identical results.</summary>
    public required ulong Seed { get; init; }
    /// <summary>Worker threads used.</summary>
    public required int Threads { get; init; }
    /// <summary>One-line description of the machine (CPU model, cores, OS, .NET version).</summary>
    public required string Machine { get; init; }
    /// <summary>Wall-clock duration of the whole run, in seconds.</summary>
    public required double WallSeconds { get; init; }
    /// <summary>The claims in the order they ran.</summary>
    public required IReadOnlyList<ClaimResult> Claims { get; init; }
}

/// <summary>The result of one claim: verdict, the numbers behind it, and its figures.</summary>
public sealed record ClaimResult
{
    /// <summary>Claim id from THEORY.md section 6 (e.g. "linear-max-margin"); also the HTML anchor of its section.</summary>
    public required string Id { get; init; }
    /// <summary>The claim in one or two sentences.</summary>
    public required string Statement { get; init; }
    /// <summary>The paper(s) the claim comes from.</summary>
    public required string Paper { get; init; }
    /// <summary>The paper numbers resolved to full references (empty in summaries written before they were recorded).</summary>
    public IReadOnlyList<string> PaperTitles { get; init; } = [];
    /// <summary>Reproduced, not reproduced, inconclusive, invalid setup, or error.</summary>
    public required Verdict Verdict { get; init; }
    /// <summary>One line saying why the verdict is what it is (which hypothesis failed, which check failed, which control did not discriminate).</summary>
    public string? VerdictReason { get; init; }
    /// <summary>The theorem's hypotheses as certified on the run (a failed one makes the verdict invalid setup).</summary>
    public IReadOnlyList<HypothesisResult> Hypotheses { get; init; } = [];
    /// <summary>The negative controls: variants where the theory predicts the opposite, judged by the same checks.</summary>
    public IReadOnlyList<ControlResult> Controls { get; init; } = [];
    /// <summary>Error message (and where it arose) when <see cref="Verdict"/> is <see cref="Verdict.Error"/>; otherwise null.</summary>
    public string? Error { get; init; }
    /// <summary>Wall-clock time the claim took, in seconds.</summary>
    public double WallSeconds { get; init; }
    /// <summary>The measured numbers, each with its threshold and whether it passed.</summary>
    public IReadOnlyList<Evidence> Numbers { get; init; } = [];
    /// <summary>The figures (Vega-Lite specs with inline data).</summary>
    public IReadOnlyList<ChartSpec> Charts { get; init; } = [];
    /// <summary>Free-text remarks (settings, caveats); null if none.</summary>
    public string? Notes { get; init; }
}

/// <summary>
/// One measured number behind a verdict: <c>Value Comparison Threshold</c> (e.g. angle(T) &lt;= 0.05), a two-sided
/// bracket <c>Threshold &lt;= Value &lt;= UpperThreshold</c> (comparison "in"), or a plain reported number when
/// <see cref="Threshold"/> is null. Build with <see cref="Check"/> or
/// <see cref="Info"/>.
/// </summary>
public sealed record Evidence
{
    /// <summary>Name of the quantity, with its symbol (e.g. "angle(w(T), w_svm) [rad]").</summary>
    public required string Name { get; init; }
    /// <summary>Measured value (may be NaN or infinite; summary.json writes those as "NaN", "Infinity").</summary>
    public required double Value { get; init; }
    /// <summary>Threshold the value is compared with (the lower end of a bracket); null for a plain number.</summary>
    public double? Threshold { get; init; }
    /// <summary>The upper end of a bracket (comparison "in"); null otherwise.</summary>
    public double? UpperThreshold { get; init; }
    /// <summary>One of "&lt;=", "&gt;=", "&lt;", "&gt;", "=", "in" (a closed bracket [Threshold, UpperThreshold]); null for a plain number.</summary>
    public string? Comparison { get; init; }
    /// <summary>Whether the check passed; null for a plain number.</summary>
    public bool? Passed { get; init; }
    /// <summary>One line: why this check and threshold decide the claim.</summary>
    public string Justification { get; init; } = "";
    /// <summary>The id of the predeclared check in the claim definition (null for a plain number).</summary>
    public string? CheckId { get; init; }
    /// <summary>The literature statement the check operationalizes (paper, theorem); null for a plain number.</summary>
    public string? Source { get; init; }
    /// <summary>
    /// The registry key of the quantity (<c>gradscope measures</c>, docs/measure.md; e.g. "rho", "test_error",
    /// "layer.1.stable_rank") when the number is exactly one, so summary.json names it as every other file does; null
    /// otherwise. The report shows <see cref="Name"/>. The claim runner refuses a key that is not in the registry.
    /// </summary>
    public string? Key { get; init; }

    /// <summary>The one-sided comparison operators <see cref="Check"/> accepts (a bracket uses <see cref="CheckIn"/>).</summary>
    public static IReadOnlyList<string> Comparisons { get; } = ["<=", ">=", "<", ">", "="];

    /// <summary>The comparison of a two-sided bracket: lo &lt;= value &lt;= hi.</summary>
    public const string Bracket = "in";

    /// <summary>
    /// A checked number: Passed = (value comparison threshold). NaN never passes. "=" is exact
    /// equality (use it for counts, e.g. training errors = 0).
    /// </summary>
    /// <exception cref="ArgumentException">The comparison is not one of <see cref="Comparisons"/>.</exception>
    public static Evidence Check(string name, double value, string comparison, double threshold, string justification) => new()
    {
        Name = name, Value = value, Comparison = comparison, Threshold = threshold,
        Passed = Compare(value, comparison, threshold), Justification = justification,
    };

    /// <summary>A checked number against a closed bracket: Passed = (lo &lt;= value &lt;= hi); NaN never passes.</summary>
    /// <exception cref="ArgumentException">The bracket is not finite with lo &lt; hi.</exception>
    public static Evidence CheckIn(string name, double value, double lo, double hi, string justification) => new()
    {
        Name = name, Value = value, Comparison = Bracket, Threshold = lo, UpperThreshold = hi,
        Passed = Compare(value, Bracket, lo, hi), Justification = justification,
    };

    /// <summary>
    /// Evaluates <c>value comparison threshold</c>, or for "in" the closed bracket <c>threshold &lt;= value &lt;= upper</c>;
    /// false when the value is NaN.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown comparison, or "in" without a finite bracket lo &lt; hi.</exception>
    public static bool Compare(double value, string comparison, double threshold, double? upper)
    {
        if (comparison != Bracket) return Compare(value, comparison, threshold);
        if (upper is not double hi || !double.IsFinite(threshold) || !double.IsFinite(hi) || !(threshold < hi))
            throw new ArgumentException($"a bracket needs finite ends lo < hi, got [{threshold}, {upper?.ToString() ?? "none"}].", nameof(upper));
        return value >= threshold && value <= hi;
    }

    /// <summary>What a check or hypothesis needs, in words: "&lt;= 0.05", or "in [1.7, 2.3]" for a bracket.</summary>
    public static string Needs(string? comparison, double threshold, double? upper, Func<double, string> number) =>
        comparison == Bracket && upper is double hi ? $"in [{number(threshold)}, {number(hi)}]" : $"{comparison} {number(threshold)}";

    /// <summary>A reported number without a threshold (context for the reader, not part of the verdict).</summary>
    public static Evidence Info(string name, double value, string justification = "") => new()
    {
        Name = name, Value = value, Justification = justification,
    };

    /// <summary>Evaluates <c>value comparison threshold</c>; false when either side is NaN.</summary>
    /// <exception cref="ArgumentException">The comparison is not one of <see cref="Comparisons"/>.</exception>
    public static bool Compare(double value, string comparison, double threshold) => comparison switch
    {
        "<=" => value <= threshold,
        ">=" => value >= threshold,
        "<" => value < threshold,
        ">" => value > threshold,
        "=" => value == threshold,
        _ => throw new ArgumentException(
            $"Evidence comparison '{comparison}' is not one of {string.Join(", ", Comparisons)}.", nameof(comparison)),
    };
}

/// <summary>
/// A hypothesis of the theorem a claim tests, certified on the actual run: <c>Value Comparison Threshold</c>
/// must hold for the checks to test the theorem.
/// </summary>
public sealed record HypothesisResult
{
    /// <summary>The hypothesis id in the claim definition (e.g. "separation_gap").</summary>
    public required string Name { get; init; }
    /// <summary>What was measured to certify it (e.g. "relative gap delta between support vectors and the next point").</summary>
    public required string Quantity { get; init; }
    /// <summary>The measured value.</summary>
    public required double Value { get; init; }
    /// <summary>One of "&lt;=", "&gt;=", "&lt;", "&gt;", "=", "in" (a closed bracket [Threshold, UpperThreshold]).</summary>
    public required string Comparison { get; init; }
    /// <summary>The bound the value must satisfy (the lower end of a bracket).</summary>
    public required double Threshold { get; init; }
    /// <summary>The upper end of a bracket (comparison "in"); null otherwise.</summary>
    public double? UpperThreshold { get; init; }
    /// <summary>
    /// The control this hypothesis belongs to (the control's own setup, e.g. "the control run also reached the terminal
    /// phase"), or null for a hypothesis of the claim. A control hypothesis that fails leaves that control not judged
    /// and the claim at most inconclusive; a claim hypothesis that fails makes the claim invalid setup.
    /// </summary>
    public string? Control { get; init; }
    /// <summary>Whether the hypothesis holds on the run (NaN never holds).</summary>
    public required bool Holds { get; init; }
    /// <summary>Why the theorem needs it.</summary>
    public string Justification { get; init; } = "";
    /// <summary>The literature statement whose hypothesis this is.</summary>
    public string Source { get; init; } = "";
    /// <summary>
    /// The registry key of the measured quantity (<c>gradscope measures</c>; e.g. "train_loss", "rho", "svm.margin") when
    /// <see cref="Value"/> is exactly one (for a worst case over runs: that run's value), as for <see cref="Evidence.Key"/>;
    /// null otherwise. The claim runner refuses a key that is not in the registry.
    /// </summary>
    public string? Key { get; init; }
}

/// <summary>
/// A negative control of a claim: a variant where the theory predicts the opposite, judged by the same
/// checks. It discriminates when at least one of its checks fails; a control that passes every check
/// makes the claim's verdict inconclusive.
/// </summary>
public sealed record ControlResult
{
    /// <summary>The control id in the claim definition (e.g. "square-loss").</summary>
    public required string Id { get; init; }
    /// <summary>What the variant is and what the theory predicts for it.</summary>
    public required string Description { get; init; }
    /// <summary>The claim's checks evaluated on the control.</summary>
    public required IReadOnlyList<Evidence> Checks { get; init; }
    /// <summary>True when the control was judged and at least one check fails on it (the checks tell the claim from its opposite).</summary>
    public required bool Discriminates { get; init; }
    /// <summary>False when a hypothesis of the control's own setup failed: its checks say nothing, and it neither discriminates nor fails to.</summary>
    public bool Judged { get; init; } = true;
    /// <summary>Why the control was not judged (its failed setup hypotheses with their values); null when judged.</summary>
    public string? SetupFailure { get; init; }
}

/// <summary>
/// One figure of a claim: a Vega-Lite spec with its data inline (see <see cref="Charts"/> for
/// builders), rendered in the report with vega-embed.
/// </summary>
public sealed record ChartSpec
{
    /// <summary>Id unique within the claim (e.g. "angle"); the chart's element id is "{claim id}--{chart id}".</summary>
    public required string Id { get; init; }
    /// <summary>Title shown above the chart.</summary>
    public required string Title { get; init; }
    /// <summary>Caption below the chart: what is plotted and what the claim predicts.</summary>
    public string Caption { get; init; } = "";
    /// <summary>The Vega-Lite spec, data values inline.</summary>
    public required JsonObject VegaLite { get; init; }
}
