using System.Text.Json.Nodes;

namespace Gradscope.Report;

public static partial class Charts
{
    /// <summary>Largest number of steps drawn per ECDF curve; bigger samples are thinned to evenly spaced order statistics.</summary>
    public const int MaxEcdfSteps = 1000;

    /// <summary>
    /// Empirical CDFs F(v) = #{values &lt;= v} / n of several samples as step curves, e.g. normalized
    /// margin distributions under true vs random labels. NaN values are dropped; n counts the rest.
    /// </summary>
    /// <exception cref="ArgumentException">The id is not usable.</exception>
    public static ChartSpec Ecdf(string id, string title, string caption, string valueTitle,
        IReadOnlyList<Sample> samples, bool logX = false)
    {
        VegaLite.CheckId(id);
        var rows = new JsonArray();
        foreach (var s in samples)
            foreach (var (v, f) in EcdfSteps(s.Values))
                if (VegaLite.Drawable(v, logX))
                    rows.Add(new JsonObject { ["x"] = v, ["y"] = f, ["series"] = s.Name });

        var spec = VegaLite.Spec(title, caption);
        spec["data"] = VegaLite.Values(rows);
        spec["mark"] = new JsonObject { ["type"] = "line", ["interpolate"] = "step-after", ["tooltip"] = true };
        var y = VegaLite.Quantitative("y", "fraction of samples <= value", log: false);
        y["scale"] = new JsonObject { ["domain"] = new JsonArray(0, 1) };
        spec["encoding"] = new JsonObject
        {
            ["x"] = VegaLite.Quantitative("x", valueTitle, logX),
            ["y"] = y,
            ["color"] = VegaLite.SeriesColor(""),
            ["tooltip"] = Tooltip(valueTitle, "F", withSeries: true),
        };
        return new ChartSpec { Id = id, Title = title, Caption = caption, VegaLite = spec };
    }

    /// <summary>
    /// The corners of an empirical CDF: (v_(1), 0) then (v, F(v)) for each distinct value v in
    /// increasing order, F(v) = #{values &lt;= v} / n; ties collapse into one jump. Samples with
    /// more than <see cref="MaxEcdfSteps"/> distinct values keep evenly spaced ranks and the maximum.
    /// </summary>
    public static List<(double Value, double F)> EcdfSteps(IReadOnlyList<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).ToArray();
        Array.Sort(sorted);
        int n = sorted.Length;
        var steps = new List<(double, double)>();
        if (n == 0) return steps;
        steps.Add((sorted[0], 0.0));
        // rank i (1-based) of the last copy of each distinct value gives F = i / n
        int stride = Math.Max(1, (int)Math.Ceiling(n / (double)MaxEcdfSteps));
        int lastKept = 0;
        for (int i = 0; i < n; i++)
        {
            bool lastOfTie = i == n - 1 || sorted[i + 1] != sorted[i];
            if (!lastOfTie) continue;
            if (i + 1 - lastKept >= stride || i == n - 1)
            {
                steps.Add((sorted[i], (i + 1) / (double)n));
                lastKept = i + 1;
            }
        }
        return steps;
    }
}
