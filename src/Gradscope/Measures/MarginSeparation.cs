namespace Gradscope.Measures;

/// <summary>
/// How far apart two margin distributions lie (THEORY.md section 3, margin distribution), as Kolmogorov-Smirnov
/// distances between their empirical CDFs F_a and F_b:
/// two-sided D = sup_t |F_a(t) - F_b(t)|, and one-sided D+(a over b) = max(0, sup_t (F_b(t) - F_a(t))),
/// the largest mass by which b lies below a (a's margins stochastically larger gives D+ near 1, the reverse 0).
/// The suprema are attained at the sample points, so both are exact.
/// </summary>
public static class MarginSeparation
{
    /// <summary>D = sup_t |F_a(t) - F_b(t)|.</summary>
    public static double Ks(MarginDistribution a, MarginDistribution b) => Math.Max(Above(a, b), Above(b, a));

    /// <summary>D+(a over b) = max(0, sup_t (F_b(t) - F_a(t))).</summary>
    public static double Above(MarginDistribution a, MarginDistribution b)
    {
        double d = 0;
        foreach (double t in a.Sorted) d = Math.Max(d, b.Cdf(t) - a.Cdf(t));
        foreach (double t in b.Sorted) d = Math.Max(d, b.Cdf(t) - a.Cdf(t));
        return d;
    }
}
