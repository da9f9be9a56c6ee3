using Gradscope.Sweeps.Ranking;

namespace Gradscope.Tests.Sweeps;

public class RankingTests
{
    [Fact]
    public void TauIsOneForConcordantAndMinusOneForReversedOrders()
    {
        double[] x = [1, 2, 3, 4, 5];
        Assert.Equal(1.0, KendallTau.TauB(x, [10, 20, 30, 40, 50]), 15);
        Assert.Equal(-1.0, KendallTau.TauB(x, [5, 4, 3, 2, 1]), 15);
        Assert.True(double.IsNaN(KendallTau.TauB(x, [7, 7, 7, 7, 7])));
        Assert.Throws<ArgumentException>(() => KendallTau.TauB(x, [1, 2]));
    }

    [Fact]
    public void TauBWithTiesMatchesScipysDocumentedExample()
    {
        // scipy.stats.kendalltau docs: x1 = [12, 2, 1, 12, 2], x2 = [1, 4, 7, 1, 0] -> tau = -0.47140452079103173.
        // By hand: of the 10 pairs, C = 2 ((0,4), (3,4)), D = 6, (1,4) tied in x only, (0,3) tied in both;
        // n1 = 2 (ties 12,12 and 2,2), n2 = 1 (1,1): tau_b = (2 - 6) / sqrt((10 - 2)(10 - 1)) = -4 / sqrt(72).
        double tau = KendallTau.TauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]);
        Assert.Equal(-4 / Math.Sqrt(72), tau, 14);
        Assert.Equal(-0.47140452079103173, tau, 14);
    }

    // Grid A x B, one point per configuration. Within B=b1 the measure orders the gap rightly, within B=b2 wrongly;
    // within A=a1 and A=a2 rightly.
    static readonly RankedPoint[] Square =
    [
        P(0, 0.1, 1, ("A", "a1"), ("B", "b1")),
        P(1, 0.2, 2, ("A", "a2"), ("B", "b1")),
        P(2, 0.3, 4, ("A", "a1"), ("B", "b2")),
        P(3, 0.4, 3, ("A", "a2"), ("B", "b2")),
    ];

    static RankedPoint P(int i, double gap, double mu, params (string K, string V)[] hp) =>
        new(i, hp.ToDictionary(h => h.K, h => h.V), gap, new Dictionary<string, double> { ["m"] = mu });

    [Fact]
    public void GranulatedTauAveragesWithinGroupTausPerHyperparameter()
    {
        // Psi_A = mean(tau | B=b1, tau | B=b2) = (1 + -1) / 2 = 0; Psi_B = mean(1, 1) = 1; Psi = 1/2.
        var (psi, per) = GranulatedTau.Compute(Square, "m");
        Assert.Equal(0.0, per["A"], 15);
        Assert.Equal(1.0, per["B"], 15);
        Assert.Equal(0.5, psi, 15);
        // Overall: gaps in order with measure 1,2,4,3: 5 concordant, 1 discordant pair -> 4/6.
        Assert.Equal(2.0 / 3, KendallTau.TauB(Square.Select(p => p.Measures["m"]).ToArray(), Square.Select(p => p.Gap).ToArray()), 15);
    }

    [Fact]
    public void AMeasureConstantWithinAGroupScoresZeroThereNotNothing()
    {
        // mu depends on A only (like a parameter count on width): within A-groups (only B varies) it is constant while
        // the gaps differ, so Psi_B = 0 and Psi_A = (1 + 1) / 2 = 1 and Psi = (1 + 0) / 2, not Psi_A alone.
        RankedPoint[] points =
        [
            P(0, 0.1, 1, ("A", "a1"), ("B", "b1")), P(1, 0.2, 2, ("A", "a2"), ("B", "b1")),
            P(2, 0.3, 1, ("A", "a1"), ("B", "b2")), P(3, 0.4, 2, ("A", "a2"), ("B", "b2")),
        ];
        var (psi, per) = GranulatedTau.Compute(points, "m");
        Assert.Equal(1.0, per["A"], 15);
        Assert.Equal(0.0, per["B"], 15);
        Assert.Equal(0.5, psi, 15);
        // A group whose gaps are all equal has no order to predict and is left out.
        RankedPoint[] flat = [P(0, 0.1, 1, ("A", "a1")), P(1, 0.1, 2, ("A", "a2"))];
        Assert.True(double.IsNaN(GranulatedTau.Compute(flat, "m").Psi));
    }

    [Fact]
    public void SignErrorCountsWrongOrdersOverOneHyperparameterChanges()
    {
        // Environments: (a1b1, a2b1) right = 0, (a1b2, a2b2) wrong = 1, (a1b1, a1b2) right = 0, (a2b1, a2b2) right = 0.
        var s = SignError.Compute(Square, "m");
        Assert.Equal(4, s.Environments);
        Assert.Equal(1.0, s.Max, 15);
        Assert.Equal(0.25, s.Mean, 15);
        Assert.Equal(0.0, s.Median, 15);        // sorted 0,0,0,1: position 1.5
        Assert.Equal(0.7, s.P90, 14);           // position 2.7: 0 + 0.7 (1 - 0)
        // Two seeds per configuration, measure tied in one cross pair: (1 + 1/2 + 0 + 0) / 4 per environment.
        RankedPoint[] seeds =
        [
            P(0, 0.1, 1, ("A", "x")), P(1, 0.15, 2, ("A", "x")),
            P(2, 0.3, 1, ("A", "y")), P(3, 0.35, 3, ("A", "y")),
        ];
        // pairs (p from x, q from y): (0,2) dmu 0 -> 1/2; (0,3) right -> 0; (1,2) dg<0, dmu>0 -> 1; (1,3) right -> 0.
        Assert.Equal(0.375, SignError.Compute(seeds, "m").Max, 15);
    }

    [Fact]
    public void CmiIsOneForAPerfectMeasureZeroForAConstantOneAndMatchesTheJointDistributionFormula()
    {
        var rng = new Gradscope.Tensors.Rng(5);
        var points = new List<RankedPoint>();
        int i = 0;
        foreach (var a in new[] { "0", "1" }) foreach (var b in new[] { "0", "1", "2" }) foreach (var c in new[] { "0", "1" })
        {
            double gap = rng.NextDouble();
            points.Add(new RankedPoint(i++, new Dictionary<string, string> { ["a"] = a, ["b"] = b, ["c"] = c }, gap,
                new Dictionary<string, double> { ["perfect"] = 3 * gap + 1, ["constant"] = 2, ["noisy"] = gap + 0.6 * rng.NextDouble() }));
        }
        Assert.Equal(1.0, ConditionalMutualInformation.Score(points, "perfect"), 12);
        Assert.Equal(0.0, ConditionalMutualInformation.Score(points, "constant"), 12);
        string[][] sets = [["a", "b"], ["a", "c"], ["b", "c"]];
        double expected = sets.Min(s => BruteForceRatio(points, "noisy", s));
        Assert.Equal(expected, ConditionalMutualInformation.Score(points, "noisy"), 12);
        Assert.InRange(expected, 0.01, 0.99);
    }

    // Second algorithm: I(X;Y|Z) = sum p(x,y,z) log2(p(z) p(x,y,z) / (p(x,z) p(y,z))), H(X|Z) = -sum p(x,z) log2(p(x,z)/p(z)),
    // over all ordered pairs of points (self pairs included).
    static double BruteForceRatio(List<RankedPoint> pts, string m, string[] s)
    {
        var samples = new List<(int X, int Y, string Z)>();
        foreach (var p in pts) foreach (var q in pts)
            samples.Add((p.Gap > q.Gap ? 1 : 0, p.Measures[m] > q.Measures[m] ? 1 : 0, string.Join("|", s.Select(h => p.Hyperparameters[h] + q.Hyperparameters[h]))));
        double n = samples.Count, cmi = 0, h = 0;
        foreach (var g in samples.GroupBy(t => t))
        {
            double pxyz = g.Count() / n;
            double pz = samples.Count(t => t.Z == g.Key.Z) / n;
            double pxz = samples.Count(t => t.Z == g.Key.Z && t.X == g.Key.X) / n;
            double pyz = samples.Count(t => t.Z == g.Key.Z && t.Y == g.Key.Y) / n;
            cmi += pxyz * Math.Log2(pz * pxyz / (pxz * pyz));
        }
        foreach (var g in samples.GroupBy(t => (t.X, t.Z)))
        {
            double pxz = g.Count() / n, pz = samples.Count(t => t.Z == g.Key.Z) / n;
            h -= pxz * Math.Log2(pxz / pz);
        }
        return cmi / h;
    }

    [Fact]
    public void TheTableListsEveryMeasureInCsvJsonAndHtml()
    {
        var scores = MeasureRanking.Score(Square);
        Assert.Single(scores);
        var csv = MeasureRanking.ToCsv(scores).Split('\n');
        Assert.Equal(string.Join(',', MeasureRanking.Columns), csv[0]);
        Assert.StartsWith("m,4,0.666667,0.5,", csv[1]);
        using var json = System.Text.Json.JsonDocument.Parse(MeasureRanking.ToJson(scores));
        Assert.Equal(0.5, json.RootElement[0].GetProperty("granulated_tau").GetDouble(), 15);
        Assert.Contains("<td>m</td>", MeasureRanking.ToHtml(scores, 4));
    }
}
