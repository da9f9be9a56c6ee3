using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gradscope.Report;

/// <summary>
/// Reads and writes summary.json, the <see cref="RunSummary"/> of a run directory: camelCase
/// property names, enums as kebab-case strings ("not-reproduced", "quick"), non-finite numbers as
/// "NaN" / "Infinity" / "-Infinity", indented, UTF-8 without escaping non-ASCII text.
/// </summary>
public static class SummaryFile
{
    /// <summary>File name of the summary inside a run directory.</summary>
    public const string FileName = "summary.json";

    /// <summary>The serializer options used for summary.json.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    static JsonSerializerOptions CreateOptions()
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            // summary.json is a data file, never inlined into HTML (HtmlReport re-escapes what it embeds)
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            RespectNullableAnnotations = true,
        };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    /// <summary>Serializes a summary to JSON text.</summary>
    public static string ToJson(RunSummary summary) => JsonSerializer.Serialize(summary, Options);

    /// <summary>Parses JSON text written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Name of the text's origin for error messages (a file path).</param>
    /// <exception cref="InvalidDataException">The text is not valid JSON or lacks required fields; the message names <paramref name="source"/>.</exception>
    public static RunSummary FromJson(string json, string source = "summary.json")
    {
        try
        {
            return JsonSerializer.Deserialize<RunSummary>(json, Options)
                ?? throw new InvalidDataException($"{source}: is 'null', expected a run summary object.");
        }
        catch (JsonException e)
        {
            string where = e.Path is null ? "" : $" at {e.Path}" + (e.LineNumber is long l ? $" (line {l + 1})" : "");
            throw new InvalidDataException($"{source}: not a valid Gradscope run summary{where}: {e.Message}", e);
        }
    }

    /// <summary>Writes a summary to <paramref name="path"/> (UTF-8), creating the directory if needed.</summary>
    public static void Write(string path, RunSummary summary)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        Gradscope.IO.AtomicFile.WriteText(path, ToJson(summary) + "\n");
    }

    /// <summary>Reads a summary from <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist; the message names it.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid run summary; the message names it and the offending field.</exception>
    public static RunSummary Read(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException($"Run summary {full} does not exist (is this a gradscope reproduce run directory?).", full);
        return FromJson(File.ReadAllText(full), full);
    }
}
