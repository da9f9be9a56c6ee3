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
/// "Spectrally-normalized margin bounds for neural networks", NeurIPS 2017, arXiv:1706.08498). Theorem 1.1 of the paper
/// states the bound only up to constants and log factors:
/// Pr[argmax_j f(x)_j != y] &lt;= R_gamma + O~( ||X||_F R ln(W) / (gamma n) + sqrt(ln(1/delta) / n) ).
/// The explicit constants are those of the fixed-margin, fixed-norm statement in the paper's appendix (Lemma A.8,
/// reference matrices 0, 1-Lipschitz activations), implemented here: with probability at least 1 - delta,
/// Pr[error] &lt;= R_gamma + 8/n + 72 ||X||_F R ln(2W) ln(n) / (gamma n) + 3 sqrt(ln(1/delta) / (2n)),
/// where R_gamma is the fraction of training points with margin &lt; gamma, R the spectral complexity (THEORY.md section 3),
/// ||X||_F the Frobenius norm of the n x d input matrix and W the largest layer width. Its 8/n and 72 are twice the
/// 4/n and 36 of the ramp-loss Rademacher complexity 4/n + 36 ||X||_F R ln(n) sqrt(ln 2W') / (gamma n) in an independent
/// implementation of the same lemma (Graf et al., "Measuring excess capacity in neural networks", NeurIPS 2022, code
/// rkwitt/excess_capacity), which keeps sqrt(ln(2 W')) with W' the parameter count of a layer; ln(2W) used here is the larger
/// of the two for W &gt;= 4, so the number is never below that form. The union bound over gamma and the layer norms that turns
/// the lemma into Theorem 1.1 adds further terms, which this number leaves out.
/// </summary>
public static class BftBound
{
    /// <summary>The bound; throws unless gamma &gt; 0, n &gt;= 2, width &gt;= 1 and 0 &lt; delta &lt; 1.</summary>
    public static double Of(double marginViolationRate, double spectralComplexity, double inputFrobenius, double gamma, int n, int maxWidth, double delta = 0.05)
    {
        if (!(gamma > 0)) throw new ArgumentException($"BftBound: margin gamma must be positive, got {gamma}.");
        if (n < 2 || maxWidth < 1 || !(delta > 0 && delta < 1)) throw new ArgumentException($"BftBound: needs n >= 2, W >= 1, 0 < delta < 1; got n={n}, W={maxWidth}, delta={delta}.");
        return marginViolationRate + 8.0 / n
            + 72 * inputFrobenius * spectralComplexity * Math.Log(2.0 * maxWidth) * Math.Log(n) / (gamma * n)
            + 3 * Math.Sqrt(Math.Log(1 / delta) / (2.0 * n));
    }
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
