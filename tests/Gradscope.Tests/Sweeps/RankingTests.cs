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
    public void StandardErrorsOfEstimatesAreNotRanked()
    {
        var points = Square.Select(p => p with
        {
            Measures = new Dictionary<string, double>(p.Measures) { ["hessian.trace"] = p.Gap * 3, ["hessian.trace_stderr"] = p.Gap, ["flatness.sigma_perturbed_error_stderr"] = 1 - p.Gap },
        }).ToArray();
        var names = MeasureRanking.Score(points).Select(s => s.Measure).ToArray();
        Assert.Equal(new[] { "hessian.trace", "m" }, names.Order(StringComparer.Ordinal).ToArray());
    }

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
        // The paper's tau-a counts a group whose gaps are all equal as 0 (every pair tied in the gap); the tau-b
        // variant has no coefficient there and leaves the group out.
        RankedPoint[] flat = [P(0, 0.1, 1, ("A", "a1")), P(1, 0.1, 2, ("A", "a2"))];
        Assert.Equal(0.0, GranulatedTau.Compute(flat, "m").Psi, 15);
        Assert.True(double.IsNaN(GranulatedTau.ComputeTauBSeedsPooled(flat, "m").Psi));
    }

    [Fact]
    public void SignErrorEveryPairCountsWrongOrdersAndTakesQuantilesOverBothDirections()
    {
        // Environments: (a1b1, a2b1) right = 0, (a1b2, a2b2) wrong = 1, (a1b1, a1b2) right = 0, (a2b1, a2b2) right = 0.
        var s = SignError.ComputeEveryPair(Square, "m");
        Assert.Equal(4, s.Environments);
        Assert.Equal(1.0, s.Max, 15);
        Assert.Equal(0.25, s.Mean, 15);
        // Each environment counted once per direction, as the reference code collects them: 0,0,0,0,0,0,1,1.
        Assert.Equal(0.0, s.Median, 15);        // position 0.5 * 7 = 3.5: 0
        Assert.Equal(1.0, s.P90, 14);           // position 0.9 * 7 = 6.3: 1 (counted once: 0,0,0,1 at 2.7 would give 0.7)
        // Two seeds per configuration, measure tied in one cross pair: (1 + 1/2 + 0 + 0) / 4 per environment.
        RankedPoint[] seeds =
        [
            P(0, 0.1, 1, ("A", "x")), P(1, 0.15, 2, ("A", "x")),
            P(2, 0.3, 1, ("A", "y")), P(3, 0.35, 3, ("A", "y")),
        ];
        // pairs (p from x, q from y): (0,2) dmu 0 -> 1/2; (0,3) right -> 0; (1,2) dg<0, dmu>0 -> 1; (1,3) right -> 0.
        Assert.Equal(0.375, SignError.ComputeEveryPair(seeds, "m").Max, 15);
    }

    [Fact]
    public void SignErrorWeighsPairsByHoeffdingAndDropsEnvironmentsBelowTheMinimumSampleSize()
    {
        // One environment (A: x -> y), two seeds each, gaps from a test set of n = 100. By hand, pair by pair
        // (weight w = (max(0, 1 - 2 exp(-2 n (|dg|/2)^2))^2 - 1/2)_+):
        //   (0.10, mu 1) vs (0.12, mu 2): dg = -0.02, 1 - 2e^-0.02 < 0 -> w = 0                      (error 0)
        //   (0.10, mu 1) vs (0.50, mu 3): dg = -0.40, (1 - 2e^-8)^2 = 0.998659 -> w = 0.498659        (error 0)
        //   (0.30, mu 5) vs (0.12, mu 2): dg = +0.18, (1 - 2e^-1.62)^2 = 0.365060 -> w = 0            (error 0)
        //   (0.30, mu 5) vs (0.50, mu 3): dg = -0.20, (1 - 2e^-2)^2 = 0.531921 -> w = 0.031921        (error 1)
        // sign error = 0.031921 / (0.498659 + 0.031921) = 0.060163; ESS = 0.530580^2 / (0.498659^2 + 0.031921^2) = 1.1275.
        RankedPoint[] pts =
        [
            P(0, 0.10, 1, ("A", "x")), P(1, 0.30, 5, ("A", "x")),
            P(2, 0.12, 2, ("A", "y")), P(3, 0.50, 3, ("A", "y")),
        ];
        double w2 = Math.Pow(1 - 2 * Math.Exp(-8), 2) - 0.5, w4 = Math.Pow(1 - 2 * Math.Exp(-2), 2) - 0.5;
        Assert.Equal(0.498659, w2, 6);
        Assert.Equal(0.031921, w4, 6);
        Assert.Equal(0.0, SignError.HoeffdingWeight(-0.02, 100));
        Assert.Equal(0.0, SignError.HoeffdingWeight(0.18, 100));
        Assert.Equal(w2, SignError.HoeffdingWeight(-0.40, 100), 15);
        var s = SignError.Compute(pts, "m", testSize: 100, minEffectiveSampleSize: 1);
        Assert.Equal(1, s.Environments);
        Assert.Equal(w4 / (w2 + w4), s.Max, 14);
        Assert.Equal(0.060163, s.Max, 6);
        // ESS 1.1275 is below the reference's 12 (and below 1.2): the environment is dropped
        Assert.Equal(0, SignError.Compute(pts, "m", testSize: 100).Environments);
        Assert.True(double.IsNaN(SignError.Compute(pts, "m", testSize: 100, minEffectiveSampleSize: 1.2).Max));
        // every pair kept: (0 + 0 + 0 + 1) / 4
        Assert.Equal(0.25, SignError.ComputeEveryPair(pts, "m").Max, 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => SignError.Compute(pts, "m", testSize: 0));
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
        Assert.Equal(string.Join(',', MeasureRanking.Columns.Concat(MeasureRanking.VariantColumns)), csv[0]);
        Assert.StartsWith("m,4,1,0.666667,0.5,", csv[1]);
        using var json = System.Text.Json.JsonDocument.Parse(MeasureRanking.ToJson(scores));
        var row = json.RootElement.GetProperty("measures")[0];
        Assert.Equal(0.5, row.GetProperty("granulated_tau").GetDouble(), 15);
        Assert.Equal(0.5, row.GetProperty("variants").GetProperty("granulated tau-b, seeds pooled").GetDouble(), 15);
        Assert.Contains("<td>m</td>", MeasureRanking.ToHtml(scores, 4));
    }

    [Fact]
    public void TauAIsJiangsEquationThreeWithTiesCountingZero()
    {
        // x = 1,2,3,4, y = 1,3,2,2. The 6 pairs: (1,2) +1, (1,3) +1, (1,4) +1, (2,3) -1, (2,4) -1, (3,4) tied in y: 0.
        // tau_a = (3 - 2) / 6 = 1/6; tau_b = (3 - 2) / sqrt((3 + 2 + 1)(3 + 2 + 0)) = 1 / sqrt(30).
        double[] x = [1, 2, 3, 4], y = [1, 3, 2, 2];
        Assert.Equal(1.0 / 6, KendallTau.TauA(x, y), 15);
        Assert.Equal(1 / Math.Sqrt(30), KendallTau.TauB(x, y), 15);
        Assert.Equal(-1.0, KendallTau.TauA(x, [4, 3, 2, 1]), 15);
        Assert.True(double.IsNaN(KendallTau.TauA([1.0], [2.0])));
        Assert.Throws<ArgumentException>(() => KendallTau.TauA(x, [1, 2]));
    }

    static RankedPoint Q(int i, string a, string b, string seed, double gap, double mu) =>
        new(i, new Dictionary<string, string> { ["A"] = a, ["B"] = b }, gap, new Dictionary<string, double> { ["m"] = mu }, seed);

    // A in {a1, a2, a3} x B in {b1, b2} x seeds {s1, s2}: 12 nets, (gap, measure) per net.
    static readonly RankedPoint[] Grid =
    [
        Q(0, "a1", "b1", "s1", 0.10, 1), Q(1, "a2", "b1", "s1", 0.20, 2), Q(2, "a3", "b1", "s1", 0.30, 3),
        Q(3, "a1", "b2", "s1", 0.15, 5), Q(4, "a2", "b2", "s1", 0.25, 4), Q(5, "a3", "b2", "s1", 0.35, 4),
        Q(6, "a1", "b1", "s2", 0.12, 1), Q(7, "a2", "b1", "s2", 0.11, 2), Q(8, "a3", "b1", "s2", 0.32, 3),
        Q(9, "a1", "b2", "s2", 0.16, 5), Q(10, "a2", "b2", "s2", 0.26, 6), Q(11, "a3", "b2", "s2", 0.36, 7),
    ];

    [Fact]
    public void GranulatedTauIsJiangsEquationFourWithOneNetPerValue()
    {
        // Axis A (groups: B and seed fixed, one net per value of A), tau_a of 3 nets = sum of 3 pair signs / 3:
        //   (b1, s1): mu 1,2,3 vs gaps .10,.20,.30: +1 +1 +1 -> 1
        //   (b2, s1): mu 5,4,4 vs .15,.25,.35: (a1,a2) -1, (a1,a3) -1, (a2,a3) mu tied 0 -> -2/3
        //   (b1, s2): mu 1,2,3 vs .12,.11,.32: (a1,a2) -1, (a1,a3) +1, (a2,a3) +1 -> 1/3
        //   (b2, s2): mu 5,6,7 vs .16,.26,.36 -> 1
        //   Psi_A = (1 - 2/3 + 1/3 + 1) / 4 = 5/12.
        // Axis B (groups: A and seed fixed, two nets): every pair has the larger gap with the larger measure -> Psi_B = 1.
        // Psi = (5/12 + 1) / 2 = 17/24.
        var (psi, per) = GranulatedTau.Compute(Grid, "m");
        Assert.Equal(5.0 / 12, per["A"], 15);
        Assert.Equal(1.0, per["B"], 15);
        Assert.Equal(17.0 / 24, psi, 15);

        // A failed net (a3, b2, s1): group (b2, s1) keeps a1, a2: -1; group (a3, s1) of axis B has one net and is left out.
        // Psi_A = (1 - 1 + 1/3 + 1) / 4 = 1/3, Psi_B = 1, Psi = 2/3.
        var failed = Grid.Where(p => p.Index != 5).ToList();
        var (psiF, perF) = GranulatedTau.Compute(failed, "m");
        Assert.Equal(1.0 / 3, perF["A"], 15);
        Assert.Equal(1.0, perF["B"], 15);
        Assert.Equal(2.0 / 3, psiF, 15);

        // The variant pools the seeds: axis A groups are B = b1 and B = b2 with all six nets each, tau-b within.
        double TauBOf(IEnumerable<RankedPoint> g) => KendallTau.TauB(g.Select(p => p.Measures["m"]).ToArray(), g.Select(p => p.Gap).ToArray());
        double variantA = (TauBOf(Grid.Where(p => p.Hyperparameters["B"] == "b1")) + TauBOf(Grid.Where(p => p.Hyperparameters["B"] == "b2"))) / 2;
        double variantB = new[] { "a1", "a2", "a3" }.Average(a => TauBOf(Grid.Where(p => p.Hyperparameters["A"] == a)));
        Assert.Equal((variantA + variantB) / 2, GranulatedTau.ComputeTauBSeedsPooled(Grid, "m").Psi, 15);
        Assert.NotEqual(17.0 / 24, (variantA + variantB) / 2, 3);
    }

    [Fact]
    public void CmiOfAReversedMeasureIsBelowOneByItsSelfPairs()
    {
        // Two nets, one hyperparameter-free sweep, measure ordered against the gap. The 4 ordered pairs (self pairs
        // included): (1,1) and (2,2) give V_g = V_mu = 0; (2,1) gives V_g = 1, V_mu = 0; (1,2) gives V_g = 0, V_mu = 1.
        // p00 = 1/2, p01 = p10 = 1/4: I = 2 (1/4) log2((1/4)/(1/4 * 3/4)) + (1/2) log2((1/2)/(3/4 * 3/4)) = (1/2) log2(32/27),
        // H(V_g) = -(1/4) log2(1/4) - (3/4) log2(3/4) = 2 - (3/4) log2 3; ratio = 0.122556 / 0.811278 = 0.151066.
        RankedPoint[] two = [P(0, 0.1, 2), P(1, 0.2, 1)];
        double reversed = 0.5 * Math.Log2(32.0 / 27) / (2 - 0.75 * Math.Log2(3));
        Assert.Equal(0.151066, reversed, 6);
        Assert.Equal(reversed, ConditionalMutualInformation.Score(two, "m"), 14);
        // ordered with the gap: V_mu = V_g on every pair -> 1
        Assert.Equal(1.0, ConditionalMutualInformation.Score([P(0, 0.1, 1), P(1, 0.2, 2)], "m"), 14);
    }

    [Fact]
    public void CmiConditionsOnlyOnAxesThatVaryOnTheScoredPoints()
    {
        // Axis A varies, axis C is constant on the scored points (its other value failed), two seeds per A.
        // Gaps a1: .1, .2 (measure 2, 1: reversed), a2: .3, .4 (measure 3, 4: ordered). S = {A}; the four U_S cells hold 4 pairs:
        //   (a1, a1): the reversed two-net table above: I1 = (1/2) log2(32/27), H1 = 2 - (3/4) log2 3
        //   (a2, a2): V_mu = V_g, one pair with V_g = 1 of 4: I = H = H1
        //   (a1, a2), (a2, a1): V_g constant: I = H = 0
        // score = (I1 + H1) / (2 H1) = 1/2 + I1 / (2 H1) = 0.575533.
        static RankedPoint R(int i, string a, double gap, double mu) =>
            new(i, new Dictionary<string, string> { ["A"] = a, ["C"] = "c1" }, gap, new Dictionary<string, double> { ["m"] = mu });
        RankedPoint[] pts = [R(0, "a1", 0.1, 2), R(1, "a1", 0.2, 1), R(2, "a2", 0.3, 3), R(3, "a2", 0.4, 4)];
        double i1 = 0.5 * Math.Log2(32.0 / 27), h1 = 2 - 0.75 * Math.Log2(3);
        Assert.Equal(0.575533, 0.5 + i1 / (2 * h1), 6);
        Assert.Equal(0.5 + i1 / (2 * h1), ConditionalMutualInformation.Score(pts, "m"), 14);

        // With a second varying axis B, a constant C must not make {B, C} (really {B}) a conditioning set.
        var rng = new Gradscope.Tensors.Rng(9);
        var grid = new List<RankedPoint>();
        int k = 0;
        foreach (var a in new[] { "0", "1" }) foreach (var b in new[] { "0", "1", "2" }) foreach (var seed in new[] { "0", "1" })
        {
            double gap = rng.NextDouble();
            grid.Add(new RankedPoint(k++, new Dictionary<string, string> { ["a"] = a, ["b"] = b, ["c"] = "0" }, gap,
                new Dictionary<string, double> { ["m"] = gap + 0.6 * rng.NextDouble() }, seed));
        }
        double ab = ConditionalMutualInformation.Ratio(grid, "m", ["a", "b"]);
        Assert.Equal(ab, ConditionalMutualInformation.Score(grid, "m"), 15);
        Assert.True(ConditionalMutualInformation.Ratio(grid, "m", ["b", "c"]) < ab);   // what conditioning on the constant axis gave
    }

    [Fact]
    public void AMeasureOnFewPointsIsListedAfterTheWellCoveredOnes()
    {
        // "sparse" orders the gap perfectly but exists on 1 of the 4 square points plus one more (2 of 4 = coverage 0.5).
        var pts = Square.Select(p => p with
        {
            Measures = p.Index < 2 ? new Dictionary<string, double> { ["m"] = p.Measures["m"], ["sparse"] = p.Gap } : p.Measures,
        }).ToList();
        var scores = MeasureRanking.Score(pts);
        Assert.Equal(["m", "sparse"], scores.Select(s => s.Measure));
        Assert.Equal(0.5, scores[1].Coverage, 15);
        Assert.Equal(1.0, scores[1].GranulatedTau, 15);       // |Psi| 1 > 0.5, yet below the minimum coverage 0.9
        Assert.Equal(["sparse", "m"], MeasureRanking.Score(pts, new RankingOptions { MinCoverage = 0.5 }).Select(s => s.Measure));
        Assert.Throws<ArgumentOutOfRangeException>(() => MeasureRanking.Score(pts, new RankingOptions { MinCoverage = 2 }));
    }
}
