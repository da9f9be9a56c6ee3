using System.Numerics.Tensors;

namespace Gradscope.Measures;

using Gradscope.Tensors;

/// <summary>The top singular triple (s_1, u_1, v_1) of a matrix: W v_1 = s_1 u_1, W^T u_1 = s_1 v_1.</summary>
public sealed record TopSingular(double Value, double[] Left, double[] Right, int Iterations);

/// <summary>
/// Spectral norm ||W||_2 = s_1, the largest singular value, by power iteration on W^T W
/// (v &lt;- W^T W v / ||W^T W v||, s = ||W v||) until the relative change of s falls below the
/// tolerance, or by a full SVD (<see cref="SingularSpectrum"/>).
/// </summary>
public static class SpectralNorm
{
    /// <summary>Default relative tolerance of the power iteration.</summary>
    public const double DefaultTolerance = 1e-10;

    /// <summary>s_1 by power iteration (deterministic start from a fixed seed).</summary>
    public static double Of(WeightMatrix w, double tolerance = DefaultTolerance, int maxIterations = 5000) =>
        PowerIteration(w, tolerance, maxIterations).Value;

    /// <summary>s_1 by a full SVD (MathNet).</summary>
    public static double BySvd(WeightMatrix w) => SingularSpectrum.Of(w)[0];

    /// <summary>
    /// Power iteration for the top singular triple. Stops when |s_t - s_{t-1}| &lt;= tolerance * s_t
    /// (the value converges twice as fast as the vectors; when s_2/s_1 is close to 1 the error can exceed
    /// the last change), or after <paramref name="maxIterations"/>. Starts from <paramref name="start"/>
    /// (a previous right singular vector: a warm start for probes during training) or from a seeded Gaussian.
    /// </summary>
    public static TopSingular PowerIteration(WeightMatrix w, double tolerance = DefaultTolerance, int maxIterations = 5000, ulong seed = 0x5EC7, double[]? start = null)
    {
        int m = w.Rows, n = w.Cols;
        var v = StartVector(n, seed, start);
        var u = new double[m];
        double s = 0;
        int it = 0;
        while (it < maxIterations)
        {
            it++;
            // u = W v, s = ||u||; v = W^T u / ||W^T u||
            for (int r = 0; r < m; r++) u[r] = TensorPrimitives.Dot(w.Row(r), v);
            double sNew = TensorPrimitives.Norm<double>(u);
            if (sNew == 0) return new TopSingular(0, u, v, it);
            Array.Clear(v);
            for (int r = 0; r < m; r++) TensorPrimitives.MultiplyAdd(w.Row(r), u[r], v, v);
            Normalize(v);
            bool done = Math.Abs(sNew - s) <= tolerance * sNew;
            s = sNew;
            if (done) break;
        }
        for (int r = 0; r < m; r++) u[r] = TensorPrimitives.Dot(w.Row(r), v);
        s = TensorPrimitives.Norm<double>(u);
        if (s > 0) TensorPrimitives.Divide(u, s, u);
        return new TopSingular(s, u, v, it);
    }

    /// <summary>The unit start vector of a power iteration: <paramref name="start"/> (a warm start) when it has length
    /// <paramref name="n"/> and is nonzero, else a Gaussian drawn from <paramref name="seed"/>.</summary>
    internal static double[] StartVector(int n, ulong seed, double[]? start)
    {
        var v = new double[n];
        if (start is not null && start.Length == n && TensorPrimitives.Norm<double>(start) > 0) start.CopyTo(v, 0);
        else
        {
            var rng = new Rng(seed);
            for (int j = 0; j < n; j++) v[j] = rng.NextNormal();
        }
        Normalize(v);
        return v;
    }

    /// <summary>Scales <paramref name="x"/> to unit norm (a zero vector stays zero).</summary>
    internal static void Normalize(double[] x)
    {
        double nrm = TensorPrimitives.Norm<double>(x);
        if (nrm > 0) TensorPrimitives.Divide(x, nrm, x);
    }
}
