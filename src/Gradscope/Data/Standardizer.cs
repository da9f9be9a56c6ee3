namespace Gradscope.Data;

/// <summary>
/// Per-feature standardization x'_j = (x_j - mu_j) / sigma_j with mu, sigma fitted on the training set only
/// (population standard deviation; a constant feature gets sigma = 1 so it maps to 0), then applied unchanged
/// to any other split.
/// </summary>
public sealed class Standardizer
{
    private Standardizer(double[] mean, double[] std) { Mean = mean; Std = std; }

    /// <summary>Per-feature means mu_j of the training set.</summary>
    public double[] Mean { get; }
    /// <summary>Per-feature standard deviations sigma_j (1 where the feature is constant).</summary>
    public double[] Std { get; }

    /// <summary>Fits mu and sigma on <paramref name="train"/>.</summary>
    public static Standardizer Fit(Dataset train)
    {
        if (train.N == 0) throw new ArgumentException($"Standardizer.Fit: dataset '{train.Name}' is empty.");
        int d = train.D;
        var mean = new double[d];
        var std = new double[d];
        for (int i = 0; i < train.N; i++) { var r = train.Row(i); for (int j = 0; j < d; j++) mean[j] += r[j]; }
        for (int j = 0; j < d; j++) mean[j] /= train.N;
        for (int i = 0; i < train.N; i++) { var r = train.Row(i); for (int j = 0; j < d; j++) { double c = r[j] - mean[j]; std[j] += c * c; } }
        for (int j = 0; j < d; j++)
        {
            std[j] = Math.Sqrt(std[j] / train.N);
            if (!(std[j] > 1e-12 * Math.Max(1, Math.Abs(mean[j])))) std[j] = 1;
        }
        return new Standardizer(mean, std);
    }

    /// <summary>A standardized copy of <paramref name="data"/>; throws ArgumentException when its feature count differs.</summary>
    public Dataset Apply(Dataset data)
    {
        if (data.D != Mean.Length) throw new ArgumentException($"Standardizer: dataset '{data.Name}' has {data.D} features, fitted on {Mean.Length}.");
        var x = new double[data.X.Length];
        for (int i = 0; i < data.N; i++)
            for (int j = 0; j < data.D; j++)
                x[i * data.D + j] = (data.X[i * data.D + j] - Mean[j]) / Std[j];
        return new Dataset(data.Name, x, (int[])data.Y.Clone(), data.SampleShape, data.Classes);
    }
}
