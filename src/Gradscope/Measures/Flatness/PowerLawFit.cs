namespace Gradscope.Measures.Flatness;

/// <summary>A continuous power-law fit p(x) ∝ x^-alpha for x &gt;= x_min.</summary>
/// <param name="Alpha">The maximum-likelihood exponent above <paramref name="XMin"/>.</param>
/// <param name="XMin">The lower cut-off, chosen among the sample values by the smallest Kolmogorov-Smirnov distance.</param>
/// <param name="KsDistance">The Kolmogorov-Smirnov distance between the tail's empirical CDF and the fitted one.</param>
/// <param name="TailCount">How many sample values lie at or above <paramref name="XMin"/>.</param>
public readonly record struct PowerLaw(double Alpha, double XMin, double KsDistance, int TailCount);

/// <summary>
/// Clauset, Shalizi and Newman 2009 (SIAM Review 51, eq. 3.1 and section 3.3): the continuous power-law MLE
/// alpha = 1 + m / sum_i ln(x_i / x_min) over the m values x_i &gt;= x_min, with x_min the sample value that minimizes
/// the Kolmogorov-Smirnov distance D = max_x |S(x) - P(x)| between the tail's empirical CDF S and the fitted CDF
/// P(x) = 1 - (x / x_min)^(1 - alpha). This is the fit WeightWatcher (Martin &amp; Mahoney 2021) applies to each layer's
/// eigenvalues of W^T W.
/// </summary>
public static class PowerLawFit
{
    /// <summary>The smallest tail the x_min search considers (fewer points make the KS distance meaningless).</summary>
    public const int MinTail = 5;

    /// <summary>alpha = 1 + m / sum ln(x_i / x_min) over the values of <paramref name="tail"/> (all assumed &gt;= x_min &gt; 0).</summary>
    public static double Mle(ReadOnlySpan<double> tail, double xMin)
    {
        double s = 0;
        foreach (double x in tail) s += Math.Log(x / xMin);
        return 1 + tail.Length / s;
    }

    /// <summary>
    /// The fit of the positive, finite values of <paramref name="values"/>; null when fewer than <see cref="MinTail"/> of them
    /// are distinct enough to fit (every candidate tail degenerate).
    /// </summary>
    public static PowerLaw? Fit(IEnumerable<double> values)
    {
        var x = values.Where(v => v > 0 && double.IsFinite(v)).OrderBy(v => v).ToArray();
        int n = x.Length;
        PowerLaw? best = null;
        // Suffix sums of ln x give each candidate's MLE in O(1); the KS distance is O(m) per candidate.
        // NOTE: the fitted CDF is evaluated as 1 - exp((1 - alpha)(ln x_j - ln x_min)) from the logs taken once, vectorized,
        // instead of a Math.Pow per point and candidate (O(n^2) of them: 0.8 million for a 1024-wide layer, most of a probe's fit time).
        var logX = new double[n];
        for (int i = 0; i < n; i++) logX[i] = Math.Log(x[i]);
        var suffixLog = new double[n + 1];
        for (int i = n - 1; i >= 0; i--) suffixLog[i] = suffixLog[i + 1] + logX[i];
        var scratch = new double[n];
        for (int i = 0; i + MinTail <= n; i++)
        {
            if (i > 0 && x[i] == x[i - 1]) continue; // the same x_min as the previous candidate
            int m = n - i;
            double logSum = suffixLog[i] - m * logX[i];
            if (!(logSum > 0)) continue; // every tail value equals x_min
            double alpha = 1 + m / logSum;
            var t = scratch.AsSpan(0, m);
            System.Numerics.Tensors.TensorPrimitives.Subtract(logX.AsSpan(i, m), logX[i], t);
            System.Numerics.Tensors.TensorPrimitives.Multiply(t, 1 - alpha, t);
            System.Numerics.Tensors.TensorPrimitives.Exp(t, t);
            double d = 0;
            for (int j = 0; j < m; j++)
            {
                double pj = 1 - t[j];
                d = Math.Max(d, Math.Max(Math.Abs((j + 1.0) / m - pj), Math.Abs((double)j / m - pj)));
            }
            if (best is null || d < best.Value.KsDistance) best = new PowerLaw(alpha, x[i], d, m);
        }
        return best;
    }

    /// <summary>The KS distance of sorted <paramref name="tail"/> (x_min = tail[0]) from the power law with exponent <paramref name="alpha"/>.</summary>
    public static double Ks(ReadOnlySpan<double> tail, double alpha)
    {
        int m = tail.Length;
        double xMin = tail[0], d = 0;
        for (int j = 0; j < m; j++)
        {
            double p = 1 - Math.Pow(tail[j] / xMin, 1 - alpha);
            // The empirical CDF jumps from j/m to (j+1)/m at tail[j]: the supremum is at one side of a jump.
            d = Math.Max(d, Math.Max(Math.Abs((j + 1.0) / m - p), Math.Abs((double)j / m - p)));
        }
        return d;
    }
}

/// <summary>
/// WeightWatcher's heavy-tail summary of one layer (Martin &amp; Mahoney 2021, Nature Communications 12:4122): the empirical
/// spectral density of X = W^T W (eigenvalues lambda_i = s_i^2, the squared singular values of W, unnormalized as
/// WeightWatcher's default), its power-law exponent alpha (<see cref="PowerLawFit"/>) and alpha_hat = alpha log10 lambda_max.
/// </summary>
public static class HeavyTail
{
    /// <summary>Eigenvalues below this fraction of lambda_max count as zero (the rank-deficient part of W^T W).</summary>
    public const double ZeroFraction = 1e-10;

    /// <summary>The fit of the eigenvalues s_i^2 of W^T W from singular values <paramref name="singular"/>, or null (see <see cref="PowerLawFit.Fit"/>).</summary>
    public static (PowerLaw Fit, double LambdaMax)? Of(IReadOnlyList<double> singular)
    {
        var eig = singular.Select(s => s * s).ToArray();
        double max = eig.Length == 0 ? 0 : eig.Max();
        if (!(max > 0)) return null;
        var fit = PowerLawFit.Fit(eig.Where(l => l > ZeroFraction * max));
        return fit is null ? null : (fit.Value, max);
    }

    /// <summary>alpha_hat = alpha log10 lambda_max (WeightWatcher's "alpha_weighted").</summary>
    public static double AlphaHat(double alpha, double lambdaMax) => alpha * Math.Log10(lambdaMax);
}
