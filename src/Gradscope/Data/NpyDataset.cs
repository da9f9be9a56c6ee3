using System.Globalization;

namespace Gradscope.Data;

/// <summary>
/// A dataset from NumPy arrays, the way PyTorch code keeps tensors on disk: features X of shape (n, ...) (one sample per
/// leading index; (n) is n samples of one feature) and class labels y of shape (n) or (n, 1), either as two .npy files
/// (<c>np.save("X.npy", X); np.save("y.npy", y)</c>) or as two arrays of one .npz (<c>np.savez("d.npz", X=X, y=y)</c>).
/// In a .npz the arrays are found by name: X is the first of <see cref="FeatureNames"/>, y the first of
/// <see cref="LabelNames"/>, unless named explicitly. Every supported dtype of <see cref="Npy"/> is read as double.
/// </summary>
public static class NpyDataset
{
    /// <summary>Array names tried for the features of a .npz, in order.</summary>
    public static IReadOnlyList<string> FeatureNames { get; } = ["X", "x", "features", "data", "inputs"];
    /// <summary>Array names tried for the labels of a .npz, in order.</summary>
    public static IReadOnlyList<string> LabelNames { get; } = ["y", "Y", "labels", "targets", "target"];

    /// <summary>
    /// Reads features from <paramref name="xPath"/> and labels from <paramref name="yPath"/> (.npy files). Throws
    /// InvalidDataException naming the file for unreadable arrays, mismatched lengths, non-finite features and labels that
    /// are not integers in [0, C) (<paramref name="classes"/> 0: C = max label + 1, at least 2).
    /// </summary>
    public static Dataset ReadPair(string xPath, string yPath, int classes = 0, string? name = null) =>
        Build(Npy.Read(xPath), $"'{xPath}'", Npy.Read(yPath), $"'{yPath}'", classes, name ?? Path.GetFileNameWithoutExtension(xPath));

    /// <summary>
    /// Reads features and labels from two arrays of the .npz archive <paramref name="path"/>: <paramref name="xName"/> and
    /// <paramref name="yName"/>, or the first present of <see cref="FeatureNames"/> / <see cref="LabelNames"/>. Throws
    /// InvalidDataException naming the file and the arrays it holds when one is missing; otherwise as <see cref="ReadPair"/>.
    /// </summary>
    public static Dataset ReadNpz(string path, string? xName = null, string? yName = null, int classes = 0, string? name = null)
    {
        var arrays = Npy.ReadNpz(path);
        string Pick(string? given, IReadOnlyList<string> defaults, string what, string key)
        {
            string held = string.Join(", ", arrays.Keys.Order(StringComparer.Ordinal).Select(k => $"'{k}'"));
            if (given is not null)
                return arrays.ContainsKey(given) ? given : throw new InvalidDataException($"'{path}': no array '{given}' ({what}, parameter {key}); the archive holds {held}.");
            return defaults.FirstOrDefault(arrays.ContainsKey)
                ?? throw new InvalidDataException($"'{path}': no {what} array (looked for {string.Join(", ", defaults.Select(d => $"'{d}'"))}; the archive holds {held}); name it with the parameter {key}.");
        }
        string xn = Pick(xName, FeatureNames, "features", "x"), yn = Pick(yName, LabelNames, "labels", "y");
        if (xn == yn) throw new InvalidDataException($"'{path}': features and labels are both the array '{xn}'.");
        return Build(arrays[xn], $"'{path}' array '{xn}'", arrays[yn], $"'{path}' array '{yn}'", classes, name ?? Path.GetFileNameWithoutExtension(path));
    }

    private static Dataset Build(NpyArray x, string xWhere, NpyArray y, string yWhere, int classes, string name)
    {
        if (x.Shape.Length == 0) throw new InvalidDataException($"{xWhere}: features are a scalar, expected an array of shape (n, features...).");
        if (y.Shape.Length == 0 || y.Shape.Length > 2 || (y.Shape.Length == 2 && y.Shape[1] != 1))
            throw new InvalidDataException($"{yWhere}: labels have shape {Shape(y.Shape)}, expected (n) or (n, 1) class numbers (for one-hot labels save y.argmax(1)).");
        int n = x.Shape[0];
        if (y.Shape[0] != n)
            throw new InvalidDataException($"{xWhere} holds {n} samples but {yWhere} holds {y.Shape[0]} labels; X and y must have the same length.");
        if (n == 0) throw new InvalidDataException($"{xWhere}: no samples (shape {Shape(x.Shape)}).");
        int[] sample = x.Shape.Length == 1 ? [1] : x.Shape[1..];
        int d = sample.Aggregate(1, (a, b) => a * b);
        if (d == 0) throw new InvalidDataException($"{xWhere}: samples of shape {Shape(sample)} hold no features.");
        for (int i = 0; i < x.Data.Length; i++)
            if (!double.IsFinite(x.Data[i]))
                throw new InvalidDataException($"{xWhere}: sample {i / d}, feature {i % d} is {x.Data[i].ToString(CultureInfo.InvariantCulture)} (features must be finite; drop or fill missing values first).");
        var labels = Labels.FromValues(y.Data, classes, i => $"{yWhere}, sample {i}");
        return new Dataset(name, x.Data, labels, sample, classes > 0 ? classes : Labels.Infer(labels));
    }

    private static string Shape(int[] s) => "(" + string.Join(", ", s) + (s.Length == 1 ? ",)" : ")");
}
