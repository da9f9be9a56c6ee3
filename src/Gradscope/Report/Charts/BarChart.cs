using System.Text.Json.Nodes;

namespace Gradscope.Report;

public static partial class Charts
{
    /// <summary>
    /// A bar chart in the given category order, bars of a category side by side when grouped by
    /// <see cref="Bar.Series"/> (e.g. the singular spectrum sigma_1 &gt;= sigma_2 &gt;= ... of each layer).
    /// </summary>
    /// <exception cref="ArgumentException">The id is not usable.</exception>
    public static ChartSpec Bars(string id, string title, string caption, string xTitle, string yTitle,
        IReadOnlyList<Bar> bars, bool logY = false)
    {
        VegaLite.CheckId(id);
        bool grouped = bars.Any(b => b.Series is not null);
        var rows = new JsonArray();
        foreach (var b in bars)
            rows.Add(new JsonObject { ["category"] = b.Category, ["y"] = VegaLite.Number(b.Value, logY), ["series"] = b.Series ?? "" });

        var tooltip = new JsonArray();
        if (grouped) tooltip.Add(new JsonObject { ["field"] = "series", ["type"] = "nominal", ["title"] = "series" });
        tooltip.Add(new JsonObject { ["field"] = "category", ["type"] = "ordinal", ["title"] = xTitle });
        tooltip.Add(new JsonObject { ["field"] = "y", ["type"] = "quantitative", ["title"] = yTitle, ["format"] = ".4~g" });
        var y = VegaLite.Quantitative("y", yTitle, logY);
        if (!logY) y["scale"] = new JsonObject { ["zero"] = true };
        // NOTE: bars stack from 0 by default, and 0 has no place on a log axis; unstacked bars on a
        // log scale grow from the bottom of the plot instead
        y["stack"] = null;
        var encoding = new JsonObject
        {
            // sort: null keeps the given order ("1", "2", ..., "10" rather than "1", "10", "2")
            ["x"] = new JsonObject { ["field"] = "category", ["type"] = "ordinal", ["title"] = xTitle, ["sort"] = null },
            ["y"] = y,
            ["tooltip"] = tooltip,
        };
        if (grouped)
        {
            encoding["color"] = VegaLite.SeriesColor("");
            encoding["xOffset"] = new JsonObject { ["field"] = "series", ["type"] = "nominal", ["sort"] = null };
        }

        var spec = VegaLite.Spec(title, caption);
        spec["data"] = VegaLite.Values(rows);
        spec["mark"] = new JsonObject { ["type"] = "bar", ["tooltip"] = true };
        spec["encoding"] = encoding;
        return new ChartSpec { Id = id, Title = title, Caption = caption, VegaLite = spec };
    }
}
