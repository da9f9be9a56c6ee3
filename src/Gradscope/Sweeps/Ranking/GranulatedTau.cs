namespace Gradscope.Sweeps.Ranking;

/// <summary>
/// Granulated Kendall coefficient of Jiang et al. 2020 ("Fantastic generalization measures and where to find them",
/// eq. 4): for hyperparameter k, Psi_k = mean over the groups of points that agree on every other hyperparameter of
/// tau_b(measure, gap) within the group (so only k and the seed vary); Psi = mean over k of Psi_k.
/// A measure that is constant within a group whose gaps differ predicts nothing there: its tau is 0, as in the
/// paper's tables, where e.g. the parameter count scores 0 for every hyperparameter but depth and width.
/// </summary>
public static class GranulatedTau
{
    /// <summary>Psi and Psi_k per hyperparameter. Groups of fewer than two points or with constant gaps (tau undefined)
    /// are left out; a constant measure in a group whose gaps differ counts as tau = 0; a hyperparameter with no usable
    /// group is left out of Psi (NaN when none is usable).</summary>
    public static (double Psi, IReadOnlyDictionary<string, double> PerHyperparameter) Compute(IReadOnlyList<RankedPoint> points, string measure)
    {
        var names = points.SelectMany(p => p.Hyperparameters.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var per = new Dictionary<string, double>();
        foreach (var k in names)
        {
            if (points.Select(p => p.Hyperparameters.GetValueOrDefault(k)).Distinct().Count() < 2) continue;
            var taus = new List<double>();
            foreach (var group in points.GroupBy(p => Key(p, k)))
            {
                var g = group.ToList();
                if (g.Count < 2) continue;
                var gaps = g.Select(p => p.Gap).ToArray();
                double tau = KendallTau.TauB(g.Select(p => p.Measures[measure]).ToArray(), gaps);
                if (!double.IsNaN(tau)) taus.Add(tau);
                else if (gaps.Distinct().Count() > 1) taus.Add(0); // the measure is constant here: no order predicted
            }
            if (taus.Count > 0) per[k] = taus.Average();
        }
        return (per.Count == 0 ? double.NaN : per.Values.Average(), per);
    }

    static string Key(RankedPoint p, string except) =>
        string.Join("\u0001", p.Hyperparameters.Where(kv => kv.Key != except).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
}
