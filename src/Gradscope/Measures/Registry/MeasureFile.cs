using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gradscope.Measures.Registry;

/// <summary>What a measures.json holds: values under registry keys, omitted keys with reasons, array files, and the header.</summary>
public sealed record MeasureFileContents(
    IReadOnlyDictionary<string, double> Values,
    IReadOnlyDictionary<string, string> Omitted,
    IReadOnlyDictionary<string, string> Arrays,
    string? Format);

/// <summary>
/// The one reader and writer of measures.json. The reader takes the document <c>gradscope measure</c> writes
/// ({"format": "gradscope-measure", "measures": {key: number}, "omitted": {...}, "arrays": {...}}) and, for files
/// written by hand or by other tools, a flat object of numbers; old key names read under their registry keys
/// (<see cref="MeasureAliases"/>); the bare NaN, Infinity and -Infinity tokens Python's json.dump writes read as those
/// values. Malformed input gets an <see cref="InvalidDataException"/> naming the file, the key and what is wrong.
/// </summary>
public static class MeasureFile
{
    /// <summary>The format name in the header.</summary>
    public const string FormatName = "gradscope-measure";

    // Header fields of the measure document that are numbers but not measures.
    private static readonly HashSet<string> HeaderNumbers = ["version", "outputs", "target_scale"];

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Not JSON, not an object, or a measure value that is not a number (naming file and key).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static MeasureFileContents Read(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses measures.json text; <paramref name="file"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">See <see cref="Read"/>.</exception>
    public static MeasureFileContents Parse(string text, string file)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(QuoteNonFinite(text), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{file}': not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}): {FirstSentence(e.Message)}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{file}': the top level is {Kind(root)}, expected an object of measures.");
            string? format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            IEnumerable<KeyValuePair<string, double>> values;
            if (root.TryGetProperty("measures", out var ms))
            {
                if (ms.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"'{file}': \"measures\" is {Kind(ms)}, expected an object of key: number.");
                values = ms.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, Number(p.Value, file, "measures." + p.Name))).ToList();
            }
            else
            {
                // A flat object: every number or non-finite token at the top level is a measure (header fields aside).
                values = root.EnumerateObject().Where(p => !HeaderNumbers.Contains(p.Name) && (p.Value.ValueKind == JsonValueKind.Number || IsNonFinite(p.Value)))
                    .Select(p => KeyValuePair.Create(p.Name, Number(p.Value, file, p.Name))).ToList();
            }
            return new MeasureFileContents(MeasureAliases.Canonical(values), Strings(root, "omitted", file), Strings(root, "arrays", file), format);
        }
    }

    /// <summary>
    /// Writes the measures object body: every value as a JSON number under its key; non-finite values cannot be JSON
    /// numbers and are moved to <paramref name="omitted"/> as "not finite (value)" (the one policy for non-finite values).
    /// </summary>
    public static void WriteMeasures(Utf8JsonWriter w, IEnumerable<KeyValuePair<string, double>> values, IDictionary<string, string> omitted)
    {
        w.WriteStartObject("measures");
        foreach (var (k, v) in values)
        {
            if (double.IsFinite(v)) w.WriteNumber(k, v);
            else omitted[k] = $"not finite ({v.ToString(CultureInfo.InvariantCulture)})";
        }
        w.WriteEndObject();
    }

    /// <summary>A minimal measures.json document (format, version, measures, omitted) as text.</summary>
    public static string Format(IReadOnlyDictionary<string, double> values, IReadOnlyDictionary<string, string>? omitted = null)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            var om = new SortedDictionary<string, string>(omitted?.ToDictionary() ?? [], StringComparer.Ordinal);
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteNumber("version", 1);
            WriteMeasures(w, values.OrderBy(p => p.Key, StringComparer.Ordinal), om);
            w.WriteStartObject("omitted");
            foreach (var (k, v) in om) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    private static Dictionary<string, string> Strings(JsonElement root, string name, string file)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return result;
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"'{file}': \"{name}\" is {Kind(e)}, expected an object of key: text.");
        foreach (var p in e.EnumerateObject())
            result[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()!
                : throw new InvalidDataException($"'{file}': {name}.\"{p.Name}\" is {Kind(p.Value)}, expected text.");
        return result;
    }

    private static bool IsNonFinite(JsonElement e) => e.ValueKind == JsonValueKind.String && e.GetString() is Nan or Inf or NegInf;

    private static double Number(JsonElement e, string file, string key)
    {
        if (e.ValueKind == JsonValueKind.Number)
        {
            // NOTE: a literal beyond the double range (1e999) parses to infinity in .NET; that is the value it names.
            if (double.TryParse(e.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x)) return x;
            throw new InvalidDataException($"'{file}': \"{key}\" = {e.GetRawText()} is not a number.");
        }
        return e.ValueKind == JsonValueKind.String ? e.GetString() switch
        {
            Nan => double.NaN,
            Inf => double.PositiveInfinity,
            NegInf => double.NegativeInfinity,
            var s => throw new InvalidDataException($"'{file}': \"{key}\" is the text \"{Clip(s!)}\", expected a number (or NaN, Infinity, -Infinity)."),
        } : throw new InvalidDataException($"'{file}': \"{key}\" is {Kind(e)}, expected a number.");
    }

    private const string Nan = "NaN", Inf = "Infinity", NegInf = "-Infinity";

    /// <summary>
    /// Puts the bare tokens NaN, Infinity and -Infinity (Python's json.dump, JavaScript) in quotes outside strings, so a
    /// standard JSON parser reads them; everything else is left as it is.
    /// </summary>
    public static string QuoteNonFinite(string text)
    {
        if (!text.Contains("NaN", StringComparison.Ordinal) && !text.Contains("Infinity", StringComparison.Ordinal)) return text;
        var sb = new StringBuilder(text.Length + 16);
        bool inString = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (inString)
            {
                sb.Append(ch);
                if (ch == '\\' && i + 1 < text.Length) sb.Append(text[++i]);
                else if (ch == '"') inString = false;
                continue;
            }
            if (ch == '"') { inString = true; sb.Append(ch); continue; }
            string? token = Starts(text, i, NegInf) ? NegInf : Starts(text, i, Inf) ? Inf : Starts(text, i, Nan) ? Nan : null;
            if (token is not null && (i == 0 || !char.IsLetterOrDigit(text[i - 1])) && (i + token.Length >= text.Length || !char.IsLetterOrDigit(text[i + token.Length])))
            {
                sb.Append('"').Append(token).Append('"');
                i += token.Length - 1;
                continue;
            }
            sb.Append(ch);
        }
        return sb.ToString();
    }

    private static bool Starts(string s, int i, string token) => string.CompareOrdinal(s, i, token, 0, token.Length) == 0;

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "text",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "missing",
    };

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private static string FirstSentence(string m)
    {
        int dot = m.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? m[..(dot + 1)] : m;
    }
}
