using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Data;
using Gradscope.Nn;

/// <summary>
/// Margins (THEORY.md section 3). Raw margin m_i: binary y_i f(x_i) with labels 0/1 used as -1/+1;
/// multiclass z_{y_i} - max_{j != y_i} z_j. Normalized forms divide by rho (rho-normalized) or by
/// R ||X||_F / n (spectrally normalized); gamma = min_i m_i / rho.
/// </summary>
public static class Margins
{
    /// <summary>Raw margins of <paramref name="model"/> on <paramref name="data"/>.</summary>
    public static double[] Raw<T>(Sequential<T> model, Dataset data) where T : unmanaged, IFloatingPointIeee754<T> =>
        Raw(ModelEval.Outputs(model, data), data.Y);

    /// <summary>Raw margins from outputs (n, C) row-major and labels; C = 1 is binary.</summary>
    public static double[] Raw(ReadOnlySpan<double> outputs, ReadOnlySpan<int> labels)
    {
        int n = labels.Length;
        if (n == 0 || outputs.Length % n != 0) throw new ArgumentException($"Margins: {outputs.Length} outputs for {n} labels.");
        int c = outputs.Length / n;
        var m = new double[n];
        for (int i = 0; i < n; i++)
        {
            int y = labels[i];
            if (c == 1)
            {
                if (y is not (0 or 1)) throw new ArgumentException($"Margins: binary label of sample {i} is {y}, expected 0 or 1.");
                m[i] = (y == 1 ? 1 : -1) * outputs[i];
                continue;
            }
            if ((uint)y >= (uint)c) throw new ArgumentException($"Margins: label {y} of sample {i} is outside [0, {c}).");
            double mx = double.NegativeInfinity;
            for (int j = 0; j < c; j++) if (j != y) mx = Math.Max(mx, outputs[i * c + j]);
            m[i] = outputs[i * c + y] - mx;
        }
        return m;
    }

    /// <summary>m_i / rho.</summary>
    public static double[] RhoNormalized(ReadOnlySpan<double> raw, double rho) =>
        rho > 0 ? Scale(raw, 1 / rho) : throw new ArgumentException($"Margins: rho must be positive, got {rho}.");

    /// <summary>m_i / (R ||X||_F / n), with R the spectral complexity and X the n x d input matrix.</summary>
    public static double[] SpectrallyNormalized(ReadOnlySpan<double> raw, double spectralComplexity, double inputFrobenius) =>
        spectralComplexity > 0 && inputFrobenius > 0
            ? Scale(raw, raw.Length / (spectralComplexity * inputFrobenius))
            : throw new ArgumentException($"Margins: R ({spectralComplexity}) and ||X||_F ({inputFrobenius}) must be positive.");

    /// <summary>Minimum normalized margin gamma = min_i m_i / rho.</summary>
    public static double GammaMin(ReadOnlySpan<double> raw, double rho)
    {
        if (raw.IsEmpty) throw new ArgumentException("Margins.GammaMin: no samples.");
        double mn = double.PositiveInfinity;
        foreach (double x in raw) mn = Math.Min(mn, x);
        return mn / rho;
    }

    /// <summary>||X||_F of a dataset's inputs.</summary>
    public static double InputFrobenius(Dataset data) => System.Numerics.Tensors.TensorPrimitives.Norm<double>(data.X);

    /// <summary>B = max_i ||x_i||_2.</summary>
    public static double MaxInputNorm(Dataset data)
    {
        double b = 0;
        for (int i = 0; i < data.N; i++) b = Math.Max(b, System.Numerics.Tensors.TensorPrimitives.Norm(data.Row(i)));
        return b;
    }

    private static double[] Scale(ReadOnlySpan<double> x, double a)
    {
        var r = new double[x.Length];
        for (int i = 0; i < r.Length; i++) r[i] = x[i] * a;
        return r;
    }
}

/// <summary>AdaBoost l1 margins y_i f(x_i) / ||a||_1 with f = sum_t a_t h_t, h_t(x) in {-1, +1} (THEORY.md section 3).</summary>
public static class AdaBoostMargins
{
    /// <summary>
    /// Margins from stump outputs <paramref name="stumpOutputs"/> (n, T) row-major with entries +-1,
    /// weights a (T) and labels 0/1 (used as -1/+1). Throws on shape mismatch or ||a||_1 = 0.
    /// </summary>
    public static double[] Of(ReadOnlySpan<double> stumpOutputs, ReadOnlySpan<double> weights, ReadOnlySpan<int> labels)
    {
        int n = labels.Length, t = weights.Length;
        if (stumpOutputs.Length != (long)n * t) throw new ArgumentException($"AdaBoostMargins: stump outputs have {stumpOutputs.Length} entries, expected n x T = {n} x {t}.");
        double l1 = 0;
        foreach (double a in weights) l1 += Math.Abs(a);
        if (l1 == 0) throw new ArgumentException("AdaBoostMargins: all weights are 0.");
        var m = new double[n];
        for (int i = 0; i < n; i++)
        {
            double f = 0;
            for (int k = 0; k < t; k++) f += weights[k] * stumpOutputs[i * t + k];
            m[i] = (labels[i] == 1 ? 1 : labels[i] == 0 ? -1 : throw new ArgumentException($"AdaBoostMargins: label {labels[i]} is not 0/1.")) * f / l1;
        }
        return m;
    }
}
