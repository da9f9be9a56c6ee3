namespace Gradscope.Measures;

/// <summary>VC-dimension term sqrt(p L ln p / n) with p parameters, L layers, n samples (THEORY.md section 5).</summary>
public static class VcBound
{
    /// <summary>sqrt(p L ln p / n); throws unless p &gt;= 1, L &gt;= 1, n &gt;= 1.</summary>
    public static double Of(long parameters, int layers, int n)
    {
        if (parameters < 1 || layers < 1 || n < 1) throw new ArgumentException($"VcBound: needs p, L, n >= 1, got p={parameters}, L={layers}, n={n}.");
        return Math.Sqrt(parameters * (double)layers * Math.Log(parameters) / n);
    }
}

/// <summary>
/// The Bartlett-Foster-Telgarsky spectrally-normalized margin bound (P. Bartlett, D. Foster, M. Telgarsky,
/// "Spectrally-normalized margin bounds for neural networks", NeurIPS 2017, arXiv:1706.08498), reference matrices 0
/// and 1-Lipschitz activations. Theorem 1.1 of the paper states, up to constants and log factors,
/// Pr[argmax_j f(x)_j != y] &lt;= R_gamma + O~( ||X||_F R ln(W) / (gamma n) + sqrt(ln(1/delta) / n) ),
/// with R_gamma the fraction of training points with margin &lt; gamma, R the spectral complexity (THEORY.md section 3),
/// ||X||_F the Frobenius norm of the n x d input matrix and W the largest layer width. It is proved in two steps, and
/// both are implemented here with explicit constants:
/// <list type="number">
/// <item><see cref="FixedNorms"/>: for one margin gamma and norm budgets ||W_i||_2 &lt;= s_i, ||W_i^T||_{2,1} &lt;= b_i fixed
/// before seeing the data (the appendix's Lemma A.8 form), with probability at least 1 - delta,
/// Pr[error] &lt;= R_gamma + 8/n + 72 ||X||_F R(s, b) ln(2W) ln(n) / (gamma n) + 3 sqrt(ln(1/delta) / (2n)).
/// Its 8/n and 72 are twice the 4/n and 36 of the ramp-loss Rademacher complexity 4/n + 36 ||X||_F R ln(n) sqrt(ln 2W') /
/// (gamma n) in an independent implementation of the same lemma (Graf et al., "Measuring excess capacity in neural
/// networks", NeurIPS 2022), which keeps sqrt(ln(2 W')) with W' a layer's parameter count; ln(2W) is the larger of the two
/// for W &gt;= 4, so this number is never below that form.</item>
/// <item><see cref="Theorem11"/>: the same inequality for every gamma and every weight at once (what Theorem 1.1 asserts),
/// by a union bound over a grid of budgets, as in the paper's proof: gamma on the dyadic grid 2^j (j any integer),
/// s_i and b_i on the grid k/L (k = 1, 2, ...). A net is covered by the grid point gamma_j = 2^floor(log2 gamma)
/// (R_{gamma_j} &lt;= R_gamma, 1/gamma_j &lt; 2/gamma), s_i' = ceil(L s_i)/L, b_i' = ceil(L b_i)/L (at most 1/L above the
/// net's norms). The failure probability delta is shared among grid points as
/// delta 2/(3(|j|+1)(|j|+2)) prod_i 1/(k_i(k_i+1)) 1/(l_i(l_i+1)), which sums to delta over the whole grid.
/// The allocation is ours: the paper's published constants may differ; the inequality holds as stated whenever
/// the fixed-norm form does.</item>
/// </list>
/// </summary>
public static class BftBound
{
    /// <summary>The fixed-budget (Lemma A.8) form; throws unless gamma &gt; 0, n &gt;= 2, width &gt;= 1 and 0 &lt; delta &lt; 1.</summary>
    public static double FixedNorms(double marginViolationRate, double spectralComplexity, double inputFrobenius, double gamma, int n, int maxWidth, double delta = 0.05)
    {
        if (!(gamma > 0)) throw new ArgumentException($"BftBound: margin gamma must be positive, got {gamma}.");
        CheckSizes(n, maxWidth, delta);
        return Evaluate(marginViolationRate, spectralComplexity, inputFrobenius, gamma, n, maxWidth, Math.Log(1 / delta));
    }

    private static void CheckSizes(int n, int maxWidth, double delta)
    {
        if (n < 2 || maxWidth < 1 || !(delta > 0 && delta < 1)) throw new ArgumentException($"BftBound: needs n >= 2, W >= 1, 0 < delta < 1; got n={n}, W={maxWidth}, delta={delta}.");
    }

    /// <summary>The fixed-budget form with ln(1/delta) given (a grid point's share of delta underflows as a number).</summary>
    private static double Evaluate(double marginViolationRate, double spectralComplexity, double inputFrobenius, double gamma, int n, int maxWidth, double logInvDelta) =>
        marginViolationRate + 8.0 / n
        + 72 * inputFrobenius * spectralComplexity * Math.Log(2.0 * maxWidth) * Math.Log(n) / (gamma * n)
        + 3 * Math.Sqrt(logInvDelta / (2.0 * n));

    /// <summary>
    /// The Theorem 1.1 form, valid for all margins and weights at once: <see cref="FixedNorms"/> at the covering grid point
    /// (margin 2^floor(log2 gamma), budgets ceil(L s_i)/L and ceil(L b_i)/L) with that point's share of delta.
    /// <paramref name="spectralNorms"/> are ||W_i||_2 and <paramref name="norms21"/> are ||W_i^T||_{2,1}, one per layer;
    /// R_gamma is the fraction of training margins below gamma. Throws as <see cref="FixedNorms"/>, and on mismatched
    /// or empty norm lists or a zero layer.
    /// </summary>
    public static double Theorem11(double marginViolationRate, IReadOnlyList<double> spectralNorms, IReadOnlyList<double> norms21,
        double inputFrobenius, double gamma, int n, int maxWidth, double delta = 0.05)
    {
        if (!(gamma > 0)) throw new ArgumentException($"BftBound: margin gamma must be positive, got {gamma}.");
        int layers = spectralNorms.Count;
        if (layers == 0 || norms21.Count != layers) throw new ArgumentException($"BftBound: {spectralNorms.Count} spectral norms and {norms21.Count} (2,1) norms.");
        int j = (int)Math.Floor(Math.Log2(gamma));
        double gammaGrid = Math.Pow(2, j), logShare = -Math.Log(MarginShare(j));
        var s = new double[layers];
        var b = new double[layers];
        for (int i = 0; i < layers; i++)
        {
            if (!(spectralNorms[i] > 0)) throw new ArgumentException($"BftBound: layer {i} has spectral norm {spectralNorms[i]}.");
            long k = GridIndex(spectralNorms[i], layers), l = GridIndex(norms21[i], layers);
            s[i] = k / (double)layers;
            b[i] = l / (double)layers;
            logShare -= Math.Log(NormShare(k)) + Math.Log(NormShare(l));
        }
        CheckSizes(n, maxWidth, delta);
        // NOTE: delta times the grid point's share, kept in logs (the share underflows for deep or large nets).
        return Evaluate(marginViolationRate, SpectralComplexity.From(s, b), inputFrobenius, gammaGrid, n, maxWidth, Math.Log(1 / delta) + logShare);
    }

    /// <summary>The share 2/(3(|j|+1)(|j|+2)) of delta given to the margin 2^j (sums to 1 over all integers j).</summary>
    internal static double MarginShare(int j)
    {
        double a = Math.Abs((double)j);
        return 2 / (3 * (a + 1) * (a + 2));
    }

    /// <summary>The share 1/(k(k+1)) of delta given to the budget k/L (sums to 1 over k = 1, 2, ...).</summary>
    internal static double NormShare(long k) => 1 / (k * (double)(k + 1));

    /// <summary>k = max(1, ceil(L x)): the smallest budget k/L on the grid that is at least x.</summary>
    internal static long GridIndex(double x, int layers) => Math.Max(1, (long)Math.Ceiling(layers * x));
}

/// <summary>
/// Frobenius-product (Golowich-Rakhlin-Shamir 2018) Rademacher bound divided by the margin
/// (THEORY.md section 5): B (sqrt(2 L ln 2) + 1) rho / (sqrt(n) gamma), B = max_i ||x_i||, rho = prod ||W_k||_F,
/// gamma the raw (unnormalized) margin.
/// </summary>
public static class FrobeniusProductBound
{
    /// <summary>The bound; throws unless gamma &gt; 0, L &gt;= 1 and n &gt;= 1.</summary>
    public static double Of(double maxInputNorm, int layers, double rho, int n, double gamma)
    {
        if (!(gamma > 0)) throw new ArgumentException($"FrobeniusProductBound: margin must be positive, got {gamma}.");
        if (layers < 1 || n < 1) throw new ArgumentException($"FrobeniusProductBound: needs L, n >= 1, got L={layers}, n={n}.");
        return maxInputNorm * (Math.Sqrt(2 * layers * Math.Log(2)) + 1) * rho / (Math.Sqrt(n) * gamma);
    }
}
