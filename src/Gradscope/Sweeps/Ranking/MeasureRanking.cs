using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Gradscope.Sweeps.Ranking;

/// <summary>Settings of <see cref="MeasureRanking.Score"/>.</summary>
public sealed record RankingOptions
{
    /// <summary>Test-set size n behind each gap, for the sign error's Hoeffding weights (the reference code: 10,000).</summary>
    public int TestSize { get; init; } = 10_000;
    /// <summary>Minimum effective sample size of a sign-error environment (the reference code: 12).</summary>
    public double MinEffectiveSampleSize { get; init; } = 12;
    /// <summary>The every-pair sign-error variant drops pairs whose gaps differ by at most this.</summary>
    public double MinGapDifference { get; init; }
    /// <summary>A measure finite on fewer than this share of the points is listed after every measure that reaches it.</summary>
    public double MinCoverage { get; init; } = 0.9;

    /// <summary>Throws ArgumentOutOfRangeException naming the first invalid setting.</summary>
    public void Validate()
    {
        if (TestSize < 1) throw new ArgumentOutOfRangeException(nameof(TestSize), TestSize, "ranking: the test-set size must be >= 1.");
        if (!(MinEffectiveSampleSize >= 0) || double.IsInfinity(MinEffectiveSampleSize)) throw new ArgumentOutOfRangeException(nameof(MinEffectiveSampleSize), MinEffectiveSampleSize, "ranking: the minimum effective sample size must be finite and >= 0.");
        if (!(MinGapDifference >= 0)) throw new ArgumentOutOfRangeException(nameof(MinGapDifference), MinGapDifference, "ranking: the minimum gap difference must be >= 0.");
        if (!(MinCoverage >= 0 && MinCoverage <= 1)) throw new ArgumentOutOfRangeException(nameof(MinCoverage), MinCoverage, "ranking: the minimum coverage is a share in [0, 1].");
    }
}

/// <summary>How well one measure ranks the generalization gap across a sweep.</summary>
/// <param name="Measure">Measure name.</param>
/// <param name="Points">Points with a finite value of the measure.</param>
/// <param name="Coverage">Points / every finished point of the sweep.</param>
/// <param name="Tau">Kendall tau_a(measure, gap) over all points (Jiang et al. 2020, eq. 3).</param>
/// <param name="GranulatedTau">Psi of <see cref="Ranking.GranulatedTau.Compute"/> (the paper's form).</param>
/// <param name="TauPerHyperparameter">Psi_k per hyperparameter.</param>
/// <param name="Cmi">PGDL conditional mutual information score (<see cref="ConditionalMutualInformation"/>).</param>
/// <param name="SignError">Sign error with Monte Carlo noise filtering (<see cref="Ranking.SignError.Compute"/>).</param>
/// <param name="TauB">Variant: Kendall tau_b over all points.</param>
/// <param name="GranulatedTauBSeedsPooled">Variant "granulated tau-b, seeds pooled" (<see cref="Ranking.GranulatedTau.ComputeTauBSeedsPooled"/>).</param>
/// <param name="SignErrorEveryPair">Variant "sign error, every pair kept" (<see cref="Ranking.SignError.ComputeEveryPair"/>).</param>
public sealed record MeasureScore(string Measure, int Points, double Coverage, double Tau, double GranulatedTau,
    IReadOnlyDictionary<string, double> TauPerHyperparameter, double Cmi, SignError.Summary SignError,
    double TauB, double GranulatedTauBSeedsPooled, SignError.Summary SignErrorEveryPair);

/// <summary>Scores every measure against the generalization gap and writes the table as CSV, JSON and an HTML fragment.</summary>
public static class MeasureRanking
{
    /// <summary>One <see cref="MeasureScore"/> per measure name present in any point (standard errors, keys ending in
    /// <c>_stderr</c>, are not measures and are skipped). A measure is scored on the points
    /// where it is finite; its coverage is that count over all <paramref name="points"/>. Sorted: measures with coverage
    /// at least <see cref="RankingOptions.MinCoverage"/> first, each block by |granulated tau| descending.</summary>
    public static IReadOnlyList<MeasureScore> Score(IReadOnlyList<RankedPoint> points, RankingOptions? options = null)
    {
        var o = options ?? new RankingOptions();
        o.Validate();
        // NOTE: a key ending in _stderr is the standard error of another key's Monte Carlo estimate (Hutchinson, SLQ,
        // flatness searches): an uncertainty of a measure, not a measure, so it is not ranked.
        var names = points.SelectMany(p => p.Measures.Keys).Where(k => !IsStandardError(k)).Distinct().Order(StringComparer.Ordinal);
        var scores = new List<MeasureScore>();
        foreach (var name in names)
        {
            var ps = points.Where(p => p.Measures.TryGetValue(name, out var v) && double.IsFinite(v)).ToList();
            var mu = ps.Select(p => p.Measures[name]).ToArray();
            var gap = ps.Select(p => p.Gap).ToArray();
            var (psi, per) = GranulatedTau.Compute(ps, name);
            scores.Add(new MeasureScore(name, ps.Count, points.Count == 0 ? 0 : (double)ps.Count / points.Count,
                KendallTau.TauA(mu, gap), psi, per, ConditionalMutualInformation.Score(ps, name),
                SignError.Compute(ps, name, o.TestSize, o.MinEffectiveSampleSize),
                KendallTau.TauB(mu, gap), GranulatedTau.ComputeTauBSeedsPooled(ps, name).Psi,
                SignError.ComputeEveryPair(ps, name, o.MinGapDifference)));
        }
        return scores
            .OrderBy(s => s.Coverage >= o.MinCoverage ? 0 : 1)
            .ThenByDescending(s => double.IsNaN(s.GranulatedTau) ? -1 : Math.Abs(s.GranulatedTau))
            .ThenBy(s => s.Measure, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether <paramref name="key"/> names the standard error of another key's estimate (it ends in <c>_stderr</c>).</summary>
    public static bool IsStandardError(string key) => key.EndsWith("_stderr", StringComparison.Ordinal);

    static string F(double x) => double.IsNaN(x) ? "" : x.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Column names of the console and HTML table (the paper forms).</summary>
    public static readonly string[] Columns = ["measure", "points", "coverage", "tau", "granulated_tau", "cmi", "sign_error_max", "sign_error_mean", "sign_error_median", "sign_error_p90", "environments"];

    /// <summary>Further CSV columns: the named variants.</summary>
    public static readonly string[] VariantColumns = ["tau_b", "granulated_tau_b_seeds_pooled", "sign_error_every_pair_max", "sign_error_every_pair_mean", "sign_error_every_pair_median", "sign_error_every_pair_p90", "every_pair_environments"];

    /// <summary>Row cells in <see cref="Columns"/> order (empty for NaN).</summary>
    public static string[] Cells(MeasureScore s) =>
        [s.Measure, s.Points.ToString(CultureInfo.InvariantCulture), F(s.Coverage), F(s.Tau), F(s.GranulatedTau), F(s.Cmi),
         F(s.SignError.Max), F(s.SignError.Mean), F(s.SignError.Median), F(s.SignError.P90), s.SignError.Environments.ToString(CultureInfo.InvariantCulture)];

    /// <summary>Row cells in <see cref="VariantColumns"/> order (empty for NaN).</summary>
    public static string[] VariantCells(MeasureScore s) =>
        [F(s.TauB), F(s.GranulatedTauBSeedsPooled), F(s.SignErrorEveryPair.Max), F(s.SignErrorEveryPair.Mean), F(s.SignErrorEveryPair.Median),
         F(s.SignErrorEveryPair.P90), s.SignErrorEveryPair.Environments.ToString(CultureInfo.InvariantCulture)];

    /// <summary>CSV text (header + one row per measure): <see cref="Columns"/> then <see cref="VariantColumns"/>.</summary>
    public static string ToCsv(IReadOnlyList<MeasureScore> scores)
    {
        var sb = new StringBuilder(string.Join(',', Columns.Concat(VariantColumns))).Append('\n');
        foreach (var s in scores)
            sb.Append(string.Join(',', Cells(s).Concat(VariantCells(s)).Select(c => c.Contains(',') || c.Contains('"') ? "\"" + c.Replace("\"", "\"\"") + "\"" : c))).Append('\n');
        return sb.ToString();
    }

    /// <summary>JSON text: an array of objects with every score (NaN written as null), per-hyperparameter Psi_k and the named variants included;
    /// <paramref name="unreached"/> lists the finished points stopped by their cap before their training target (not scored).</summary>
    public static string ToJson(IReadOnlyList<MeasureScore> scores, RankingOptions? options = null, IReadOnlyList<int>? unreached = null)
    {
        var o = options ?? new RankingOptions();
        static double? N(double x) => double.IsFinite(x) ? x : null;
        static object Se(SignError.Summary s) => new { environments = s.Environments, max = N(s.Max), mean = N(s.Mean), median = N(s.Median), p90 = N(s.P90) };
        var rows = scores.Select(s => new
        {
            measure = s.Measure, points = s.Points, coverage = s.Coverage, below_min_coverage = s.Coverage < o.MinCoverage,
            tau = N(s.Tau), granulated_tau = N(s.GranulatedTau),
            granulated_tau_per_hyperparameter = s.TauPerHyperparameter.ToDictionary(kv => kv.Key, kv => N(kv.Value)),
            cmi = N(s.Cmi),
            sign_error = Se(s.SignError),
            variants = new Dictionary<string, object?>
            {
                ["tau-b"] = N(s.TauB),
                ["granulated tau-b, seeds pooled"] = N(s.GranulatedTauBSeedsPooled),
                ["sign error, every pair kept"] = Se(s.SignErrorEveryPair),
            },
        });
        var doc = new
        {
            definitions = new
            {
                tau = "Kendall tau-a over all points (Jiang et al. 2020, eq. 3)",
                granulated_tau = "Jiang et al. 2020 eq. 4: tau-a within groups of one net per value of the varied hyperparameter (other hyperparameters and seed fixed), mean per hyperparameter, then over hyperparameters",
                cmi = "PGDL conditional mutual information score, min over pairs of non-constant hyperparameters",
                sign_error = "Dziugaite et al. 2020: Hoeffding-weighted pairs, environments with effective sample size below the minimum dropped; median and p90 over both directions of each environment",
                test_size = o.TestSize, min_effective_sample_size = o.MinEffectiveSampleSize, min_gap_difference_every_pair = o.MinGapDifference, min_coverage = o.MinCoverage,
                unreached_target = "finished points whose step or time cap stopped them before their training target (Jiang et al. 2020 compare nets trained to one cross-entropy): not scored, counted in every coverage's denominator",
            },
            points_unreached_target = unreached ?? [],
            measures = rows,
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>HTML fragment (a section with a table) for the report; <paramref name="unreached"/>: the points not scored because
    /// their cap stopped them before their training target.</summary>
    public static string ToHtml(IReadOnlyList<MeasureScore> scores, int points, RankingOptions? options = null, IReadOnlyList<int>? unreached = null)
    {
        var o = options ?? new RankingOptions();
        var sb = new StringBuilder();
        sb.Append("<section class=\"measure-ranking\">\n<h2>Measures against the generalization gap</h2>\n");
        sb.Append(string.Create(CultureInfo.InvariantCulture, $"<p>{points} finished points; gap = train accuracy - test accuracy. coverage: share of the points where the measure is finite (below {o.MinCoverage:G3}: listed last). tau: Kendall tau-a (Jiang et al. 2020, eq. 3); granulated tau: Jiang et al. 2020 eq. 4, tau-a within groups of one net per value of one hyperparameter (the others and the seed fixed), averaged per hyperparameter then over hyperparameters; CMI: conditional mutual information score of PGDL (minimum over pairs of non-constant hyperparameters); sign error: Dziugaite et al. 2020 over pairs of configurations differing in one hyperparameter, pairs Hoeffding-weighted for a test set of {o.TestSize} examples, environments with effective sample size below {o.MinEffectiveSampleSize:G3} dropped (max = the robust worst case). The variants (tau-b, granulated tau-b with seeds pooled, sign error with every pair kept) are in the CSV and JSON.</p>\n"));
        if (unreached is { Count: > 0 })
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"<p>{UnreachedNote(unreached, points)}</p>\n"));
        sb.Append("<table>\n<thead><tr>");
        foreach (var c in Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c)).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var s in scores)
        {
            sb.Append("<tr>");
            foreach (var c in Cells(s)) sb.Append("<td>").Append(WebUtility.HtmlEncode(c)).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</section>\n");
        return sb.ToString();
    }

    /// <summary>The sentence that reports the points stopped by their cap before their training target.</summary>
    public static string UnreachedNote(IReadOnlyList<int> unreached, int points) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{unreached.Count} of {points} finished points stopped at their step or time cap before their training target (points {string.Join(", ", unreached)}): not scored, and counted against every measure's coverage.");
}
