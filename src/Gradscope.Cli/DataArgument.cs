using System.Globalization;
using Gradscope.Data;

namespace Gradscope.Cli;

/// <summary>
/// The DATA argument of <c>gradscope svm</c>, <c>gradscope ntk-analytic</c> and <c>gradscope measure --data/--test</c>: a data
/// file (<see cref="DataFiles"/>: a CSV with a header, X.npy,y.npy, a .npz, a Parquet file) or a dataset name, with optional
/// <c>:key=value</c> parameters (<c>data.csv:label=species</c>, <c>mnist-test:per_class=100</c>).
/// </summary>
internal static class DataArgument
{
    /// <summary>
    /// Loads <paramref name="source"/>; throws InvalidDataException naming it when it is neither a data file nor a known dataset,
    /// and the readers' errors (naming the file and column or array) when the file is malformed.
    /// </summary>
    public static Dataset Load(string source, bool isTest = false, string what = "DATA")
    {
        var (name, parameters) = DataFiles.ParseSpec(source);
        if (Gradscope.Data.DataFiles.IsFileSource(name) && DataFiles.Pair(name) is null && !File.Exists(name))
            throw new FileNotFoundException($"{what} '{name}' does not exist.", name);
        if (DataFiles.Pair(name) is var (x, y))
            foreach (var f in new[] { x, y })
                if (!File.Exists(f)) throw new FileNotFoundException($"{what} '{name}': '{f}' does not exist.", f);
        return DataResolver.Resolve(name, parameters, isTest, 0)
            ?? throw new InvalidDataException($"{what} '{name}' is neither a data file ({DataFiles.Formats}) nor a dataset name (see: gradscope data list).");
    }

    /// <summary>
    /// Parses explicit row indices "0,5,7" of a set of <paramref name="n"/> rows; throws ArgumentException naming
    /// <paramref name="option"/> and the value when one is not an integer in [0, n).
    /// </summary>
    public static int[] Rows(string text, int n, string option, string dataName)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException($"{option} needs at least one row index.");
        var rows = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out rows[i]))
                throw new ArgumentException($"{option}: '{parts[i]}' is not a row index (a non-negative integer).");
            if (rows[i] >= n) throw new ArgumentException($"{option}: row {rows[i]} is out of range; '{dataName}' has rows 0..{n - 1}.");
        }
        if (rows.Distinct().Count() != rows.Length) throw new ArgumentException($"{option}: row {rows.GroupBy(r => r).First(g => g.Count() > 1).Key} is listed twice.");
        return rows;
    }

    /// <summary>
    /// Relabels a pair of classes "a,b" to 0/1 (other classes dropped) and returns the DATA row of each kept sample;
    /// throws ArgumentException naming --binary.
    /// </summary>
    public static (Dataset Data, int[] Rows) Binary(Dataset data, string pair)
    {
        var p = pair.Split(',', StringSplitOptions.TrimEntries);
        if (p.Length != 2 || !int.TryParse(p[0], CultureInfo.InvariantCulture, out int a) || !int.TryParse(p[1], CultureInfo.InvariantCulture, out int b) || a == b
            || a < 0 || b < 0 || a >= data.Classes || b >= data.Classes)
            throw new ArgumentException($"--binary must name two different classes of '{data.Name}' (0..{data.Classes - 1}) as A,B, got '{pair}'.");
        var idx = Enumerable.Range(0, data.N).Where(i => data.Y[i] == a || data.Y[i] == b).ToArray();
        var sub = data.Subset(idx);
        return (new Dataset($"{data.Name}[{a} vs {b}]", sub.X, sub.Y.Select(y => y == b ? 1 : 0).ToArray(), sub.SampleShape, 2), idx);
    }
}
