using Gradscope.Data;
using Gradscope.Measures;

namespace Gradscope.Tests.Measures;

public class MarginTests
{
    [Fact]
    public void RawMarginsBinaryAndMulticlassByHand()
    {
        // binary: labels 0/1 -> -1/+1
        Assert.Equal(new[] { -2.0, 3.0 }, Margins.Raw([2.0, 3.0], [0, 1]));
        // multiclass: z_y - max_{j != y} z_j
        Assert.Equal(new[] { 1.0, -3.0 }, Margins.Raw([3.0, 2.0, -1.0, 0.0, 1.0, 4.0], [0, 1]));
        Assert.Throws<ArgumentException>(() => Margins.Raw([1.0, 2.0, 3.0], [0, 1]));
    }

    [Fact]
    public void ModelMarginsMatchHandComputedNet()
    {
        var m = MeasureTestNets.Mlp([2, 2, 1], bias: false, seed: 1);
        new double[] { 1, 0, 0, 1, 1, -1 }.CopyTo(m.Flat, 0); // f(x) = relu(x1) - relu(x2)
        var data = new Dataset("t", [2, 1, -1, 3], [1, 0], [2], 2);
        var raw = Margins.Raw(m, data);
        Assert.Equal(new[] { 1.0, 3.0 }, raw);
        double rho = Math.Sqrt(2) * Math.Sqrt(2);
        Assert.Equal(1.0 / rho, Margins.GammaMin(raw, rho), 12);
        double xf = Math.Sqrt(4 + 1 + 1 + 9);
        var sn = Margins.SpectrallyNormalized(raw, 5.0, xf);
        Assert.Equal(1.0 / (5.0 * xf / 2), sn[0], 12);
        Assert.Equal(Math.Sqrt(10), Margins.MaxInputNorm(data), 12);
    }

    [Fact]
    public void QuantilesInterpolateLinearlyAndCdfCounts()
    {
        var d = new MarginDistribution([4.0, 1.0, 3.0, 2.0]);
        Assert.Equal(1.0, d.Quantile(0));
        Assert.Equal(4.0, d.Quantile(1));
        Assert.Equal(2.5, d.Quantile(0.5), 12);   // numpy: h = 1.5
        Assert.Equal(1.3, d.Quantile(0.1), 12);   // h = 0.3
        Assert.Equal(0.5, d.Cdf(2.0));
        Assert.Equal(0.0, d.Cdf(0.5));
        Assert.Equal(1.0, d.Cdf(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Quantile(1.5));
    }

    [Fact]
    public void AdaBoostMarginsByHand()
    {
        // two stumps, weights (1, -3): f = h1 - 3 h2, ||a||_1 = 4
        var m = AdaBoostMargins.Of([1, 1, 1, -1], [1, -3], [1, 0]);
        Assert.Equal(-0.5, m[0], 12);  // y=+1, f = -2
        Assert.Equal(-1.0, m[1], 12);  // y=-1, f = 4
        Assert.Throws<ArgumentException>(() => AdaBoostMargins.Of([1, 1, 1], [1, -3], [1, 0]));
    }

    [Fact]
    public void BoundsByHand()
    {
        Assert.Equal(Math.Sqrt(100 * 2 * Math.Log(100) / 50), VcBound.Of(100, 2, 50), 12);
        Assert.Equal(3 * (Math.Sqrt(4 * Math.Log(2)) + 1) * 5 / (Math.Sqrt(16) * 0.5), FrobeniusProductBound.Of(3, 2, 5, 16, 0.5), 12);
        double bft = 0.1 + 8.0 / 100 + 72 * 10 * 2 * Math.Log(20) * Math.Log(100) / (0.5 * 100) + 3 * Math.Sqrt(Math.Log(20) / 200);
        Assert.Equal(bft, BftBound.FixedNorms(0.1, 2, 10, 0.5, 100, 10, 0.05), 10);
        Assert.Throws<ArgumentException>(() => BftBound.FixedNorms(0, 1, 1, 0, 10, 10));
    }

    [Fact]
    public void BftTheoremIsTheFixedNormBoundAtTheCoveringGridPointWithItsShareOfDelta()
    {
        // L = 2, s = (0.3, 1.2), b = (0.7, 2.0), gamma = 0.75. Covering grid point, worked by hand:
        // gamma_j = 0.5 (j = -1); s' = (1/2, 3/2) (k = 1, 3); b' = (2/2, 4/2) (l = 2, 4).
        // share = 2/(3*2*3) * 1/(1*2) * 1/(3*4) * 1/(2*3) * 1/(4*5).
        double share = 2.0 / 18 / 2 / 12 / 6 / 20;
        double r = 0.5 * 1.5 * Math.Pow(Math.Pow(1.0 / 0.5, 2.0 / 3) + Math.Pow(2.0 / 1.5, 2.0 / 3), 1.5);
        double expected = BftBound.FixedNorms(0.05, r, 3.0, 0.5, 200, 16, 0.05 * share);
        Assert.Equal(expected, BftBound.Theorem11(0.05, [0.3, 1.2], [0.7, 2.0], 3.0, 0.75, 200, 16, 0.05), 12);
    }

    [Fact]
    public void BftSharesOfDeltaSumToOneOverTheGrid()
    {
        // sum_k 1/(k(k+1)) telescopes to 1 - 1/(K+1); the margin shares add 1/2 at j = 0 and 2 * 1/2 over j != 0.
        double norms = 0;
        for (long k = 1; k <= 100000; k++) norms += BftBound.NormShare(k);
        Assert.Equal(1 - 1.0 / 100001, norms, 12);
        double margins = 0;
        for (int j = -100000; j <= 100000; j++) margins += BftBound.MarginShare(j);
        Assert.Equal(1 - 4.0 / 3 / 100002, margins, 9);
        Assert.Equal(3, BftBound.GridIndex(1.2, 2));
        Assert.Equal(1, BftBound.GridIndex(0, 2));
        Assert.Equal(4, BftBound.GridIndex(2.0, 2));
    }

    [Fact]
    public void BftTheoremLiesBetweenTheFixedNormBoundAndThePaperStyleSlack()
    {
        // Valid for all margins and weights, the theorem can only be weaker than the bound for the net's own norms
        // (fixed in advance), and is at most that bound with budgets s + 1/L, b + 1/L and margin gamma/2.
        var rng = new Gradscope.Tensors.Rng(4);
        for (int t = 0; t < 50; t++)
        {
            int layers = 1 + t % 4;
            var s = Enumerable.Range(0, layers).Select(_ => 0.2 + 3 * rng.NextDouble()).ToArray();
            var b = s.Select(x => x * (1 + 5 * rng.NextDouble())).ToArray();
            double gamma = Math.Exp(4 * rng.NextDouble() - 2), xf = 1 + 10 * rng.NextDouble();
            double theorem = BftBound.Theorem11(0.1, s, b, xf, gamma, 500, 64);
            Assert.True(theorem >= BftBound.FixedNorms(0.1, SpectralComplexity.From(s, b), xf, gamma, 500, 64), $"case {t}");
            var sLoose = s.Select(x => x + 1.0 / layers).ToArray();
            var bLoose = b.Select(x => x + 1.0 / layers).ToArray();
            double complexityLoose = SpectralComplexity.From(sLoose, bLoose);
            double logShare = -Math.Log(BftBound.MarginShare((int)Math.Floor(Math.Log2(gamma))));
            for (int i = 0; i < layers; i++)
                logShare -= Math.Log(BftBound.NormShare(BftBound.GridIndex(s[i], layers))) + Math.Log(BftBound.NormShare(BftBound.GridIndex(b[i], layers)));
            double loose = BftBound.FixedNorms(0.1, complexityLoose, xf, gamma / 2, 500, 64, 0.05 * Math.Exp(-logShare));
            Assert.True(theorem <= loose * (1 + 1e-12), $"case {t}: {theorem} > {loose}");
        }
    }
}

public class KolmogorovSmirnovTests
{
    [Fact]
    public void DistanceByHand()
    {
        var a = new MarginDistribution([1.0, 2.0, 3.0, 4.0]);
        var b = new MarginDistribution([3.5, 5.0]);
        // at t = 3: F_a = 3/4, F_b = 0
        Assert.Equal(0.75, MarginSeparation.Ks(a, b), 12);
        Assert.Equal(0.0, MarginSeparation.Ks(a, new MarginDistribution([4.0, 3.0, 2.0, 1.0])), 12);
        // disjoint supports: distance 1
        Assert.Equal(1.0, MarginSeparation.Ks(new MarginDistribution([0.0, 0.1]), new MarginDistribution([1.0])), 12);
    }
}
