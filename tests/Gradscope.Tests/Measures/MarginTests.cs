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
        Assert.Equal(bft, BftBound.Of(0.1, 2, 10, 0.5, 100, 10, 0.05), 10);
        Assert.Throws<ArgumentException>(() => BftBound.Of(0, 1, 1, 0, 10, 10));
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
