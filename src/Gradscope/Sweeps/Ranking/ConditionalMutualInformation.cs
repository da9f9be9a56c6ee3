namespace Gradscope.Sweeps.Ranking;

/// <summary>
/// Conditional mutual information score of the NeurIPS 2020 "Predicting Generalization in Deep Learning" competition
/// (Jiang et al. 2020; the definition of "Fantastic generalization measures", section 6, restricted as in the
/// competition's scoring program to conditioning sets of two hyperparameters).
/// Over every ordered pair of points (i, j), a point paired with itself included as in the scoring program,
/// V_g = [g_i &gt; g_j], V_mu = [mu_i &gt; mu_j], and U_S = the values of the hyperparameters in S for both points.
/// For each set S of two hyperparameters: K_S = I(V_mu; V_g | U_S) / H(V_g | U_S) (bits, conditional quantities
/// weighted by the share of pairs in each U_S cell); the score is min_S K_S, in [0, 1].
/// The hyperparameters are the sweep axes that take at least two values on the scored points: an axis left
/// constant (its other values failed, or the measure is missing there) conditions on nothing, and a set {constant
/// axis, x} would silently be the one-axis set {x}, pulling the minimum down.
/// 1 = V_mu determines V_g in every cell for a measure ordered exactly with the gap. Mutual information ignores
/// direction, but not exactly: a measure ordered exactly against the gap scores high and below 1, because the
/// self pairs (i, i) have V_mu = V_g = 0 while every other pair has V_mu = 1 - V_g (as in the scoring program).
/// With one hyperparameter S is that one; with none, the unconditioned ratio. On a complete grid every cell holds
/// the same number of pairs, so the weights equal the scoring program's plain cell average.
/// </summary>
public static class ConditionalMutualInformation
{
    /// <summary>The score min_S I(V_mu; V_g | U_S) / H(V_g | U_S); NaN when H(V_g | U_S) = 0 for every S (no gap order to predict).</summary>
    public static double Score(IReadOnlyList<RankedPoint> points, string measure)
    {
        var names = GranulatedTau.Axes(points);
        var sets = new List<string[]>();
        for (int a = 0; a < names.Count; a++) for (int b = a + 1; b < names.Count; b++) sets.Add([names[a], names[b]]);
        if (sets.Count == 0) sets.Add(names.ToArray());
        double best = double.NaN;
        foreach (var s in sets)
        {
            double k = Ratio(points, measure, s);
            if (!double.IsNaN(k) && (double.IsNaN(best) || k < best)) best = k;
        }
        return best;
    }

    /// <summary>I(V_mu; V_g | U_S) / H(V_g | U_S) for one conditioning set S (NaN when the denominator is 0).</summary>
    public static double Ratio(IReadOnlyList<RankedPoint> points, string measure, IReadOnlyList<string> conditioning)
    {
        // cell -> counts[vg, vmu]
        var cells = new Dictionary<string, long[,]>();
        foreach (var p in points)
            foreach (var q in points)
            {
                var key = string.Join("\u0001", conditioning.Select(h => p.Hyperparameters.GetValueOrDefault(h) + "\u0002" + q.Hyperparameters.GetValueOrDefault(h)));
                if (!cells.TryGetValue(key, out var t)) cells[key] = t = new long[2, 2];
                t[p.Gap > q.Gap ? 1 : 0, p.Measures[measure] > q.Measures[measure] ? 1 : 0]++;
            }
        double total = cells.Values.Sum(t => (double)(t[0, 0] + t[0, 1] + t[1, 0] + t[1, 1]));
        double mi = 0, h = 0;
        foreach (var t in cells.Values)
        {
            double n = t[0, 0] + t[0, 1] + t[1, 0] + t[1, 1];
            mi += n / total * MutualInformation(t);
            h += n / total * Entropy(t[0, 0] + t[0, 1], t[1, 0] + t[1, 1]);
        }
        return h <= 0 ? double.NaN : mi / h;
    }

    /// <summary>I(X;Y) in bits of the joint count table t[x, y].</summary>
    static double MutualInformation(long[,] t)
    {
        double n = t[0, 0] + t[0, 1] + t[1, 0] + t[1, 1], mi = 0;
        for (int x = 0; x < 2; x++)
            for (int y = 0; y < 2; y++)
            {
                if (t[x, y] == 0) continue;
                double pxy = t[x, y] / n, px = (t[x, 0] + t[x, 1]) / n, py = (t[0, y] + t[1, y]) / n;
                mi += pxy * Math.Log2(pxy / (px * py));
            }
        return mi;
    }

    static double Entropy(double a, double b)
    {
        double n = a + b, h = 0;
        if (a > 0) h -= a / n * Math.Log2(a / n);
        if (b > 0) h -= b / n * Math.Log2(b / n);
        return h;
    }
}
