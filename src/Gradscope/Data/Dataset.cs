namespace Gradscope.Data;

/// <summary>
/// A labelled dataset held in memory: n samples of per-sample shape <see cref="SampleShape"/>
/// (e.g. (64) for optdigits, (1, 28, 28) for MNIST) stored row-major in <see cref="X"/>, and
/// integer labels in <see cref="Y"/> (0/1 for binary tasks, 0..C-1 for multiclass).
/// </summary>
public sealed class Dataset
{
    /// <summary>Creates a dataset; checks that <paramref name="x"/> holds n * prod(sampleShape) values and labels lie in [0, classes).</summary>
    public Dataset(string name, double[] x, int[] y, int[] sampleShape, int classes)
    {
        Name = name;
        SampleShape = (int[])sampleShape.Clone();
        int d = 1; foreach (int s in sampleShape) d *= s;
        D = d;
        if (y.Length == 0 && x.Length != 0) throw new ArgumentException($"Dataset '{name}': {x.Length} values but no labels.");
        if (x.Length != (long)y.Length * d)
            throw new ArgumentException($"Dataset '{name}': {x.Length} values do not make {y.Length} samples of {d} features.");
        if (classes < 2) throw new ArgumentException($"Dataset '{name}': needs at least 2 classes, got {classes}.");
        for (int i = 0; i < y.Length; i++)
            if ((uint)y[i] >= (uint)classes)
                throw new ArgumentException($"Dataset '{name}': label {y[i]} of sample {i} is out of range [0, {classes}).");
        X = x; Y = y; Classes = classes;
    }

    /// <summary>A short name for reports ("optdigits-train", "separable(n=100, d=20)").</summary>
    public string Name { get; }
    /// <summary>Inputs, n x D row-major.</summary>
    public double[] X { get; }
    /// <summary>Labels.</summary>
    public int[] Y { get; }
    /// <summary>Per-sample shape.</summary>
    public int[] SampleShape { get; }
    /// <summary>Features per sample (product of <see cref="SampleShape"/>).</summary>
    public int D { get; }
    /// <summary>Number of samples.</summary>
    public int N => Y.Length;
    /// <summary>Number of classes C (2 for binary).</summary>
    public int Classes { get; }

    /// <summary>Sample i's features.</summary>
    public ReadOnlySpan<double> Row(int i) => X.AsSpan(i * D, D);

    /// <summary>A new dataset with the samples at <paramref name="indices"/>, in that order.</summary>
    public Dataset Subset(ReadOnlySpan<int> indices, string? name = null)
    {
        var x = new double[indices.Length * D];
        var y = new int[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            if ((uint)i >= (uint)N) throw new ArgumentOutOfRangeException(nameof(indices), $"Index {i} outside dataset '{Name}' of {N} samples.");
            Row(i).CopyTo(x.AsSpan(k * D, D));
            y[k] = Y[i];
        }
        return new Dataset(name ?? Name, x, y, SampleShape, Classes);
    }

    /// <summary>A copy with labels replaced.</summary>
    public Dataset WithLabels(int[] labels, string? name = null) => new(name ?? Name, X, labels, SampleShape, Classes);
}
