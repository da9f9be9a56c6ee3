using Gradscope.Tensors;

namespace Gradscope.Data;

/// <summary>Linearly separable binary data with a known max-margin direction.</summary>
/// <param name="Data">The dataset (labels 0/1 stand for y = -1/+1).</param>
/// <param name="U">The unit vector u: the hard-margin SVM direction (through the origin) of the data.</param>
/// <param name="Gamma">The max margin gamma = min_i y_i &lt;u, x_i&gt;.</param>
/// <param name="SupportIndices">The indices of the support vectors (margin exactly gamma).</param>
public sealed record SeparableData(Dataset Data, double[] U, double Gamma, int[] SupportIndices);

/// <summary>
/// Generates linearly separable data whose homogeneous (no bias) hard-margin SVM solution is known exactly.
/// Each sample is x_i = y_i z_i with z_i = (gamma + s_i) u + v_i, v_i orthogonal to u. The first
/// <c>supportPairs</c> pairs are support vectors: s = 0 and v, -v for the two members of a pair (one labelled +1,
/// one -1). All other samples have s_i = spread * Exp(1) &gt; 0.
/// <para>Guarantees (up to rounding, ~1e-15 relative): (1) y_i &lt;u, x_i&gt; &gt;= gamma for all i, with equality exactly at
/// the support vectors; (2) u is the max-margin direction argmax_{||w|| = 1} min_i y_i &lt;w, x_i&gt; and the max margin is gamma.
/// Proof of (2): the support vectors' y_i x_i sum to 2 k gamma u (the v's cancel), so for any unit w,
/// min_i y_i &lt;w, x_i&gt; &lt;= mean over supports = gamma &lt;w, u&gt; &lt;= gamma, with equality only at w = u.
/// This is the direction gradient descent on the exponential or logistic loss of a linear model converges to.
/// Not guaranteed: anything about the SVM with a bias term. Labels alternate +1/-1 before a seeded shuffle,
/// so classes are balanced (within one).</para>
/// </summary>
public static class SyntheticSeparable
{
    /// <summary>
    /// Generates n samples in d dimensions with margin <paramref name="gamma"/>; <paramref name="sigma"/> is the
    /// standard deviation of the orthogonal part v, <paramref name="spread"/> the mean extra margin of non-support points.
    /// u comes from <paramref name="seed"/>; the samples from <paramref name="sampleSeed"/> when given (so a train and a
    /// test set can share u), else from the same stream.
    /// </summary>
    public static SeparableData Generate(int n, int d, double gamma, ulong seed, double sigma = 1.0, double spread = 1.0, int supportPairs = 1, ulong? sampleSeed = null)
    {
        if (d < 2) throw new ArgumentOutOfRangeException(nameof(d), d, "SyntheticSeparable: need d >= 2.");
        if (!(gamma > 0)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "SyntheticSeparable: margin gamma must be positive.");
        if (supportPairs < 1 || n < 2 * supportPairs) throw new ArgumentException($"SyntheticSeparable: n = {n} cannot hold {supportPairs} support pairs (need n >= {2 * supportPairs}).");
        int nd = MemoryLimit.Elements("n x d", sizeof(double), n, d);
        var rng = new Rng(seed);
        var u = new double[d];
        double norm;
        do { for (int j = 0; j < d; j++) u[j] = rng.NextNormal(); norm = Math.Sqrt(u.Sum(a => a * a)); } while (norm == 0);
        for (int j = 0; j < d; j++) u[j] /= norm;
        if (sampleSeed is ulong ss) rng = new Rng(ss);

        var z = new double[nd];
        var y = new int[n];
        var v = new double[d];
        for (int i = 0; i < n; i++)
        {
            bool support = i < 2 * supportPairs;
            if (!support || i % 2 == 0)
            {
                for (int j = 0; j < d; j++) v[j] = sigma * rng.NextNormal();
                double dot = 0; for (int j = 0; j < d; j++) dot += v[j] * u[j];
                for (int j = 0; j < d; j++) v[j] -= dot * u[j]; // v orthogonal to u
            }
            double sign = support && i % 2 == 1 ? -1 : 1; // the pair partner uses -v
            double s = 0;
            if (!support) { double e; do { e = rng.NextDouble(); } while (e == 0); s = -spread * Math.Log(e); if (s == 0) s = spread * 1e-12; }
            int label = i % 2 == 0 ? 1 : -1;
            y[i] = label > 0 ? 1 : 0;
            for (int j = 0; j < d; j++) z[i * d + j] = label * ((gamma + s) * u[j] + sign * v[j]);
        }
        var order = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(order.AsSpan());
        var x = new double[nd];
        var ys = new int[n];
        var supports = new List<int>();
        for (int k = 0; k < n; k++)
        {
            Array.Copy(z, order[k] * d, x, k * d, d);
            ys[k] = y[order[k]];
            if (order[k] < 2 * supportPairs) supports.Add(k);
        }
        var data = new Dataset($"separable(n={n}, d={d}, gamma={gamma})", x, ys, [d], 2);
        return new SeparableData(data, u, gamma, supports.ToArray());
    }
}
