using System.Globalization;
using System.Text;
using System.Text.Json;
using Gradscope.Measures.Registry;

namespace Gradscope.Training;

/// <summary>
/// Writes probe rows as they are measured to metrics.csv (header = the union of every probe's
/// declared keys, known at start; a key a probe did not set in a row is an empty cell; keys not
/// declared at start appear only in metrics.jsonl) and metrics.jsonl (one JSON object per row with
/// every key set in that row; non-finite values as null). Files are flushed after every row, and a
/// resume truncates them to the lengths recorded in the checkpoint, so rows are never duplicated.
/// A resumed run whose files were written with the old names of registry quantities (fro[NAME], min_margin, gamma,
/// loss, train_acc, ...; <see cref="MeasureAliases"/>) continues in its own columns, values converted back, so each
/// file keeps one vocabulary; readers map the old names.
/// </summary>
public sealed class TrainerMetrics : IDisposable
{
    private readonly string[] _header;
    private readonly FileStream _csv, _jsonl;
    private readonly StringBuilder _line = new();
    // Continuing an old run: the name each key is written under and its conversion (null: the keys themselves).
    private readonly Dictionary<string, MeasureAliases.Alias>? _old;

    /// <summary>Opens the files in <paramref name="dir"/>: new files with a header, or (resume) existing files cut to the recorded lengths.</summary>
    public TrainerMetrics(string dir, IReadOnlyList<string> header, (long Csv, long Jsonl)? resumeAt)
    {
        _header = header.ToArray();
        string csv = Path.Combine(dir, "metrics.csv"), jsonl = Path.Combine(dir, "metrics.jsonl");
        if (resumeAt is { } at)
        {
            if (!File.Exists(csv) || new FileInfo(csv).Length < at.Csv || !File.Exists(jsonl) || new FileInfo(jsonl).Length < at.Jsonl)
                throw new InvalidDataException($"'{dir}': metrics.csv/metrics.jsonl are shorter than the checkpoint recorded ({at.Csv}/{at.Jsonl} bytes); the run directory was altered.");
            _old = OldNames(csv, _header);
            CheckResumePoint(dir, csv, jsonl, at);
            _csv = new FileStream(csv, FileMode.Open, FileAccess.Write, FileShare.Read);
            _csv.SetLength(at.Csv); _csv.Position = at.Csv;
            _jsonl = new FileStream(jsonl, FileMode.Open, FileAccess.Write, FileShare.Read);
            _jsonl.SetLength(at.Jsonl); _jsonl.Position = at.Jsonl;
        }
        else
        {
            _csv = new FileStream(csv, FileMode.Create, FileAccess.Write, FileShare.Read);
            _jsonl = new FileStream(jsonl, FileMode.Create, FileAccess.Write, FileShare.Read);
            Write(_csv, HeaderLine());
        }
    }

    // The recorded lengths must cut both files after whole rows, keep metrics.csv's header, and leave the
    // same number of rows (at least the step-0 row every checkpoint follows) in both; checked before anything is cut.
    private void CheckResumePoint(string dir, string csv, string jsonl, (long Csv, long Jsonl) at)
    {
        byte[] head = Encoding.UTF8.GetBytes(HeaderLine());
        byte[] c = Prefix(csv, at.Csv), j = Prefix(jsonl, at.Jsonl);
        string Where(string what) => $"'{dir}': the checkpoint's {what}";
        if (c.Length < head.Length || !c.AsSpan(0, head.Length).SequenceEqual(head))
            throw new InvalidDataException($"{Where($"metrics_csv_bytes = {at.Csv}")} does not keep metrics.csv's header line (or the header is not this run's); the checkpoint or metrics.csv was altered.");
        if (c[^1] != (byte)'\n')
            throw new InvalidDataException($"{Where($"metrics_csv_bytes = {at.Csv}")} does not end at a row of metrics.csv; the checkpoint or metrics.csv was altered.");
        if (j.Length > 0 && j[^1] != (byte)'\n')
            throw new InvalidDataException($"{Where($"metrics_jsonl_bytes = {at.Jsonl}")} does not end at a row of metrics.jsonl; the checkpoint or metrics.jsonl was altered.");
        int csvRows = c.AsSpan(head.Length).Count((byte)'\n'), jsonlRows = j.AsSpan().Count((byte)'\n');
        if (csvRows != jsonlRows || csvRows < 1)
            throw new InvalidDataException($"{Where($"metrics lengths ({at.Csv}/{at.Jsonl} bytes)")} keep {csvRows} rows of metrics.csv and {jsonlRows} of metrics.jsonl; they must be the same number, at least 1; the checkpoint or the metrics files were altered.");
    }

    private static byte[] Prefix(string path, long length)
    {
        if (length > int.MaxValue) throw new InvalidDataException($"'{path}': a resume point of {length} bytes is beyond what Gradscope writes.");
        var b = new byte[length];
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        f.ReadExactly(b);
        return b;
    }

    private string HeaderLine() => string.Join(",", _header.Select(Name).Select(Csv)) + "\n";

    private string Name(string key) => _old is not null && _old.TryGetValue(key, out var a) ? a.Old : key;

    private double Value(string key, double v) => _old is not null && _old.TryGetValue(key, out var a) ? a.Convert(v) : v;

    // The old names of a metrics.csv header that reads, through the aliases, as exactly <paramref name="header"/>
    // (keyed by registry key), or null when the header is not an old one (then the resume check compares it as it is).
    private static Dictionary<string, MeasureAliases.Alias>? OldNames(string csv, string[] header)
    {
        string first;
        using (var reader = new StreamReader(new FileStream(csv, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
            first = reader.ReadLine() ?? "";
        var columns = first.Split(',');
        var aliases = MeasureAliases.Columns(columns);
        if (!aliases.Any(a => a is not null) || columns.Length != header.Length) return null;
        for (int i = 0; i < columns.Length; i++)
            if ((aliases[i]?.Key ?? columns[i]) != header[i]) return null;
        return aliases.Where(a => a is not null).ToDictionary(a => a!.Key, a => a!, StringComparer.Ordinal);
    }

    /// <summary>Whether the files continue a run written with the old names (see the class remarks).</summary>
    public bool ContinuesOldNames => _old is not null;

    /// <summary>Whether <paramref name="dir"/>'s metrics.csv has the old-name header of <paramref name="header"/> (read only; false without the file).</summary>
    public static bool HasOldNames(string dir, IReadOnlyList<string> header)
    {
        string csv = Path.Combine(dir, "metrics.csv");
        return File.Exists(csv) && OldNames(csv, header.ToArray()) is not null;
    }

    /// <summary>The CSV header keys.</summary>
    public IReadOnlyList<string> Header => _header;

    /// <summary>Bytes written so far to metrics.csv and metrics.jsonl (recorded in checkpoints).</summary>
    public (long Csv, long Jsonl) Lengths => (_csv.Position, _jsonl.Position);

    /// <summary>Appends one row to both files and flushes them.</summary>
    public void Append(MetricRow row)
    {
        _line.Clear();
        for (int i = 0; i < _header.Length; i++)
        {
            if (i > 0) _line.Append(',');
            if (row.Get(_header[i]) is double v) _line.Append(Number(Value(_header[i], v)));
        }
        _line.Append('\n');
        Write(_csv, _line.ToString());
        _line.Clear().Append('{');
        bool first = true;
        foreach (var k in row.Keys)
        {
            if (!first) _line.Append(',');
            first = false;
            double v = Value(k, row.Get(k)!.Value);
            _line.Append(JsonSerializer.Serialize(Name(k))).Append(':').Append(double.IsFinite(v) ? Number(v) : "null");
        }
        _line.Append("}\n");
        Write(_jsonl, _line.ToString());
        _csv.Flush(); _jsonl.Flush();
    }

    /// <summary>Round-trip invariant formatting of a metric value.</summary>
    public static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Csv(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    private static void Write(FileStream f, string s) => f.Write(Encoding.UTF8.GetBytes(s));

    /// <inheritdoc/>
    public void Dispose() { _csv.Dispose(); _jsonl.Dispose(); }
}
