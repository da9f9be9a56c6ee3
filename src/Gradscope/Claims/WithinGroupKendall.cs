namespace Gradscope.Claims;

/// <summary>
/// Kendall's tau restricted to pairs that share a group (e.g. nets trained at the same label-noise level): the granulated
/// rank correlation of Jiang et al. 2020 ("Fantastic generalization measures and where to find them", Sec. 5), which
/// removes the part of the ordering a hyper-parameter sets by construction.
/// </summary>
public static class WithinGroupKendall
{
    /// <summary>
    /// (C - D) / (C + D) over the pairs i &lt; j with <c>group[i] == group[j]</c>, C (D) the pairs ordered the same (the
    /// opposite) way by <paramref name="x"/> and <paramref name="y"/>; pairs tied in x or y count in neither.
    /// NaN when no within-group pair is untied.
    /// </summary>
    /// <exception cref="ArgumentException">The three series differ in length.</exception>
    public static double Tau(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> group)
    {
        if (x.Count != y.Count || x.Count != group.Count)
            throw new ArgumentException($"WithinGroupKendall: series of lengths {x.Count}, {y.Count} and {group.Count}.");
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
