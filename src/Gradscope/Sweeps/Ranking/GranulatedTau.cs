namespace Gradscope.Sweeps.Ranking;

/// <summary>
/// Granulated Kendall coefficient of Jiang et al. 2020 ("Fantastic generalization measures and where to find them",
/// eq. 4) and a named variant.
/// </summary>
public static class GranulatedTau
{
    /// <summary>
    /// The paper's form: for each hyperparameter k (a sweep axis with at least two values on the points),
    /// Psi_k = (1/m_k) sum over the m_k groups of points that agree on every other hyperparameter and on the seed
    /// (so each group holds one net per value of k) of tau_a(measure, gap) within the group (<see cref="KendallTau.TauA"/>:
    /// a pair tied in the measure or the gap counts 0); Psi = the mean of Psi_k over the hyperparameters.
    /// A group of fewer than two points (a value of k whose net failed or lacks the measure) is left out; a
    /// hyperparameter without a group of two is left out of Psi (NaN when none remains).
    /// </summary>
    public static (double Psi, IReadOnlyDictionary<string, double> PerHyperparameter) Compute(IReadOnlyList<RankedPoint> points, string measure) =>
        Granulate(points, measure, seedInGroup: true, g => KendallTau.TauA(g.Select(p => p.Measures[measure]).ToArray(), g.Select(p => p.Gap).ToArray()));

    /// <summary>
    /// Variant "granulated tau-b, seeds pooled": groups agree on every other hyperparameter but pool the seed
    /// replicates (so a group holds every seed of every value of k), and the within-group coefficient is tau-b.
    /// A group whose gaps are all equal (tau-b undefined) is left out; a measure constant in a group whose gaps
    /// differ counts 0 there.
    /// </summary>
    public static (double Psi, IReadOnlyDictionary<string, double> PerHyperparameter) ComputeTauBSeedsPooled(IReadOnlyList<RankedPoint> points, string measure) =>
        Granulate(points, measure, seedInGroup: false, g =>
        {
            var gaps = g.Select(p => p.Gap).ToArray();
            double tau = KendallTau.TauB(g.Select(p => p.Measures[measure]).ToArray(), gaps);
            return !double.IsNaN(tau) ? tau : gaps.Distinct().Count() > 1 ? 0 : double.NaN;
        });

    static (double, IReadOnlyDictionary<string, double>) Granulate(IReadOnlyList<RankedPoint> points, string measure, bool seedInGroup, Func<List<RankedPoint>, double> tau)
    {
        var per = new Dictionary<string, double>();
        foreach (var k in Axes(points))
        {
            var taus = new List<double>();
            foreach (var group in points.GroupBy(p => Key(p, k, seedInGroup)))
            {
                var g = group.ToList();
                if (g.Count < 2) continue;
                double t = tau(g);
                if (!double.IsNaN(t)) taus.Add(t);
            }
            if (taus.Count > 0) per[k] = taus.Average();
        }
        return (per.Count == 0 ? double.NaN : per.Values.Average(), per);
    }

    /// <summary>The hyperparameters that take at least two values on <paramref name="points"/> (ordinal order).</summary>
    public static IReadOnlyList<string> Axes(IReadOnlyList<RankedPoint> points) =>
        points.SelectMany(p => p.Hyperparameters.Keys).Distinct().Order(StringComparer.Ordinal)
            .Where(k => points.Select(p => p.Hyperparameters.GetValueOrDefault(k)).Distinct().Count() >= 2).ToList();

    static string Key(RankedPoint p, string except, bool seed) =>
        string.Join("\u0001", p.Hyperparameters.Where(kv => kv.Key != except).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value))
        + (seed ? "\u0001seed=" + p.Seed : "");
}
