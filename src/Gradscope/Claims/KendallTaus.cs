namespace Gradscope.Claims;

/// <summary>
/// Kendall rank correlations for the generalization claims, NaN (never an exception) when a series holds a non-finite
/// value (a bound undefined because a net did not separate its training set): pooled over all items, and restricted to
/// pairs that share a group (e.g. nets trained at the same label-noise level), the granulated rank correlation of
/// Jiang et al. 2020 ("Fantastic generalization measures and where to find them", Sec. 5), which removes the part of
/// the ordering a hyper-parameter sets by construction.
/// </summary>
public static class KendallTaus
{
    /// <summary>Kendall's tau-b of <see cref="ClaimMath.KendallTau"/>, or NaN when a value is not finite.</summary>
    /// <exception cref="ArgumentException">The series differ in length.</exception>
    public static double Pooled(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"KendallTaus: series of lengths {x.Count} and {y.Count}.");
        return x.All(double.IsFinite) && y.All(double.IsFinite) ? ClaimMath.KendallTau(x, y) : double.NaN;
    }

    /// <summary>
    /// (C - D) / (C + D) over the pairs i &lt; j with <c>group[i] == group[j]</c>, C (D) the pairs ordered the same (the
    /// opposite) way by <paramref name="x"/> and <paramref name="y"/>; pairs tied in x or y count in neither.
    /// NaN when no within-group pair is untied or a value is not finite.
    /// </summary>
    /// <exception cref="ArgumentException">The three series differ in length.</exception>
    public static double WithinGroups(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> group)
    {
        if (x.Count != y.Count || x.Count != group.Count)
            throw new ArgumentException($"KendallTaus: series of lengths {x.Count}, {y.Count} and {group.Count}.");
        if (!x.All(double.IsFinite) || !y.All(double.IsFinite)) return double.NaN;
        long concordant = 0, discordant = 0;
        for (int i = 0; i < x.Count; i++)
            for (int j = i + 1; j < x.Count; j++)
            {
                if (group[i] != group[j]) continue;
                int s = Math.Sign(x[i] - x[j]) * Math.Sign(y[i] - y[j]);
                if (s > 0) concordant++;
                else if (s < 0) discordant++;
            }
        long total = concordant + discordant;
        return total == 0 ? double.NaN : (concordant - discordant) / (double)total;
    }
}
