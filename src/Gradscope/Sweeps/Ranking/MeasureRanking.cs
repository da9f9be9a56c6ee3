using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Gradscope.Sweeps.Ranking;

/// <summary>How well one measure ranks the generalization gap across a sweep.</summary>
/// <param name="Measure">Measure name.</param>
/// <param name="Points">Points with a finite value of the measure.</param>
/// <param name="Tau">Kendall tau_b(measure, gap) over all points (<see cref="KendallTau"/>).</param>
/// <param name="GranulatedTau">Psi of <see cref="Ranking.GranulatedTau"/>.</param>
/// <param name="TauPerHyperparameter">Psi_k per hyperparameter.</param>
/// <param name="Cmi">PGDL conditional mutual information score (<see cref="ConditionalMutualInformation"/>).</param>
/// <param name="SignError">Sign-error distribution (<see cref="Ranking.SignError"/>).</param>
public sealed record MeasureScore(string Measure, int Points, double Tau, double GranulatedTau,
    IReadOnlyDictionary<string, double> TauPerHyperparameter, double Cmi, SignError.Summary SignError);

/// <summary>Scores every measure against the generalization gap and writes the table as CSV, JSON and an HTML fragment.</summary>
public static class MeasureRanking
{
    /// <summary>One <see cref="MeasureScore"/> per measure name present in any point, sorted by |granulated tau| descending.
    /// A measure is scored on the points where it is finite.</summary>
    public static IReadOnlyList<MeasureScore> Score(IReadOnlyList<RankedPoint> points, double minGapDifference = 0)
    {
        var names = points.SelectMany(p => p.Measures.Keys).Distinct().Order(StringComparer.Ordinal);
        var scores = new List<MeasureScore>();
        foreach (var name in names)
        {
            var ps = points.Where(p => p.Measures.TryGetValue(name, out var v) && double.IsFinite(v)).ToList();
            double tau = KendallTau.TauB(ps.Select(p => p.Measures[name]).ToArray(), ps.Select(p => p.Gap).ToArray());
            var (psi, per) = GranulatedTau.Compute(ps, name);
            scores.Add(new MeasureScore(name, ps.Count, tau, psi, per, ConditionalMutualInformation.Score(ps, name),
                SignError.Compute(ps, name, minGapDifference)));
        }
        return scores.OrderByDescending(s => double.IsNaN(s.GranulatedTau) ? -1 : Math.Abs(s.GranulatedTau)).ThenBy(s => s.Measure, StringComparer.Ordinal).ToList();
    }

    static string F(double x) => double.IsNaN(x) ? "" : x.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Column names of the CSV and the console table.</summary>
    public static readonly string[] Columns = ["measure", "points", "tau", "granulated_tau", "cmi", "sign_error_max", "sign_error_mean", "sign_error_median", "sign_error_p90", "environments"];

    /// <summary>Row cells in <see cref="Columns"/> order (empty for NaN).</summary>
    public static string[] Cells(MeasureScore s) =>
        [s.Measure, s.Points.ToString(CultureInfo.InvariantCulture), F(s.Tau), F(s.GranulatedTau), F(s.Cmi),
         F(s.SignError.Max), F(s.SignError.Mean), F(s.SignError.Median), F(s.SignError.P90), s.SignError.Environments.ToString(CultureInfo.InvariantCulture)];

    /// <summary>CSV text (header + one row per measure).</summary>
    public static string ToCsv(IReadOnlyList<MeasureScore> scores)
    {
        var sb = new StringBuilder(string.Join(',', Columns)).Append('\n');
        foreach (var s in scores) sb.Append(string.Join(',', Cells(s).Select(c => c.Contains(',') || c.Contains('"') ? "\"" + c.Replace("\"", "\"\"") + "\"" : c))).Append('\n');
        return sb.ToString();
    }

    /// <summary>JSON text: an array of objects with every score (NaN written as null), per-hyperparameter Psi_k included.</summary>
    public static string ToJson(IReadOnlyList<MeasureScore> scores)
    {
        static double? N(double x) => double.IsFinite(x) ? x : null;
        var rows = scores.Select(s => new
        {
            measure = s.Measure, points = s.Points, tau = N(s.Tau), granulated_tau = N(s.GranulatedTau),
            granulated_tau_per_hyperparameter = s.TauPerHyperparameter.ToDictionary(kv => kv.Key, kv => N(kv.Value)),
            cmi = N(s.Cmi),
            sign_error = new { environments = s.SignError.Environments, max = N(s.SignError.Max), mean = N(s.SignError.Mean), median = N(s.SignError.Median), p90 = N(s.SignError.P90) },
        });
        return JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>HTML fragment (a section with a table) for the report.</summary>
    public static string ToHtml(IReadOnlyList<MeasureScore> scores, int points)
    {
        var sb = new StringBuilder();
        sb.Append("<section class=\"measure-ranking\">\n<h2>Measures against the generalization gap</h2>\n");
        sb.Append($"<p>{points} finished points; gap = train accuracy - test accuracy. tau: Kendall tau-b; granulated tau: mean over hyperparameters of tau within groups where only that hyperparameter varies; CMI: conditional mutual information score (minimum over pairs of hyperparameters); sign error: over pairs of configurations differing in one hyperparameter (max = worst case).</p>\n");
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
}
