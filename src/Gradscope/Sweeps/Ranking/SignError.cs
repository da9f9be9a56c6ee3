namespace Gradscope.Sweeps.Ranking;

/// <summary>
/// Sign error of Dziugaite et al. 2020 ("In search of robust measures of generalization"), as implemented here:
/// an environment is an unordered pair of hyperparameter configurations that differ in exactly one hyperparameter;
/// its sign error is the mean over every pair of points (p from one configuration, q from the other, all seed
/// combinations) of (1 - sgn(mu_p - mu_q) sgn(g_p - g_q)) / 2, i.e. 1 when the measure orders the two gaps wrongly,
/// 0 when rightly, 1/2 when the measure ties. Pairs whose gaps differ by at most <c>minGapDifference</c> carry no
/// sign and are dropped (the paper drops pairs whose gap difference is within noise); an environment left without
/// pairs is dropped. Reported: the worst case (max over environments, the paper's robust criterion), the mean and
/// the distribution's median and 90th percentile (linear interpolation between order statistics).
/// </summary>
public static class SignError
{
    /// <summary>Summary of the distribution of sign errors over environments.</summary>
    public sealed record Summary(int Environments, double Max, double Mean, double Median, double P90);

    /// <summary>Sign error per environment, then summarized. All NaN (0 environments) when no environment has a pair.</summary>
    public static Summary Compute(IReadOnlyList<RankedPoint> points, string measure, double minGapDifference = 0)
    {
        var configs = points.GroupBy(p => Key(p.Hyperparameters)).Select(g => g.ToList()).ToList();
        var errors = new List<double>();
        for (int a = 0; a < configs.Count; a++)
            for (int b = a + 1; b < configs.Count; b++)
            {
                if (Differences(configs[a][0].Hyperparameters, configs[b][0].Hyperparameters) != 1) continue;
                double sum = 0; int n = 0;
                foreach (var p in configs[a])
                    foreach (var q in configs[b])
                    {
                        double dg = p.Gap - q.Gap;
                        if (Math.Abs(dg) <= minGapDifference) continue;
                        sum += (1 - Math.Sign(p.Measures[measure] - q.Measures[measure]) * Math.Sign(dg)) / 2.0;
                        n++;
                    }
                if (n > 0) errors.Add(sum / n);
            }
        if (errors.Count == 0) return new Summary(0, double.NaN, double.NaN, double.NaN, double.NaN);
        errors.Sort();
        return new Summary(errors.Count, errors[^1], errors.Average(), Quantile(errors, 0.5), Quantile(errors, 0.9));
    }

    /// <summary>Quantile with linear interpolation between order statistics of a sorted list (position q (n - 1)).</summary>
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
