using System.Globalization;
using System.Text;
using Gradscope.Tensors;

namespace Gradscope.Data;

/// <summary>
/// Gradscope's own CSV format: a header line <c>x0,x1,...,x{d-1},y</c>, then one sample per line
/// (d numbers, then an integer label). Blank lines are skipped. Values are written with
/// round-trip ("R") formatting, so a write/read cycle is exact.
/// </summary>
public static class CsvDataset
{
    /// <summary>
    /// Reads a Gradscope CSV. <paramref name="classes"/> = 0 infers C = max label + 1 (at least 2).
    /// Throws InvalidDataException naming the file and line for a bad header, ragged rows,
    /// non-numeric cells (with column) and labels out of range.
    /// </summary>
    public static Dataset Read(string path, int classes = 0, int[]? sampleShape = null, string? name = null)
    {
        int d = -1;
        var x = new List<double>();
        var y = new List<int>();
        var lines = new List<int>();
        foreach (var (line, text) in DataFile.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            var cells = DataFile.SplitCells(text);
            if (d < 0)
            {
                d = cells.Length - 1;
                for (int j = 0; j < d; j++)
                    if (cells[j].Trim() != "x" + j.ToString(CultureInfo.InvariantCulture))
                        throw new InvalidDataException($"'{path}' line {line}: header column {j + 1} is '{cells[j].Trim()}', expected 'x{j}' (header must be x0,...,x{{d-1}},y).");
                if (d < 1 || cells[^1].Trim() != "y")
                    throw new InvalidDataException($"'{path}' line {line}: header must be x0,...,x{{d-1}},y; last column is '{cells[^1].Trim()}'.");
                continue;
            }
            if (x.Count + (long)d > MemoryLimit.MaxElements)
                throw new InvalidDataException($"'{path}' line {line}: more than {MemoryLimit.MaxElements} values, the limit of one array.");
            if (cells.Length != d + 1)
                throw new InvalidDataException($"'{path}' line {line}: {cells.Length} columns, expected {d + 1} (d = {d} features + label).");
            for (int j = 0; j < d; j++) x.Add(DataFile.ParseCell(cells[j], path, line, j + 1));
            y.Add(DataFile.ParseLabel(cells[d], path, line, d + 1, classes > 0 ? classes : int.MaxValue));
            lines.Add(line);
        }
        if (d < 0) throw new InvalidDataException($"'{path}': empty file, expected a header x0,...,x{{d-1}},y.");
        if (y.Count == 0) throw new InvalidDataException($"'{path}': no data rows after the header x0,...,x{d - 1},y.");
        int c = classes > 0 ? classes : Math.Max(2, y.Count == 0 ? 2 : y.Max() + 1);
        var shape = sampleShape ?? [d];
        if (shape.Aggregate(1, (a, b) => a * b) != d)
            throw new InvalidDataException($"'{path}': sample shape ({string.Join(", ", shape)}) does not hold {d} features.");
        return new Dataset(name ?? Path.GetFileNameWithoutExtension(path), x.ToArray(), y.ToArray(), shape, c);
    }

    /// <summary>Writes <paramref name="data"/> in Gradscope CSV format (atomically, LF line endings).</summary>
    public static void Write(Dataset data, string path)
    {
        var sb = new StringBuilder();
        for (int j = 0; j < data.D; j++) sb.Append('x').Append(j.ToString(CultureInfo.InvariantCulture)).Append(',');
        sb.Append("y\n");
        for (int i = 0; i < data.N; i++)
        {
            var row = data.Row(i);
            for (int j = 0; j < row.Length; j++) sb.Append(row[j].ToString("R", CultureInfo.InvariantCulture)).Append(',');
            sb.Append(data.Y[i].ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        Gradscope.IO.AtomicFile.WriteText(path, sb.ToString());
    }
}
