using System.Text.Json.Nodes;

namespace Gradscope.Report;

/// <summary>Building blocks shared by the <see cref="Charts"/> builders: the spec skeleton, axes and data values.</summary>
public static class VegaLite
{
    /// <summary>
    /// The Vega-Lite schema the specs declare; its major version matches the vendored vega-lite
    /// (src/Gradscope/Report/vendor/VERSIONS, refreshed by scripts/refresh-vega.sh).
    /// </summary>
    public const string SchemaUrl = "https://vega.github.io/schema/vega-lite/v6.json";

    /// <summary>Default plot width in pixels.</summary>
    public const int Width = 460;
    /// <summary>Default plot height in pixels.</summary>
    public const int Height = 280;

    /// <summary>A spec skeleton: schema, title, description (the caption, read by screen readers), size.</summary>
    public static JsonObject Spec(string title, string caption) => new()
    {
        ["$schema"] = SchemaUrl,
        ["title"] = title,
        ["description"] = caption,
        ["width"] = Width,
        ["height"] = Height,
    };

    /// <summary>A quantitative position channel on <paramref name="field"/>, log-scaled if asked; zero not forced into the domain.</summary>
    public static JsonObject Quantitative(string field, string title, bool log) => new()
    {
        ["field"] = field,
        ["type"] = "quantitative",
        ["title"] = title,
        ["scale"] = log ? new JsonObject { ["type"] = "log" } : new JsonObject { ["zero"] = false },
    };

    /// <summary>A nominal colour channel on field "series" keeping the order in which series appear.</summary>
    public static JsonObject SeriesColor(string legendTitle) => new()
    {
        ["field"] = "series",
        ["type"] = "nominal",
        ["title"] = legendTitle,
        ["sort"] = null,
    };

    /// <summary>
    /// A JSON number for a data value, or null when it cannot be drawn: NaN, +-infinity, or not
    /// positive on a log axis (Vega-Lite filters null values instead of failing on them).
    /// </summary>
    public static JsonNode? Number(double v, bool log = false) =>
        double.IsFinite(v) && (!log || v > 0) ? JsonValue.Create(v) : null;

    /// <summary>True when <paramref name="v"/> can be drawn on an axis (finite; positive if log).</summary>
    public static bool Drawable(double v, bool log) => double.IsFinite(v) && (!log || v > 0);

    /// <summary>Wraps rows as inline data: { "values": [...] }.</summary>
    public static JsonObject Values(JsonArray rows) => new() { ["values"] = rows };

    /// <summary>Throws unless <paramref name="id"/> is a usable chart id (non-empty, no whitespace).</summary>
    /// <exception cref="ArgumentException">The id is empty or contains whitespace.</exception>
    public static void CheckId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Any(char.IsWhiteSpace))
            throw new ArgumentException($"Chart id '{id}' must be non-empty and contain no whitespace.", nameof(id));
    }
}
