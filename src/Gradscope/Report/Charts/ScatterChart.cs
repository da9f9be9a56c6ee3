using System.Text.Json.Nodes;

namespace Gradscope.Report;

public static partial class Charts
{
    /// <summary>Points on the reference line, evenly spaced in x (log-spaced on a log x axis).</summary>
    const int ReferencePoints = 64;

    /// <summary>
    /// A scatter plot, optionally coloured by <see cref="Point.Series"/>, with an optional dashed
    /// reference line across the x range of the points (e.g. y = x for bound vs test error).
    /// </summary>
    /// <exception cref="ArgumentException">The id is not usable.</exception>
    public static ChartSpec Scatter(string id, string title, string caption, string xTitle, string yTitle,
        IReadOnlyList<Point> points, ReferenceLine? reference = null, bool logX = false, bool logY = false)
    {
        VegaLite.CheckId(id);
        var rows = new JsonArray();
        bool grouped = points.Any(p => p.Series is not null);
        bool labelled = points.Any(p => p.Label is not null);
        foreach (var p in points)
        {
            if (!VegaLite.Drawable(p.X, logX)) continue;
            rows.Add(new JsonObject
            {
                ["x"] = p.X, ["y"] = VegaLite.Number(p.Y, logY),
                ["series"] = p.Series ?? "", ["label"] = p.Label ?? "",
            });
        }

        var tooltip = Tooltip(xTitle, yTitle, grouped);
        if (labelled) tooltip.Insert(0, new JsonObject { ["field"] = "label", ["type"] = "nominal", ["title"] = "point" });
        var pointEncoding = new JsonObject
        {
            ["x"] = VegaLite.Quantitative("x", xTitle, logX),
            ["y"] = VegaLite.Quantitative("y", yTitle, logY),
            ["tooltip"] = tooltip,
        };
        if (grouped) pointEncoding["color"] = VegaLite.SeriesColor("");
        var layers = new JsonArray
        {
            new JsonObject
            {
                ["mark"] = new JsonObject { ["type"] = "point", ["filled"] = true, ["size"] = 70 },
                ["encoding"] = pointEncoding,
            },
        };
        if (reference is not null && ReferenceRows(points, reference, logX, logY) is { Count: > 1 } line)
            layers.Add(new JsonObject
            {
                ["data"] = VegaLite.Values(line),
                ["mark"] = new JsonObject { ["type"] = "line", ["color"] = "#666", ["strokeDash"] = new JsonArray(6, 4), ["tooltip"] = true },
                ["encoding"] = new JsonObject
                {
                    ["x"] = new JsonObject { ["field"] = "x", ["type"] = "quantitative" },
                    ["y"] = new JsonObject { ["field"] = "y", ["type"] = "quantitative" },
                    ["tooltip"] = new JsonArray(new JsonObject { ["field"] = "label", ["type"] = "nominal", ["title"] = "reference" }),
                },
            });

        var spec = VegaLite.Spec(title, caption);
        spec["data"] = VegaLite.Values(rows);
        spec["layer"] = layers;
        return new ChartSpec { Id = id, Title = title, Caption = caption, VegaLite = spec };
    }

    static JsonArray ReferenceRows(IReadOnlyList<Point> points, ReferenceLine r, bool logX, bool logY)
    {
        var xs = points.Where(p => VegaLite.Drawable(p.X, logX) && VegaLite.Drawable(p.Y, logY)).Select(p => p.X).ToArray();
        var rows = new JsonArray();
        if (xs.Length == 0) return rows;
        double lo = xs.Min(), hi = xs.Max();
        for (int i = 0; i < ReferencePoints; i++)
        {
            double s = i / (double)(ReferencePoints - 1);
            double x = logX ? lo * Math.Pow(hi / lo, s) : lo + (hi - lo) * s;
            double y = r.Slope * x + r.Intercept;
            if (VegaLite.Drawable(y, logY)) rows.Add(new JsonObject { ["x"] = x, ["y"] = y, ["label"] = r.Label });
        }
        return rows;
    }
}
