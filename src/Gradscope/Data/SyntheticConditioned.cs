using Gradscope.Tensors;

namespace Gradscope.Data;

/// <summary>
/// An underdetermined binary problem with a prescribed condition number: X = U diag(s) V^T (n x d, n &lt; d) with U a random
/// orthogonal n x n matrix, V a random d x n matrix with orthonormal columns and singular values
/// s_k = sqrt(n) cond^(-k/(n-1)), k = 0..n-1 (so s_max / s_min = cond and lambda_max(X^T X) / n = 1); labels +1/-1 alternate
/// before a seeded shuffle. For least-squares experiments where the slowest GD mode is known: on the mean square loss
/// (Hessian 2 X^T X / n) it contracts by 1 - 2 eta s_min^2 / n per step.
/// </summary>
public static class SyntheticConditioned
{
    /// <summary>Generates the problem; <paramref name="seed"/> draws U, V and the label order.</summary>
    /// <exception cref="ArgumentException">n &lt; 2, d &lt;= n or cond &lt; 1.</exception>
    public static Dataset Generate(int n, int d, double cond, ulong seed)
    {
        if (n < 2 || d <= n) throw new ArgumentException($"SyntheticConditioned: need 2 <= n < d, got n = {n}, d = {d}.");
        if (!(cond >= 1)) throw new ArgumentException($"SyntheticConditioned: cond must be >= 1, got {cond}.");
        var rng = new Rng(seed);
        var u = Orthonormal(n, n, rng);
        var v = Orthonormal(d, n, rng);
        var x = new double[n * d];
        for (int k = 0; k < n; k++)
        {
            double s = Math.Sqrt(n) * Math.Pow(cond, -(double)k / (n - 1));
            for (int i = 0; i < n; i++)
                for (int j = 0; j < d; j++) x[i * d + j] += u[k][i] * s * v[k][j];
        }
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % 2;
        rng.Shuffle(y.AsSpan());
        return new Dataset($"conditioned(n={n}, d={d}, cond={cond})", x, y, [d], 2);
    }

    // count orthonormal vectors of length len (Gram-Schmidt twice on Gaussian draws)
    private static double[][] Orthonormal(int len, int count, Rng rng)
    {
        var q = new double[count][];
        for (int k = 0; k < count; k++)
        {
            var v = new double[len];
            double norm;
            do
            {
                for (int j = 0; j < len; j++) v[j] = rng.NextNormal();
                for (int pass = 0; pass < 2; pass++)
                    for (int p = 0; p < k; p++)
                    {
                        double dot = 0; for (int j = 0; j < len; j++) dot += v[j] * q[p][j];
                        for (int j = 0; j < len; j++) v[j] -= dot * q[p][j];
                    }
                norm = Math.Sqrt(v.Sum(t => t * t));
            } while (norm < 1e-8);
            for (int j = 0; j < len; j++) v[j] /= norm;
            q[k] = v;
        }
        return q;
    }
}
