using System.Text.Json.Nodes;

namespace Gradscope.Report;

/// <summary>
/// Builders for the chart kinds the claims draw; each returns a <see cref="ChartSpec"/> holding a
/// Vega-Lite spec with its data inline. Non-finite values, and non-positive values on a log axis,
/// become null and are not drawn.
/// </summary>
public static partial class Charts
{
    /// <summary>One curve y(x), e.g. angle(w(t), w_svm) against t; log axes for "like 1/log t" claims.</summary>
    /// <exception cref="ArgumentException">x and y differ in length, or the id is not usable.</exception>
    public static ChartSpec Line(string id, string title, string caption, string xTitle, string yTitle,
        IReadOnlyList<double> x, IReadOnlyList<double> y, bool logX = false, bool logY = false) =>
        Lines(id, title, caption, xTitle, yTitle, [new Series(yTitle, x, y)], logX, logY);

    /// <summary>Several curves on common axes, coloured by series name (legend shown when there is more than one).</summary>
    /// <exception cref="ArgumentException">A series' X and Y differ in length, or the id is not usable.</exception>
    public static ChartSpec Lines(string id, string title, string caption, string xTitle, string yTitle,
        IReadOnlyList<Series> series, bool logX = false, bool logY = false)
    {
        VegaLite.CheckId(id);
        var rows = new JsonArray();
        int longest = 0;
        foreach (var s in series)
        {
            if (s.X.Count != s.Y.Count)
                throw new ArgumentException(
                    $"Chart '{id}': series '{s.Name}' has {s.X.Count} x values but {s.Y.Count} y values.", nameof(series));
            longest = Math.Max(longest, s.X.Count);
            for (int i = 0; i < s.X.Count; i++)
            {
                if (!VegaLite.Drawable(s.X[i], logX)) continue;   // a point with no x position cannot be drawn at all
                rows.Add(new JsonObject { ["x"] = s.X[i], ["y"] = VegaLite.Number(s.Y[i], logY), ["series"] = s.Name });
            }
        }

        var encoding = new JsonObject
        {
            ["x"] = VegaLite.Quantitative("x", xTitle, logX),
            ["y"] = VegaLite.Quantitative("y", yTitle, logY),
            ["tooltip"] = Tooltip(xTitle, yTitle, series.Count > 1),
        };
        if (series.Count > 1) encoding["color"] = VegaLite.SeriesColor("");
        else encoding["detail"] = new JsonObject { ["field"] = "series", ["type"] = "nominal" };

        var spec = VegaLite.Spec(title, caption);
        spec["data"] = VegaLite.Values(rows);
        // points on short curves so that a handful of measurements is not mistaken for a smooth law
        spec["mark"] = new JsonObject { ["type"] = "line", ["point"] = longest <= 40, ["tooltip"] = true };
        spec["encoding"] = encoding;
        return new ChartSpec { Id = id, Title = title, Caption = caption, VegaLite = spec };
    }

    static JsonArray Tooltip(string xTitle, string yTitle, bool withSeries)
    {
        var t = new JsonArray();
        if (withSeries) t.Add(new JsonObject { ["field"] = "series", ["type"] = "nominal", ["title"] = "series" });
        t.Add(new JsonObject { ["field"] = "x", ["type"] = "quantitative", ["title"] = xTitle });
        t.Add(new JsonObject { ["field"] = "y", ["type"] = "quantitative", ["title"] = yTitle, ["format"] = ".4~g" });
        return t;
    }
}
