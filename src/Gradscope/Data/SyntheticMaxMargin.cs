using Gradscope.Tensors;

namespace Gradscope.Data;

/// <summary>
/// Separable binary data whose hard-margin SVM (no intercept) is known in closed form, with d support vectors that
/// span R^d and a certified gap to every other point.
/// </summary>
/// <param name="Data">The dataset (labels 0/1 stand for y = -1/+1).</param>
/// <param name="W">The SVM solution w_hat = argmin ||w|| s.t. y_i &lt;w, x_i&gt; &gt;= 1.</param>
/// <param name="Alpha">Its dual variables per sample (w_hat = sum_i alpha_i y_i x_i); 0 off the support vectors.</param>
/// <param name="SupportIndices">The d support vectors (functional margin exactly 1).</param>
public sealed record MaxMarginData(Dataset Data, double[] W, double[] Alpha, int[] SupportIndices);

/// <summary>
/// Generates data in the regime of Soudry et al. (JMLR 2018), Theorem 3, with its two rates under control.
/// With z_i = y_i x_i: the support vectors are z_k = a_k q_k (k = 1..d) for a random orthonormal basis q and
/// a_k = exp(u_k), u_k uniform in [-<c>svSpread</c>, <c>svSpread</c>]; every other point is
/// z = (m / ||w_hat||^2) w_hat + sigma v with v a standard Gaussian projected orthogonally to w_hat and
/// m = 1 + gap + Exp(1).
/// <para>Closed form: w_hat = sum_k q_k / a_k (so &lt;w_hat, z_k&gt; = 1), alpha_k = 1 / a_k^2, and every other point has
/// functional margin &lt;w_hat, z&gt; = m &gt;= 1 + gap. Proof that w_hat is the SVM: it satisfies the d support constraints
/// with equality, and it is the minimum-norm solution of those d linearly independent equations (it lies in their span);
/// the other constraints hold strictly at it, so adding them does not change the minimizer (KKT with alpha = 0 there).
/// The matrix sum_k alpha_k z_k z_k^T is the identity, so the support-span transient of Theorem 3 decays like 1/t, and
/// the non-support points' transient like t^(-gap).</para>
/// Labels alternate +1/-1 before a seeded shuffle (balanced within one).
/// </summary>
public static class SyntheticMaxMargin
{
    /// <summary>
    /// Generates n &gt; d samples in d dimensions; the basis and the a_k come from <paramref name="seed"/>, the other
    /// points from <paramref name="sampleSeed"/> when given (else from the same stream).
    /// </summary>
    /// <exception cref="ArgumentException">n &lt;= d, d &lt; 2, a negative gap, spread or sigma.</exception>
    public static MaxMarginData Generate(int n, int d, double gap, ulong seed, double svSpread = 0.25, double sigma = 0.5, ulong? sampleSeed = null)
    {
        if (d < 2) throw new ArgumentException($"SyntheticMaxMargin: need d >= 2, got {d}.");
        if (n <= d) throw new ArgumentException($"SyntheticMaxMargin: n = {n} must exceed d = {d} (d support vectors plus at least one other point).");
        if (!(gap > 0)) throw new ArgumentException($"SyntheticMaxMargin: gap must be positive, got {gap}.");
        if (!(svSpread >= 0)) throw new ArgumentException($"SyntheticMaxMargin: sv_spread must be >= 0, got {svSpread}.");
        if (!(sigma >= 0)) throw new ArgumentException($"SyntheticMaxMargin: sigma must be >= 0, got {sigma}.");
        var rng = new Rng(seed);
        var q = RandomOrthonormal(d, rng);
        var a = new double[d];
        for (int k = 0; k < d; k++) a[k] = Math.Exp(svSpread * (2 * rng.NextDouble() - 1));
        var w = new double[d];
        for (int k = 0; k < d; k++) for (int j = 0; j < d; j++) w[j] += q[k][j] / a[k];
        double ww = w.Sum(v => v * v);
        if (sampleSeed is ulong ss) rng = new Rng(ss);

        var z = new double[n * d];
        for (int k = 0; k < d; k++) for (int j = 0; j < d; j++) z[k * d + j] = a[k] * q[k][j];
        var v = new double[d];
        for (int i = d; i < n; i++)
        {
            double e; do { e = rng.NextDouble(); } while (e == 0);
            double m = 1 + gap - Math.Log(e);
            for (int j = 0; j < d; j++) v[j] = sigma * rng.NextNormal();
            double dot = 0; for (int j = 0; j < d; j++) dot += v[j] * w[j];
            for (int j = 0; j < d; j++) z[i * d + j] = m * w[j] / ww + v[j] - dot * w[j] / ww;
        }
        var order = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(order.AsSpan());
        var x = new double[n * d];
        var y = new int[n];
        var alpha = new double[n];
        var supports = new List<int>();
        for (int k = 0; k < n; k++)
        {
            int src = order[k];
            int label = src % 2 == 0 ? 1 : -1;
            for (int j = 0; j < d; j++) x[k * d + j] = label * z[src * d + j];
            y[k] = label > 0 ? 1 : 0;
            if (src < d) { supports.Add(k); alpha[k] = 1 / (a[src] * a[src]); }
        }
        var data = new Dataset($"max_margin(n={n}, d={d}, gap={gap})", x, y, [d], 2);
        return new MaxMarginData(data, w, alpha, supports.ToArray());
    }

    // Gram-Schmidt (twice, for orthogonality to rounding) on Gaussian vectors.
    private static double[][] RandomOrthonormal(int d, Rng rng)
    {
        var q = new double[d][];
        for (int k = 0; k < d; k++)
        {
            double norm;
            var v = new double[d];
            do
            {
                for (int j = 0; j < d; j++) v[j] = rng.NextNormal();
                for (int pass = 0; pass < 2; pass++)
                    for (int p = 0; p < k; p++)
                    {
                        double dot = 0; for (int j = 0; j < d; j++) dot += v[j] * q[p][j];
                        for (int j = 0; j < d; j++) v[j] -= dot * q[p][j];
                    }
                norm = Math.Sqrt(v.Sum(t => t * t));
            } while (norm < 1e-8);
            for (int j = 0; j < d; j++) v[j] /= norm;
            q[k] = v;
        }
        return q;
    }
}
