namespace Gradscope.Measures;

/// <summary>
/// The empirical distribution of a set of margins (THEORY.md section 3): the CDF F(t) = #{m_i &lt;= t} / n
/// and quantiles with linear interpolation between order statistics (Q(q) at position (n - 1) q).
/// </summary>
public sealed class MarginDistribution
{
    private readonly double[] _sorted;

    /// <summary>Sorts a copy of <paramref name="margins"/>; throws on an empty set or NaN.</summary>
    public MarginDistribution(ReadOnlySpan<double> margins)
    {
        if (margins.IsEmpty) throw new ArgumentException("MarginDistribution: no margins.");
        _sorted = margins.ToArray();
        foreach (double x in _sorted) if (double.IsNaN(x)) throw new ArgumentException("MarginDistribution: NaN margin.");
        Array.Sort(_sorted);
    }

    /// <summary>The margins in ascending order.</summary>
    public IReadOnlyList<double> Sorted => _sorted;

    /// <summary>F(t) = fraction of margins &lt;= t.</summary>
    public double Cdf(double t)
    {
        int lo = 0, hi = _sorted.Length;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (_sorted[mid] <= t) lo = mid + 1; else hi = mid; }
        return (double)lo / _sorted.Length;
    }

    /// <summary>Q(q), q in [0, 1]: linear interpolation at position h = (n - 1) q between the order statistics floor(h) and ceil(h).</summary>
    public double Quantile(double q)
    {
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "MarginDistribution.Quantile: q must lie in [0, 1].");
        double h = (_sorted.Length - 1) * q;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, _sorted.Length - 1);
        return _sorted[lo] + (h - lo) * (_sorted[hi] - _sorted[lo]);
    }

    /// <summary>
    /// Kolmogorov-Smirnov distance sup_t |F_a(t) - F_b(t)| between two empirical distributions (the sup is
    /// attained at a sample value, so both CDFs are evaluated at every value of either set).
    /// </summary>
    public static double KolmogorovSmirnov(MarginDistribution a, MarginDistribution b)
    {
        double d = 0;
        foreach (double t in a._sorted.Concat(b._sorted)) d = Math.Max(d, Math.Abs(a.Cdf(t) - b.Cdf(t)));
        return d;
    }
}
