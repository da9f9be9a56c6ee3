using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gradscope.Sweeps;

/// <summary>
/// A sweep as one flat table, one row per point: index, status, seed, wall seconds, every hyperparameter
/// (the sweep's dotted keys as columns), every final metric of final.json, and the measure values that
/// <c>rank-measures</c> wrote (measure-values.csv), so that <c>pandas.read_csv</c> reads the sweep in one call.
/// Read-only: the index is opened, read and closed.
/// </summary>
public static class SweepTable
{
    /// <summary>File name of the per-point measure values that rank-measures writes in the sweep directory.</summary>
    public const string MeasureValuesFile = "measure-values.csv";

    /// <summary>Builds the table of the sweep in <paramref name="sweepDir"/>: the header and one row of cells per point.</summary>
    /// <exception cref="SweepException">The directory holds no sweep index, or the index or measure-values.csv cannot be read.</exception>
    public static (IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows) Build(string sweepDir)
    {
        sweepDir = Path.GetFullPath(sweepDir);
        string indexPath = Path.Combine(sweepDir, SweepDirectory.IndexFile);
        if (!File.Exists(indexPath)) throw new SweepException($"'{sweepDir}' is not a sweep directory (no {SweepDirectory.IndexFile})");
        IReadOnlyList<PointRecord> points;
        try
        {
            using var index = SweepIndex.Open(indexPath);
            points = index.Points();
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) { throw new SweepException($"{indexPath}: cannot be read as a sweep index: {e.Message}"); }

        var hparams = new List<Dictionary<string, string>>();
        var metrics = new List<Dictionary<string, string>>();
        var hpKeys = new List<string>();
        var metricKeys = new List<string>();
        foreach (var p in points)
        {
            var hp = Parse(p.Hyperparameters, $"{indexPath}: point {p.Index} hyperparameters");
            var m = p.Metrics is null ? [] : Canonical(Parse(p.Metrics, $"{indexPath}: point {p.Index} final metrics"));
            foreach (var k in hp.Keys) if (!hpKeys.Contains(k)) hpKeys.Add(k);
            foreach (var k in m.Keys) if (!metricKeys.Contains(k)) metricKeys.Add(k);
            hparams.Add(hp); metrics.Add(m);
        }
        var (measureKeys, measures) = ReadMeasureValues(Path.Combine(sweepDir, MeasureValuesFile));
        var header = new List<string> { "point", "status", "seed", "wall_s", "directory" };
        header.AddRange(hpKeys);
        // a metric or measure that shares a hyperparameter's name gets a prefix so that every column name is unique
        header.AddRange(metricKeys.Select(k => hpKeys.Contains(k) ? "final." + k : k));
        header.AddRange(measureKeys.Select(k => header.Contains(k) ? "measure." + k : k));
        var rows = new List<string[]>();
        for (int i = 0; i < points.Count; i++)
        {
            var p = points[i];
            var row = new List<string>
            {
                p.Index.ToString(CultureInfo.InvariantCulture), p.Status, p.Seed?.ToString(CultureInfo.InvariantCulture) ?? "",
                p.WallSeconds?.ToString("R", CultureInfo.InvariantCulture) ?? "", p.Directory,
            };
            row.AddRange(hpKeys.Select(k => hparams[i].GetValueOrDefault(k, "")));
            row.AddRange(metricKeys.Select(k => metrics[i].GetValueOrDefault(k, "")));
            var mv = measures.GetValueOrDefault(p.Index);
            row.AddRange(measureKeys.Select((_, j) => mv is null ? "" : mv[j]));
            rows.Add(row.ToArray());
        }
        return (header, rows);
    }

    /// <summary>The table as RFC 4180 CSV (cells quoted where they hold a comma, quote or line break; empty = missing).</summary>
    public static string ToCsv(IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', header.Select(Quote)).Append('\n');
        foreach (var r in rows) sb.AppendJoin(',', r.Select(Quote)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The column of measure-values.csv after the gap: 1 when the point reached its training target, 0 when its
    /// step or time cap stopped it first (then its measure cells are empty: it is not scored).</summary>
    public const string ReachedTargetColumn = "reached_target";

    /// <summary>Writes the per-point measure values (point, gap, reached_target, one column per measure) that <see cref="Build"/> joins.</summary>
    public static string MeasureValuesCsv(IReadOnlyList<Ranking.RankedPoint> points)
    {
        var names = points.SelectMany(p => p.Measures.Keys).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.Append("point,gap,").Append(ReachedTargetColumn);
        foreach (var n in names) sb.Append(',').Append(Quote(n));
        sb.Append('\n');
        foreach (var p in points)
        {
            sb.Append(p.Index.ToString(CultureInfo.InvariantCulture)).Append(',').Append(Number(p.Gap)).Append(',').Append(p.ReachedTarget ? '1' : '0');
            foreach (var n in names) sb.Append(',').Append(p.Measures.TryGetValue(n, out double v) ? Number(v) : "");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Reads measure-values.csv: measure names and, per point index, the cells in name order (and the gap under "gap"). Missing file: empty.</summary>
    /// <exception cref="SweepException">The file is malformed; the message names it and the line.</exception>
    public static (IReadOnlyList<string> Names, Dictionary<int, string[]> Values) ReadMeasureValues(string path)
    {
        if (!File.Exists(path)) return ([], []);
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) throw new SweepException($"{path}: empty (expected a header 'point,gap,...')");
        var header = SplitCsv(lines[0]);
        if (header.Count < 2 || header[0] != "point" || header[1] != "gap")
            throw new SweepException($"{path}:1: expected a header starting with 'point,gap'");
        var names = header.Skip(2).ToList();
        var values = new Dictionary<int, string[]>();
        for (int i = 1; i < lines.Count; i++)
        {
            var cells = SplitCsv(lines[i]);
            if (cells.Count != header.Count || !int.TryParse(cells[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int point))
                throw new SweepException($"{path}:{i + 1}: expected {header.Count} cells starting with a point index");
            values[point] = cells.Skip(2).ToArray();
        }
        return (names, values);
    }

    /// <summary>Reads measure-values.csv as numbers: per measure, (point, value, gap) for every point that has it (the
    /// reached_target column is not a measure and is left out).</summary>
    /// <exception cref="SweepException">The file is malformed.</exception>
    public static IReadOnlyDictionary<string, IReadOnlyList<(int Point, double Value, double Gap)>> MeasureValues(string sweepDir)
    {
        string path = Path.Combine(sweepDir, MeasureValuesFile);
        var result = new Dictionary<string, IReadOnlyList<(int, double, double)>>();
        if (!File.Exists(path)) return result;
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var (names, values) = ReadMeasureValues(path);
        var gaps = new Dictionary<int, double>();
        for (int i = 1; i < lines.Count; i++)
        {
            var cells = SplitCsv(lines[i]);
            gaps[int.Parse(cells[0], CultureInfo.InvariantCulture)] = ParseNumber(cells[1]);
        }
        for (int j = 0; j < names.Count; j++)
        {
            if (names[j] == ReachedTargetColumn) continue;   // bookkeeping, not a measure
            var list = new List<(int, double, double)>();
            foreach (var (point, cells) in values.OrderBy(kv => kv.Key))
            {
                double v = ParseNumber(cells[j]);
                if (double.IsFinite(v) && double.IsFinite(gaps[point])) list.Add((point, v, gaps[point]));
            }
            result[names[j]] = list;
        }
        return result;
    }

    static double ParseNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

    static string Number(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    static Dictionary<string, string> Parse(string json, string what)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new SweepException($"{what}: expected a JSON object");
            var d = new Dictionary<string, string>();
            foreach (var p in doc.RootElement.EnumerateObject())
                d[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Null => "",
                    _ => p.Value.GetRawText(),
                };
            return d;
        }
        catch (JsonException e) { throw new SweepException($"{what}: not valid JSON: {e.Message}"); }
    }

    // Final metrics of a run written before the registry keys (train_acc, test_acc, fro[NAME], ...) under the registry
    // keys (MeasureAliases), in file order; an old key whose registry key is also present keeps its name.
    static Dictionary<string, string> Canonical(Dictionary<string, string> metrics)
    {
        var keys = metrics.Keys.ToList();
        var aliases = Measures.Registry.MeasureAliases.Columns(keys);
        var d = new Dictionary<string, string>();
        for (int i = 0; i < keys.Count; i++)
        {
            string k = keys[i], v = metrics[k];
            if (aliases[i] is { } a && !metrics.ContainsKey(a.Key))
            {
                k = a.Key;
                if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x)) v = Number(a.Convert(x));
            }
            d[k] = v;
        }
        return d;
    }

    static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>Splits one CSV line (RFC 4180 quoting, no embedded line breaks).</summary>
    public static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cur = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cur.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cur.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cur.ToString()); cur.Clear(); }
            else cur.Append(c);
        }
        cells.Add(cur.ToString());
        return cells;
    }
}
