namespace Gradscope.Data;

/// <summary>
/// scikit-learn's bundled CSV format (iris.csv, wine_data.csv, breast_cancer.csv): line 1 is
/// metadata <c>n,d,name_0,...,name_{C-1}</c> (sample count, feature count, class names), then
/// n rows of d floats and an integer class.
/// </summary>
public static class SklearnCsv
{
    /// <summary>
    /// Reads the file and checks the metadata line against the rows (count and width).
    /// Throws InvalidDataException naming the file and line on any mismatch.
    /// </summary>
    public static Dataset Read(string path, string? name = null) => Read(path, name, out _);

    /// <summary>Reads the file; <paramref name="classNames"/> receives the class names of line 1.</summary>
    public static Dataset Read(string path, string? name, out string[] classNames)
    {
        int n = -1, d = -1, classes = 0;
        classNames = [];
        var x = new List<double>();
        var y = new List<int>();
        foreach (var (line, text) in DataFile.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            var cells = DataFile.SplitCells(text);
            if (n < 0)
            {
                if (cells.Length < 4 || !int.TryParse(cells[0], out n) || !int.TryParse(cells[1], out d) || n < 0 || d < 1)
                    throw new InvalidDataException($"'{path}' line {line}: expected the scikit-learn metadata line 'n,d,class_0,class_1,...', got '{text}'.");
                classNames = cells[2..].Select(c => c.Trim()).ToArray();
                classes = classNames.Length;
                continue;
            }
            if (cells.Length != d + 1)
                throw new InvalidDataException($"'{path}' line {line}: {cells.Length} columns, expected {d + 1} (d = {d} features + class).");
            for (int j = 0; j < d; j++) x.Add(DataFile.ParseCell(cells[j], path, line, j + 1));
            y.Add(DataFile.ParseLabel(cells[d], path, line, d + 1, classes));
        }
        if (n < 0) throw new InvalidDataException($"'{path}': empty file, expected a metadata line 'n,d,class names'.");
        if (y.Count != n) throw new InvalidDataException($"'{path}': metadata line says {n} samples but the file has {y.Count} rows.");
        return new Dataset(name ?? Path.GetFileNameWithoutExtension(path), x.ToArray(), y.ToArray(), [d], classes);
    }
}
