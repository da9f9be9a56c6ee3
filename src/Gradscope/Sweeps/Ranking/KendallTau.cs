namespace Gradscope.Sweeps.Ranking;

/// <summary>Kendall's rank correlation: tau-a (Jiang et al. 2020, eq. 3) and tau-b (scipy.stats.kendalltau's default).</summary>
public static class KendallTau
{
    /// <summary>
    /// tau_a = (C - D) / (n(n-1)/2): the mean over all pairs of sgn(x_i - x_j) sgn(y_i - y_j), a pair tied in x or y
    /// counting 0. This is the coefficient of Jiang et al. 2020 ("Fantastic generalization measures", eq. 3),
    /// (1 / (|T|(|T|-1))) sum over ordered pairs i != j. NaN when fewer than two points. O(n^2).
    /// </summary>
    /// <exception cref="ArgumentException">x and y differ in length.</exception>
    public static double TauA(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"KendallTau: x has {x.Length} values, y has {y.Length}");
        if (x.Length < 2) return double.NaN;
        long sum = 0;
        for (int i = 0; i < x.Length; i++)
            for (int j = i + 1; j < x.Length; j++)
                sum += Math.Sign(x[i] - x[j]) * Math.Sign(y[i] - y[j]);
        return sum / (x.Length * (x.Length - 1) / 2.0);
    }

    /// <summary>
    /// tau_b = (C - D) / sqrt((n0 - n1)(n0 - n2)) over the n0 = n(n-1)/2 pairs, C concordant and D discordant pairs,
    /// n1 = sum_i t_i(t_i-1)/2 over groups of ties in x, n2 likewise in y. 1 = same order, -1 = reversed.
    /// Returns NaN when fewer than two points or when x or y is constant (the denominator is 0). O(n^2).
    /// </summary>
    /// <exception cref="ArgumentException">x and y differ in length.</exception>
    public static double TauB(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"KendallTau: x has {x.Length} values, y has {y.Length}");
        long concordant = 0, discordant = 0, tiedXOnly = 0, tiedYOnly = 0;
        for (int i = 0; i < x.Length; i++)
            for (int j = i + 1; j < x.Length; j++)
            {
                int sx = Math.Sign(x[i] - x[j]), sy = Math.Sign(y[i] - y[j]);
                if (sx == 0 && sy == 0) continue;
                if (sx == 0) tiedXOnly++;
                else if (sy == 0) tiedYOnly++;
                else if (sx == sy) concordant++;
                else discordant++;
            }
        // n0 - n1 = pairs untied in x = C + D + (tied in y only); n0 - n2 = C + D + (tied in x only).
        double denominator = Math.Sqrt((double)(concordant + discordant + tiedYOnly) * (concordant + discordant + tiedXOnly));
        return denominator == 0 ? double.NaN : (concordant - discordant) / denominator;
    }
}
