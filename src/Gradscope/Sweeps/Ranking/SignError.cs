namespace Gradscope.Sweeps.Ranking;

/// <summary>
/// Sign error of Dziugaite et al. 2020 ("In search of robust measures of generalization", section 4 and their
/// released code, nitarshan/robust-generalization-measures, coupled_network/precompute.py and
/// figure_cdf_all_measures.py). An environment is a pair of hyperparameter configurations that differ in exactly
/// one hyperparameter; its pairs of points are every (p, q) with p from one configuration and q from the other (all
/// seed combinations). A pair's sign error is (1 - sgn(mu_p - mu_q) sgn(g_p - g_q)) / 2: 1 when the measure orders
/// the two gaps wrongly, 0 when rightly, 1/2 when it ties.
/// </summary>
public static class SignError
{
    /// <summary>Distribution of sign errors over environments: <paramref name="Environments"/> counts distinct environments;
    /// the median and 90th percentile are taken over the list in which each environment appears twice, once per
    /// direction (v1 -> v2 and v2 -> v1), as the reference code collects them.</summary>
    public sealed record Summary(int Environments, double Max, double Mean, double Median, double P90);

    /// <summary>
    /// The paper's form. Gaps are Monte Carlo estimates from a test set of <paramref name="testSize"/> examples, so a pair
    /// whose gap difference is within noise carries no sign: each pair gets the Hoeffding weight
    /// w = (max(0, 1 - 2 exp(-2 n (|g_p - g_q| / 2)^2))^2 - 1/2)_+ (the probability-like weight that the two gaps truly
    /// differ, below 1/2 discarded), the environment's sign error is the w-weighted mean over its pairs, and an
    /// environment whose effective sample size (sum w)^2 / sum w^2 is below <paramref name="minEffectiveSampleSize"/>
    /// (the reference: 12) is dropped. All NaN (0 environments) when none remains.
    /// </summary>
    public static Summary Compute(IReadOnlyList<RankedPoint> points, string measure, int testSize = 10_000, double minEffectiveSampleSize = 12)
    {
        if (testSize < 1) throw new ArgumentOutOfRangeException(nameof(testSize), testSize, "sign error: the test-set size must be >= 1.");
        if (!(minEffectiveSampleSize >= 0)) throw new ArgumentOutOfRangeException(nameof(minEffectiveSampleSize), minEffectiveSampleSize, "sign error: the minimum effective sample size must be >= 0.");
        return Environments(points, measure, dg => HoeffdingWeight(dg, testSize), minEffectiveSampleSize);
    }

    /// <summary>
    /// Variant "sign error, every pair kept": each pair weighs 1 (pairs whose gaps differ by at most
    /// <paramref name="minGapDifference"/> dropped), no minimum sample size; quantiles as in <see cref="Compute"/>.
    /// </summary>
    public static Summary ComputeEveryPair(IReadOnlyList<RankedPoint> points, string measure, double minGapDifference = 0) =>
        Environments(points, measure, dg => Math.Abs(dg) <= minGapDifference ? 0 : 1, 0);

    /// <summary>The weight of a pair whose gaps differ by <paramref name="gapDifference"/> on a test set of n examples:
    /// (p - 1/2)_+ with p = max(0, 1 - 2 exp(-2 n (|dg| / 2)^2))^2 (Hoeffding: the two gap estimates each lie within
    /// |dg|/2 of their means with that probability).</summary>
    public static double HoeffdingWeight(double gapDifference, int n)
    {
        double half = Math.Abs(gapDifference) / 2;
        double p = Math.Pow(Math.Max(0, 1 - 2 * Math.Exp(-2 * n * half * half)), 2);
        return p > 0.5 ? p - 0.5 : 0;
    }

    static Summary Environments(IReadOnlyList<RankedPoint> points, string measure, Func<double, double> weight, double minEss)
    {
        var configs = points.GroupBy(p => Key(p.Hyperparameters)).Select(g => g.ToList()).ToList();
        var errors = new List<double>();
        for (int a = 0; a < configs.Count; a++)
            for (int b = a + 1; b < configs.Count; b++)
            {
                if (Differences(configs[a][0].Hyperparameters, configs[b][0].Hyperparameters) != 1) continue;
                double sum = 0, w1 = 0, w2 = 0;
                foreach (var p in configs[a])
                    foreach (var q in configs[b])
                    {
                        double dg = p.Gap - q.Gap, w = weight(dg);
                        if (w <= 0) continue;
                        sum += w * (1 - Math.Sign(p.Measures[measure] - q.Measures[measure]) * Math.Sign(dg)) / 2.0;
                        w1 += w; w2 += w * w;
                    }
                if (w1 <= 0) continue;
                double ess = w1 * w1 / w2;
                // NOTE: the reference keeps ess >= min_ess up to np.isclose's tolerance; 1e-9 relative keeps an exact
                // threshold hit (e.g. 4 equal weights against min 4) on the kept side despite rounding in w1^2 / w2.
                if (ess < minEss * (1 - 1e-9)) continue;
                errors.Add(sum / w1);
            }
        if (errors.Count == 0) return new Summary(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var both = errors.Concat(errors).Order().ToList();
        return new Summary(errors.Count, both[^1], both.Average(), Quantile(both, 0.5), Quantile(both, 0.9));
    }

    /// <summary>Quantile with linear interpolation between order statistics of a sorted list (position q (n - 1), numpy's default).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    static int Differences(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Keys.Union(b.Keys).Count(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k));

    static string Key(IReadOnlyDictionary<string, string> h) =>
        string.Join("\u0001", h.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
}
