using System.Globalization;
using Gradscope.Measures.Registry;

namespace Gradscope.Report;

/// <summary>
/// The probe rows of one training run directory (its metrics.csv) as columns of numbers, plus whether the
/// run has finished (final.json present). Columns are registry keys; a run written with the old names reads through
/// <see cref="MeasureAliases"/>. Read-only: a run still training can be read at any time; a row
/// being written (no trailing newline yet) is left for the next read.
/// </summary>
public sealed class RunMetrics
{
    private RunMetrics(string directory, IReadOnlyList<string> columns, List<double[]> rows, bool finished)
    {
        Directory = directory; Columns = columns; Rows = rows; Finished = finished;
    }

    /// <summary>The run directory.</summary>
    public string Directory { get; }
    /// <summary>Column names of metrics.csv, in file order (the first is "step").</summary>
    public IReadOnlyList<string> Columns { get; }
    /// <summary>One array per complete row, aligned with <see cref="Columns"/>; an empty or unparsable cell is NaN.</summary>
    public IReadOnlyList<double[]> Rows { get; }
    /// <summary>True when the run wrote final.json.</summary>
    public bool Finished { get; }

    /// <summary>The values of one column, in row order (NaN where missing).</summary>
    /// <exception cref="KeyNotFoundException">The run has no such column.</exception>
    public double[] Column(string name)
    {
        int c = IndexOf(name);
        if (c < 0) throw new KeyNotFoundException($"{Path.Combine(Directory, "metrics.csv")} has no column '{name}' (has {string.Join(", ", Columns)}).");
        var v = new double[Rows.Count];
        for (int i = 0; i < v.Length; i++) v[i] = Rows[i][c];
        return v;
    }

    /// <summary>The same rows restricted to the columns in <paramref name="keep"/> plus the axis columns step, t and wall_s.</summary>
    public RunMetrics Only(IReadOnlySet<string> keep)
    {
        var idx = Enumerable.Range(0, Columns.Count).Where(i => keep.Contains(Columns[i]) || Columns[i] is "step" or "t" or "wall_s").ToArray();
        return new RunMetrics(Directory, idx.Select(i => Columns[i]).ToList(), Rows.Select(r => idx.Select(i => r[i]).ToArray()).ToList(), Finished);
    }

    /// <summary>Index of a column, or -1.</summary>
    public int IndexOf(string name)
    {
        for (int i = 0; i < Columns.Count; i++) if (Columns[i] == name) return i;
        return -1;
    }

    /// <summary>Whether <paramref name="directory"/> looks like a training run (holds metrics.csv).</summary>
    public static bool IsRunDirectory(string directory) => File.Exists(Path.Combine(directory, "metrics.csv"));

    /// <summary>Whether the run's metrics.csv already holds its complete header line (a run just starting may not).</summary>
    public static bool HasHeader(string directory)
    {
        try
        {
            using var fs = new FileStream(Path.Combine(directory, "metrics.csv"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int b;
            while ((b = fs.ReadByte()) >= 0) if (b == '\n') return true;
            return false;
        }
        catch (IOException) { return false; }
    }

    /// <summary>Reads runDir/metrics.csv.</summary>
    /// <exception cref="InvalidDataException">The file is missing, has no header, or a complete row has the wrong number of cells; the message names the file and line.</exception>
    public static RunMetrics Read(string runDir)
    {
        string path = Path.Combine(runDir, "metrics.csv");
        if (!File.Exists(path)) throw new InvalidDataException($"{runDir}: not a training run directory (no metrics.csv).");
        string text;
        try
        {
            // the trainer appends while we read: share the file and read what is there
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(fs);
            text = reader.ReadToEnd();
        }
        catch (IOException e) { throw new InvalidDataException($"{path}: cannot be read: {e.Message}"); }
        int end = text.LastIndexOf('\n');
        if (end < 0) throw new InvalidDataException($"{path}: has no header line.");
        var lines = text[..end].Split('\n');
        var columns = lines[0].TrimEnd('\r').Split(',');
        if (columns.Length == 0 || columns[0] != "step")
            throw new InvalidDataException($"{path}:1: expected a header starting with 'step', got '{Truncate(lines[0])}'.");
        var rows = new List<double[]>(lines.Length - 1);
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            if (cells.Length != columns.Length)
                throw new InvalidDataException($"{path}:{i + 1}: {cells.Length} cells for {columns.Length} columns.");
            var row = new double[cells.Length];
            for (int c = 0; c < cells.Length; c++)
                row[c] = double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
            rows.Add(row);
        }
        Canonicalize(columns, rows);
        return new RunMetrics(runDir, columns, rows, File.Exists(Path.Combine(runDir, "final.json")));
    }

    // A run written before the registry keys (fro[NAME], min_margin, gamma, loss, train_acc, ...) reads under the
    // registry keys, its values converted (MeasureAliases); an old column whose key the file also holds keeps its name.
    private static void Canonicalize(string[] columns, List<double[]> rows)
    {
        var aliases = MeasureAliases.Columns(columns);
        var present = columns.Where((_, c) => aliases[c] is null).ToHashSet(StringComparer.Ordinal);
        for (int c = 0; c < columns.Length; c++)
        {
            if (aliases[c] is not { } a || !present.Add(a.Key)) continue;
            columns[c] = a.Key;
            foreach (var row in rows) row[c] = a.Convert(row[c]);
        }
    }

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
