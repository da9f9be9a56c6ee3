using System.Numerics.Tensors;

namespace Gradscope.Measures;

using Gradscope.Tensors;

/// <summary>
/// The loss Hessian H = grad^2 L(W) of a small dense net in full (THEORY.md section 5, sharpness and Hessian spectrum):
/// built column by column from exact Hessian-vector products (H e_j, <see cref="HessianVectorProduct"/>), symmetrized,
/// then its exact trace, Frobenius norm and every eigenvalue (a symmetric solve).
/// </summary>
/// <param name="Matrix">H, P x P row-major, symmetrized as (H + H^T)/2.</param>
/// <param name="Eigenvalues">All P eigenvalues, ascending.</param>
/// <param name="Trace">tr H = sum_j H_jj.</param>
/// <param name="Frobenius">||H||_F.</param>
/// <param name="Asymmetry">max_ij |H_ij - H_ji| before symmetrizing (round-off of the products; 0 in exact arithmetic).</param>
public sealed record ExactHessian(double[] Matrix, double[] Eigenvalues, double Trace, double Frobenius, double Asymmetry)
{
    /// <summary>The largest P the full Hessian is built for (P^2 doubles and P products: 32 MB at 2048).</summary>
    public const int MaxParameters = 2048;

    /// <summary>Builds H from <paramref name="h"/>; throws ArgumentException naming P when P exceeds <see cref="MaxParameters"/>.</summary>
    public static ExactHessian Of(HessianVectorProduct h)
    {
        int p = h.Dimension;
        if (p > MaxParameters)
            throw new ArgumentException($"the full Hessian has P x P = {p} x {p} entries; it is built for P <= {MaxParameters} parameters (use the stochastic estimates instead).");
        var m = new double[p * p];
        var e = new double[p];
        var col = new double[p];
        for (int j = 0; j < p; j++)
        {
            e[j] = 1; h.Apply(e, col); e[j] = 0;
            for (int i = 0; i < p; i++) m[i * p + j] = col[i];
        }
        double asym = 0;
        for (int i = 0; i < p; i++)
            for (int j = i + 1; j < p; j++)
            {
                double a = m[i * p + j], b = m[j * p + i];
                asym = Math.Max(asym, Math.Abs(a - b));
                m[i * p + j] = m[j * p + i] = 0.5 * (a + b);
            }
        double trace = 0;
        for (int i = 0; i < p; i++) trace += m[i * p + i];
        return new ExactHessian(m, SymmetricSpectrum.Ascending(m, p), trace, TensorPrimitives.Norm<double>(m), asym);
    }
}

/// <summary>A Monte Carlo estimate: the mean of S samples and its standard error s / sqrt(S) (NaN for S = 1).</summary>
public readonly record struct Estimate(double Mean, double StandardError, int Samples);

/// <summary>
/// Stochastic Hessian estimates from Rademacher probes v (entries +-1, E[v v^T] = I): Hutchinson's trace E[v^T H v] = tr H
/// and the squared Frobenius norm E[||H v||^2] = tr(H^T H) = ||H||_F^2 (THEORY.md section 5), each with its standard error.
/// </summary>
public static class StochasticHessian
{
    /// <summary>Both estimates from the same <paramref name="samples"/> probes.</summary>
    public static (Estimate Trace, Estimate FrobeniusSquared) Of(HessianVectorProduct h, int samples, Rng rng)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "StochasticHessian: samples must be >= 1.");
        int p = h.Dimension;
        var v = new double[p];
        var w = new double[p];
        var t = new double[samples];
        var f = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            for (int i = 0; i < p; i++) v[i] = (rng.NextUInt64() >> 63) == 0 ? -1 : 1;
            h.Apply(v, w);
            t[s] = TensorPrimitives.Dot<double>(v, w);
            f[s] = TensorPrimitives.Dot<double>(w, w);
        }
        return (Summarize(t), Summarize(f));
    }

    /// <summary>Mean and standard error (sample standard deviation with n - 1, over sqrt n) of <paramref name="x"/>.</summary>
    public static Estimate Summarize(ReadOnlySpan<double> x)
    {
        int n = x.Length;
        double mean = 0;
        foreach (double v in x) mean += v;
        mean /= n;
        if (n < 2) return new Estimate(mean, double.NaN, n);
        double ss = 0;
        foreach (double v in x) ss += (v - mean) * (v - mean);
        return new Estimate(mean, Math.Sqrt(ss / (n - 1) / n), n);
    }
}
