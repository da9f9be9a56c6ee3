using Gradscope.Measures;
using Xunit;

namespace Gradscope.Tests.Measures;

public class MarginSeparationTests
{
    [Fact]
    public void DisjointSamplesAreFullySeparatedInOneDirectionOnly()
    {
        var lo = new MarginDistribution([1.0, 2, 3]);
        var hi = new MarginDistribution([4.0, 5, 6]);
        Assert.Equal(1, MarginSeparation.Above(hi, lo));
        Assert.Equal(0, MarginSeparation.Above(lo, hi));
        Assert.Equal(1, MarginSeparation.Ks(lo, hi));
        Assert.Equal(0, MarginSeparation.Ks(lo, new MarginDistribution([3.0, 1, 2])));
    }

    [Fact]
    public void InterleavedSamplesByHand()
    {
        // F_a: 1/2 on [0, 2), 1 from 2; F_b: 0 below 1, 1/2 on [1, 3), 1 from 3. F_a - F_b peaks at 1/2 (t in [0, 1) and [2, 3)).
        var a = new MarginDistribution([0.0, 2]);
        var b = new MarginDistribution([1.0, 3]);
        Assert.Equal(0.5, MarginSeparation.Above(b, a));
        Assert.Equal(0, MarginSeparation.Above(a, b));
        Assert.Equal(0.5, MarginSeparation.Ks(a, b));
    }

    [Fact]
    public void AgreesWithADenseGridOfThresholds()
    {
        var rng = new Random(3);
        var xa = Enumerable.Range(0, 37).Select(_ => Math.Round(rng.NextDouble() * 4, 1)).ToArray();
        var xb = Enumerable.Range(0, 23).Select(_ => Math.Round(rng.NextDouble() * 4 + 0.7, 1)).ToArray();
        // independent: F counted directly at every threshold t = k / 20 (the samples lie on the 0.1 grid)
        double up = 0, two = 0;
        for (int k = -20; k <= 120; k++)
        {
            double t = k / 20.0;
            double fa = xa.Count(v => v <= t + 1e-12) / (double)xa.Length, fb = xb.Count(v => v <= t + 1e-12) / (double)xb.Length;
            up = Math.Max(up, fa - fb);
            two = Math.Max(two, Math.Abs(fa - fb));
        }
        var a = new MarginDistribution(xa);
        var b = new MarginDistribution(xb);
        Assert.Equal(up, MarginSeparation.Above(b, a), 12);
        Assert.Equal(two, MarginSeparation.Ks(a, b), 12);
    }
}
