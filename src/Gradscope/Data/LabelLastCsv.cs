namespace Gradscope.Data;

/// <summary>
/// Header-less CSV with the class in the last column: the UCI optdigits files (optdigits.tra,
/// optdigits.tes) and scikit-learn's digits.csv.gz. Gzip is detected automatically. Blank lines are
/// skipped (optdigits.tes ends with an extra empty line); every other row must have the width of the first.
/// </summary>
public static class LabelLastCsv
{
    /// <summary>
    /// Reads the file as n rows of d features and a label in [0, <paramref name="classes"/>).
    /// <paramref name="expectedFeatures"/> (if positive) checks d. Throws InvalidDataException naming the
    /// file, line and column for ragged rows, non-numeric cells and labels out of range.
    /// </summary>
    public static Dataset Read(string path, int classes, int expectedFeatures = 0, int[]? sampleShape = null, string? name = null)
    {
        int width = -1;
        var x = new List<double>();
        var y = new List<int>();
        foreach (var (line, text) in DataFile.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            var cells = DataFile.SplitCells(text);
            if (width < 0)
            {
                width = cells.Length;
                if (width < 2) throw new InvalidDataException($"'{path}' line {line}: {width} column, expected features then a label.");
                if (expectedFeatures > 0 && width != expectedFeatures + 1)
                    throw new InvalidDataException($"'{path}' line {line}: {width} columns, expected {expectedFeatures + 1} ({expectedFeatures} features + label).");
            }
            else if (cells.Length != width)
                throw new InvalidDataException($"'{path}' line {line}: {cells.Length} columns, expected {width} like the first row.");
            for (int j = 0; j < width - 1; j++) x.Add(DataFile.ParseCell(cells[j], path, line, j + 1));
            y.Add(DataFile.ParseLabel(cells[width - 1], path, line, width, classes));
        }
        if (width < 0) throw new InvalidDataException($"'{path}': no data rows.");
        int d = width - 1;
        var shape = sampleShape ?? [d];
        if (shape.Aggregate(1, (a, b) => a * b) != d)
            throw new InvalidDataException($"'{path}': sample shape ({string.Join(", ", shape)}) does not hold {d} features.");
        return new Dataset(name ?? Path.GetFileName(path), x.ToArray(), y.ToArray(), shape, classes);
    }
}
