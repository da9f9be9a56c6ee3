using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gradscope.Report;

/// <summary>
/// Rebuilds a chart's Vega-Lite spec from the fields the <see cref="Charts"/> builders write and nothing else, before
/// the report embeds it: a spec read from summary.json may hold anything, and Vega fetches what a spec names
/// (<c>data.url</c>, an image mark's <c>url</c>, <c>href</c> channels, <c>usermeta.embedOptions.loader</c>, ...).
/// </summary>
/// <remarks>
/// Kept: <c>$schema</c> (always the vendored major version's URL, which Vega reads but never fetches), string
/// <c>title</c>/<c>description</c>, numeric <c>width</c>/<c>height</c>, inline <c>data.values</c> (rows of numbers,
/// strings, booleans and nulls), <c>mark</c> (a drawing mark type, booleans, numbers, a colour, a dash array, an
/// interpolation), <c>encoding</c> channels x, y, x2, y2, xOffset, yOffset, color, detail, opacity, size, shape,
/// strokeDash and tooltip with field definitions (field, type, title, format, sort, stack, scale {type, zero, domain}),
/// and <c>layer</c> of such specs. Everything else (url, href, usermeta, config, params, transform, datasets,
/// image/text marks, expressions) is dropped. The page's Content-Security-Policy blocks the network as well; this
/// keeps a hostile spec from even asking.
/// </remarks>
public static partial class ChartSpecSanitizer
{
    static readonly HashSet<string> MarkTypes = ["line", "point", "bar", "rule", "area", "tick", "rect", "circle", "square"];
    static readonly HashSet<string> Channels = ["x", "y", "x2", "y2", "xOffset", "yOffset", "color", "detail", "opacity", "size", "shape", "strokeDash", "tooltip"];
    static readonly HashSet<string> FieldTypes = ["quantitative", "nominal", "ordinal", "temporal"];
    static readonly HashSet<string> ScaleTypes = ["linear", "log", "pow", "sqrt", "symlog"];
    static readonly HashSet<string> Interpolations = ["linear", "step", "step-before", "step-after", "monotone", "basis", "cardinal"];
    static readonly HashSet<string> Sorts = ["ascending", "descending"];

    /// <summary>The spec rebuilt from known fields only (a new object; <paramref name="spec"/> is not changed).</summary>
    public static JsonObject Sanitize(JsonObject spec)
    {
        var o = new JsonObject { ["$schema"] = VegaLite.SchemaUrl };
        CopyString(spec, o, "title");
        CopyString(spec, o, "description");
        CopyNumber(spec, o, "width");
        CopyNumber(spec, o, "height");
        View(spec, o);
        if (spec["layer"] is JsonArray layers)
        {
            var clean = new JsonArray();
            foreach (var l in layers)
                if (l is JsonObject lo) { var c = new JsonObject(); View(lo, c); if (c.ContainsKey("mark")) clean.Add(c); } // a layer that draws nothing known is dropped
            if (clean.Count > 0) o["layer"] = clean;
        }
        return o;
    }

    // data, mark and encoding of a single view or a layer
    static void View(JsonObject from, JsonObject to)
    {
        if (from["data"] is JsonObject data && data["values"] is JsonArray values) to["data"] = new JsonObject { ["values"] = Rows(values) };
        if (Mark(from["mark"]) is { } mark) to["mark"] = mark;
        if (from["encoding"] is JsonObject enc)
        {
            var e = new JsonObject();
            foreach (var (channel, def) in enc)
            {
                if (!Channels.Contains(channel)) continue;
                if (def is JsonArray list)
                {
                    var defs = new JsonArray();
                    foreach (var d in list) if (d is JsonObject dobj) defs.Add(FieldDef(dobj));
                    e[channel] = defs;
                }
                else if (def is JsonObject dobj) e[channel] = FieldDef(dobj);
            }
            to["encoding"] = e;
        }
    }

    static JsonArray Rows(JsonArray values)
    {
        var rows = new JsonArray();
        foreach (var r in values)
        {
            if (r is not JsonObject row) continue;
            var clean = new JsonObject();
            foreach (var (k, v) in row) clean[k] = Scalar(v);
            rows.Add(clean);
        }
        return rows;
    }

    // a number, string, boolean or null; anything nested becomes null
    static JsonNode? Scalar(JsonNode? v) => v is JsonValue value && value.GetValueKind() is JsonValueKind.Number or JsonValueKind.String or JsonValueKind.True or JsonValueKind.False
        ? value.DeepClone() : null;

    static JsonNode? Mark(JsonNode? mark)
    {
        if (mark is JsonValue v && v.TryGetValue<string>(out var t)) return MarkTypes.Contains(t) ? t : null;
        if (mark is not JsonObject m || m["type"] is not JsonValue tv || !tv.TryGetValue<string>(out var type) || !MarkTypes.Contains(type)) return null;
        var o = new JsonObject { ["type"] = type };
        foreach (var key in new[] { "point", "tooltip", "filled" })
            if (m[key] is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False) o[key] = b.DeepClone();
        foreach (var key in new[] { "size", "opacity", "strokeWidth" }) CopyNumber(m, o, key);
        if (m["color"] is JsonValue c && c.TryGetValue<string>(out var color) && ColorPattern().IsMatch(color)) o["color"] = color;
        if (m["interpolate"] is JsonValue iv && iv.TryGetValue<string>(out var interp) && Interpolations.Contains(interp)) o["interpolate"] = interp;
        if (m["strokeDash"] is JsonArray dash) o["strokeDash"] = Numbers(dash);
        return o;
    }

    static JsonObject FieldDef(JsonObject d)
    {
        var o = new JsonObject();
        CopyString(d, o, "field");
        if (d["type"] is JsonValue tv && tv.TryGetValue<string>(out var type) && FieldTypes.Contains(type)) o["type"] = type;
        CopyString(d, o, "title");
        CopyString(d, o, "format");
        if (d.TryGetPropertyValue("sort", out var sort) && (sort is null || sort is JsonValue sv && sv.TryGetValue<string>(out var s) && Sorts.Contains(s)))
            o["sort"] = sort?.DeepClone();
        if (d.TryGetPropertyValue("stack", out var stack) && (stack is null || stack.GetValueKind() is JsonValueKind.True or JsonValueKind.False))
            o["stack"] = stack?.DeepClone();
        if (d["scale"] is JsonObject scale)
        {
            var sc = new JsonObject();
            if (scale["type"] is JsonValue st && st.TryGetValue<string>(out var stype) && ScaleTypes.Contains(stype)) sc["type"] = stype;
            if (scale["zero"] is JsonValue z && z.GetValueKind() is JsonValueKind.True or JsonValueKind.False) sc["zero"] = z.DeepClone();
            if (scale["domain"] is JsonArray domain) sc["domain"] = Numbers(domain);
            o["scale"] = sc;
        }
        return o;
    }

    static JsonArray Numbers(JsonArray a)
    {
        var o = new JsonArray();
        foreach (var v in a) if (v is JsonValue n && n.GetValueKind() == JsonValueKind.Number) o.Add(n.DeepClone());
        return o;
    }

    static void CopyString(JsonObject from, JsonObject to, string key)
    {
        if (from[key] is JsonValue v && v.TryGetValue<string>(out var s)) to[key] = s;
    }

    static void CopyNumber(JsonObject from, JsonObject to, string key)
    {
        if (from[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number) to[key] = v.DeepClone();
    }

    [GeneratedRegex(@"^(#[0-9a-fA-F]{3,8}|[a-z]{3,20})\z")]
    private static partial Regex ColorPattern();
}
