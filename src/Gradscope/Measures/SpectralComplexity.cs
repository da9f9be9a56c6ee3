namespace Gradscope.Measures;

/// <summary>
/// Spectral complexity of Bartlett, Foster and Telgarsky (2017) with reference matrices 0 and
/// 1-Lipschitz activations (THEORY.md section 3):
/// R = (prod_k ||W_k||_2) * ( sum_k ( ||W_k^T||_{2,1} / ||W_k||_2 )^(2/3) )^(3/2),
/// with ||W^T||_{2,1} = sum over rows r of W of ||W[r,:]||_2.
/// </summary>
public static class SpectralComplexity
{
    /// <summary>R from the weights, spectral norms by power iteration (or a full SVD when <paramref name="fullSvd"/>).</summary>
    public static double Of(IReadOnlyList<WeightMatrix> weights, bool fullSvd = false)
    {
        var s = weights.Select(w => fullSvd ? SpectralNorm.BySvd(w) : SpectralNorm.Of(w)).ToArray();
        return From(s, weights.Select(FrobeniusNorm.RowSum21).ToArray());
    }

    /// <summary>
    /// R of the operators W_k the layers apply (<see cref="LayerOperator.Of"/>: conv layers as their dense-equivalent matrices,
    /// THEORY.md section 1): ||T_k||_2 by <see cref="OperatorNorm.Top"/> (dense layers the same Lanczos route), ||T_k^T||_{2,1} in closed form.
    /// </summary>
    public static double OfOperators(IReadOnlyList<LayerOperator> operators, double tolerance = OperatorNorm.DefaultTolerance) =>
        From(operators.Select(op => OperatorNorm.Top(op, tolerance).Value).ToArray(), operators.Select(op => op.RowSum21()).ToArray());

    /// <summary>R from spectral norms s_k and (2,1) norms b_k = ||W_k^T||_{2,1}; throws on mismatched lengths or a zero layer.</summary>
    public static double From(ReadOnlySpan<double> spectral, ReadOnlySpan<double> norms21)
    {
        if (spectral.Length != norms21.Length || spectral.Length == 0)
            throw new ArgumentException($"SpectralComplexity: {spectral.Length} spectral norms and {norms21.Length} (2,1) norms.");
        double prod = 1, sum = 0;
        for (int k = 0; k < spectral.Length; k++)
        {
            if (spectral[k] <= 0) throw new ArgumentException($"SpectralComplexity: layer {k} is zero.");
            prod *= spectral[k];
            sum += Math.Pow(norms21[k] / spectral[k], 2.0 / 3.0);
        }
        return prod * Math.Pow(sum, 1.5);
    }
}
