using System.Globalization;
using System.Text;
using Gradscope.Tensors;

namespace Gradscope.Data;

/// <summary>
/// A CSV table with any header, as pandas' <c>DataFrame.to_csv</c> writes it: line 1 names the columns, every other
/// line is one sample. The label is the column named by <c>label</c>, else the last column; every other column is a
/// numeric feature. pandas' default index column (an unnamed first column holding 0, 1, ..., n-1) is recognized and
/// dropped. Cells may be double-quoted (<c>"a,b"</c>, with <c>""</c> for a quote); gzip is detected by its magic bytes.
/// Gradscope's own <c>x0,...,x{d-1},y</c> files are the special case with the label last.
/// </summary>
public static class TableCsv
{
    /// <summary>
    /// Reads the table. <paramref name="label"/> names the label column (null: the last column); <paramref name="classes"/> = 0
    /// infers C = max label + 1 (at least 2). Throws InvalidDataException naming the file, line and column for a missing or
    /// duplicated label column, ragged rows, empty cells (pandas writes NaN as an empty cell), non-numeric or non-finite
    /// values, and labels that are not integers in [0, C).
    /// </summary>
    public static Dataset Read(string path, string? label = null, int classes = 0, string? name = null)
    {
        string[]? header = null;
        int headerLine = 0;
        var rows = new List<(int Line, string[] Cells)>();
        foreach (var (line, text) in DataFile.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            var cells = Split(text, path, line);
            if (header is null)
            {
                header = cells.Select(c => c.Trim()).ToArray();
                headerLine = line;
                if (header.Length >= 2 && header.All(IsNumber))
                    throw new InvalidDataException($"'{path}' line {line}: the first line holds numbers, not column names; a CSV needs a header line naming the columns (pandas' to_csv writes one; for a file without one add a line such as x0,x1,...,y).");
                continue;
            }
            if (cells.Length != header.Length)
                throw new InvalidDataException($"'{path}' line {line}: {cells.Length} cells, but the header (line {headerLine}) names {header.Length} columns.");
            if ((long)rows.Count * header.Length > MemoryLimit.MaxElements)
                throw new InvalidDataException($"'{path}' line {line}: more than {MemoryLimit.MaxElements} values, the limit of one array.");
            rows.Add((line, cells));
        }
        if (header is null) throw new InvalidDataException($"'{path}': empty file, expected a header line naming the columns, then one sample per line.");
        if (rows.Count == 0) throw new InvalidDataException($"'{path}': no data rows after the header ({string.Join(",", header)}).");

        bool dropIndex = header[0].Length == 0 && header.Length >= 3;
        if (dropIndex)
        {
            // pandas' default index: an unnamed first column 0, 1, ..., n-1
            for (int i = 0; i < rows.Count; i++)
                if (rows[i].Cells[0].Trim() != i.ToString(CultureInfo.InvariantCulture))
                    throw new InvalidDataException($"'{path}' line {rows[i].Line}: the first column has no name but is not pandas' default index 0..{rows.Count - 1} (row {i} holds '{rows[i].Cells[0].Trim()}'); name the column or write the file with to_csv(index=False).");
        }
        int first = dropIndex ? 1 : 0;
        int labelColumn;
        if (label is null) labelColumn = header.Length - 1;
        else
        {
            var matches = Enumerable.Range(first, header.Length - first).Where(j => header[j] == label).ToList();
            if (matches.Count == 0)
                throw new InvalidDataException($"'{path}': no label column '{label}'; the header names {Names(header, first)}.");
            if (matches.Count > 1)
                throw new InvalidDataException($"'{path}': the label column '{label}' appears {matches.Count} times in the header (columns {string.Join(", ", matches.Select(j => j + 1))}).");
            labelColumn = matches[0];
        }
        var features = Enumerable.Range(first, header.Length - first).Where(j => j != labelColumn).ToArray();
        if (features.Length == 0)
            throw new InvalidDataException($"'{path}': no feature columns besides the label column '{header[labelColumn]}'.");

        int n = rows.Count, d = features.Length;
        var x = new double[checked(n * d)];
        var labels = new double[n];
        for (int i = 0; i < n; i++)
        {
            var (line, cells) = rows[i];
            for (int k = 0; k < d; k++) x[i * d + k] = Cell(cells[features[k]], path, line, header, features[k]);
            labels[i] = Cell(cells[labelColumn], path, line, header, labelColumn);
        }
        var y = Labels.FromValues(labels, classes, i => $"'{path}' line {rows[i].Line}, label column {Column(header, labelColumn)}");
        int c = classes > 0 ? classes : Labels.Infer(y);
        return new Dataset(name ?? Path.GetFileNameWithoutExtension(path), x, y, [d], c);
    }

    /// <summary>Whether <paramref name="path"/> names a file this reader takes by its extension (.csv, .csv.gz).</summary>
    public static bool HasExtension(string path) =>
        path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase);

    private static string Column(string[] header, int j) => header[j].Length == 0 ? $"{j + 1} (unnamed)" : $"'{header[j]}' ({j + 1})";

    private static string Names(string[] header, int first) =>
        string.Join(", ", header.Skip(first).Select(h => $"'{h}'").Take(20)) + (header.Length - first > 20 ? $", ... ({header.Length - first} columns)" : "");

    private static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static double Cell(string cell, string path, int line, string[] header, int j)
    {
        var t = cell.Trim();
        if (t.Length == 0)
            throw new InvalidDataException($"'{path}' line {line}, column {Column(header, j)}: empty cell (a missing value; pandas writes NaN as an empty cell). Drop or fill missing values first.");
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw new InvalidDataException($"'{path}' line {line}, column {Column(header, j)}: '{Show(t)}' is not a number (every feature and the label must be numeric).");
        if (!double.IsFinite(v))
            throw new InvalidDataException($"'{path}' line {line}, column {Column(header, j)}: value {Show(t)} is not finite.");
        return v;
    }

    private static string Show(string s) => s.Length > 40 ? s[..40] + "..." : s;

    /// <summary>Splits one CSV line on commas; a cell may be double-quoted, with "" for a quote inside it.</summary>
    internal static string[] Split(string text, string path, int line)
    {
        if (!text.Contains('"')) return text.Split(',');
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (quoted)
            {
                if (ch != '"') cell.Append(ch);
                else if (i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else quoted = false;
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(ch);
        }
        if (quoted) throw new InvalidDataException($"'{path}' line {line}: a quoted cell is not closed (multi-line cells are not supported).");
        cells.Add(cell.ToString());
        return cells.ToArray();
    }
}

/// <summary>Class labels from numeric columns or arrays: integers in [0, C).</summary>
internal static class Labels
{
    /// <summary>
    /// The labels as integers; throws InvalidDataException (message starting with <paramref name="where"/>(i)) for a value that
    /// is not an integer in [0, <paramref name="classes"/>) (classes 0: any non-negative integer below 2^31).
    /// </summary>
    public static int[] FromValues(IReadOnlyList<double> values, int classes, Func<int, string> where)
    {
        var y = new int[values.Count];
        for (int i = 0; i < y.Length; i++)
        {
            double v = values[i];
            if (!double.IsFinite(v) || v != Math.Floor(v) || v < 0 || v >= (classes > 0 ? classes : int.MaxValue))
                throw new InvalidDataException($"{where(i)}: label {v.ToString("R", CultureInfo.InvariantCulture)} is not a class number, an integer in [0, {(classes > 0 ? classes.ToString(CultureInfo.InvariantCulture) : "C")}) (map -1/+1 labels to 0/1 and class names to 0..C-1 first).");
            y[i] = (int)v;
        }
        return y;
    }

    /// <summary>C = max label + 1, at least 2.</summary>
    public static int Infer(int[] y) => Math.Max(2, y.Length == 0 ? 2 : y.Max() + 1);
}
