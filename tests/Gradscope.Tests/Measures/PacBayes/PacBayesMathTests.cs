using Gradscope.Measures.PacBayes;

namespace Gradscope.Tests.Measures.PacBayes;

public class PacBayesMathTests
{
    [Theory]
    [InlineData(0.01)]
    [InlineData(0.3)]
    [InlineData(2.0)]
    public void KlInverseAtZeroIsClosedForm(double c)
    {
        // kl(0||p) = -ln(1-p), so kl^-1(0, c) = 1 - e^-c
        Assert.Equal(1 - Math.Exp(-c), BernoulliKl.Inverse(0, c), 11);
    }

    [Theory]
    [InlineData(0.02, 0.001)]
    [InlineData(0.1, 0.05)]
    [InlineData(0.5, 0.2)]
    [InlineData(0.9, 0.01)]
    public void KlInverseMatchesNewtonSolve(double q, double c)
    {
        // Independent solve: Newton on f(p) = kl(q||p) - c from the right (f convex increasing on [q,1),
        // so the iterates decrease monotonically to the root), with f'(p) = (p - q) / (p (1 - p)).
        double p = 1 - 1e-9;
        for (int it = 0; it < 200; it++)
        {
            double f = q * Math.Log(q / p) + (1 - q) * Math.Log((1 - q) / (1 - p)) - c;
            double step = f / ((p - q) / (p * (1 - p)));
            p -= step;
            if (Math.Abs(step) < 1e-15) break;
        }
        Assert.Equal(p, BernoulliKl.Inverse(q, c), 10);
    }

    [Fact]
    public void KlInverseEdgeCases()
    {
        Assert.Equal(0.3, BernoulliKl.Inverse(0.3, 0));
        Assert.Equal(1, BernoulliKl.Inverse(1, 0.5));
        Assert.Equal(1, BernoulliKl.Inverse(0.5, 100), 11);
        Assert.Throws<ArgumentOutOfRangeException>(() => BernoulliKl.Inverse(1.5, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BernoulliKl.Inverse(0.1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BernoulliKl.Inverse(0.1, double.NaN));
    }

    [Fact]
    public void GaussianKlMatchesHandWorkedCase()
    {
        // coordinate 1: N(1, 1) vs N(0, 2): ln(sqrt 2) + (1 + 1)/4 - 1/2 = ln(2)/2
        // coordinate 2: N(0, 4) vs N(0, 2): ln(sqrt(2)/2) + 4/4 - 1/2 = 1/2 - ln(2)/2; total 1/2
        Assert.Equal(0.5, GaussianKl.Of([1.0, 0.0], [1.0, 2.0], [0.0, 0.0], 2.0), 14);
    }

    [Fact]
    public void GaussianKlMatchesUnivariateSumAndVanishesAtPrior()
    {
        var rng = new Random(7);
        int d = 50;
        var w = new double[d]; var s = new double[d]; var w0 = new double[d];
        for (int i = 0; i < d; i++) { w[i] = rng.NextDouble() - 0.5; s[i] = 0.01 + rng.NextDouble(); w0[i] = rng.NextDouble() - 0.5; }
        double lambda = 0.3, sum = 0, sp = Math.Sqrt(lambda);
        for (int i = 0; i < d; i++)
            sum += Math.Log(sp / s[i]) + (s[i] * s[i] + (w[i] - w0[i]) * (w[i] - w0[i])) / (2 * lambda) - 0.5;
        Assert.Equal(sum, GaussianKl.Of(w, s, w0, lambda), 9);
        var same = Enumerable.Repeat(sp, d).ToArray();
        Assert.Equal(0, GaussianKl.Of(w0, same, w0, lambda), 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianKl.Of(w, s, w0, 0));
    }

    [Fact]
    public void LambdaGridRoundTripsAndUnionWeightsSumToOne()
    {
        var g = new LambdaGrid(0.1, 100);
        Assert.Equal(0.1 * Math.Exp(-0.37), g.Lambda(37), 15);
        Assert.Equal(37, g.ContinuousIndex(g.Lambda(37)), 9);
        Assert.Equal([37, 38], g.Neighbours(0.1 * Math.Exp(-0.375)));
        Assert.Equal([1], g.Neighbours(5.0)); // above the grid: clamped to j = 1
        // sum_j exp(-cost_j) = sum_j 6/(pi^2 j^2) -> 1 (tail after J is about 6/(pi^2 J))
        double total = 0; int jmax = 1_000_000;
        for (int j = 1; j <= jmax; j++) total += Math.Exp(-LambdaGrid.UnionCost(j));
        Assert.InRange(1 - total, 0, 6 / (Math.PI * Math.PI * jmax) * 1.01);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LambdaGrid(0.1, 100, maxJ: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LambdaGrid(0, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LambdaGrid(0.1, -1));
    }

    /// <summary>P[Bin(m, p) &lt;= k] by summing the probabilities (log-space binomial coefficients).</summary>
    private static double BinomialLowerTail(int m, double p, int k)
    {
        double total = 0, logC = 0;
        for (int i = 0; i <= k; i++)
        {
            if (i > 0) logC += Math.Log(m - i + 1) - Math.Log(i);
            total += Math.Exp(logC + i * Math.Log(p) + (m - i) * Math.Log(1 - p));
        }
        return total;
    }

    [Theory]
    [InlineData(100, 0, 0.01)]
    [InlineData(200, 7, 0.01)]
    [InlineData(1000, 30, 0.05)]
    [InlineData(500, 250, 0.1)]
    public void MonteCarloBoundDominatesExactBinomialInverse(int m, int k, double deltaPrime)
    {
        // Relation tested: Chernoff's P[Bin(m,p) <= k] <= exp(-m kl(k/m || p)) for p >= k/m, so at the
        // kl bound p_kl the exact tail is <= delta'/2, and the exact inverse p_exact = inf{p : tail <= delta'/2}
        // (found by bisection on the brute-force tail) is <= p_kl. The gap is Chernoff's slack (small, not zero).
        double pkl = SampleConvergence.Bound((double)k / m, m, deltaPrime);
        Assert.True(BinomialLowerTail(m, pkl, k) <= deltaPrime / 2);
        double lo = (double)k / m, hi = 1;
        for (int it = 0; it < 100; it++) { double mid = 0.5 * (lo + hi); if (BinomialLowerTail(m, mid, k) <= deltaPrime / 2) hi = mid; else lo = mid; }
        Assert.True(hi <= pkl, $"exact {hi} > kl bound {pkl}");
        Assert.True(pkl - hi < 0.5 * (pkl - (double)k / m), $"kl bound {pkl} far above the exact tail inverse {hi}");
    }

    [Fact]
    public void FinalBoundComposesItsTerms()
    {
        var g = new LambdaGrid(0.1, 100);
        var t = PacBayesKlBound.Compute(0.03, 5000, 600, g, 55000, 0.025);
        double budget = (5000 + Math.Log(Math.PI * Math.PI * 600 * 600 / 6) + Math.Log(2 * Math.Sqrt(55000) / 0.025)) / 55000;
        Assert.Equal(budget, t.Budget, 14);
        Assert.Equal(budget, BernoulliKl.Of(0.03, t.Bound), 9);
        Assert.True(t.Bound > 0.03 && t.Bound < 1);
        Assert.Equal(0.1 * Math.Exp(-6), t.Lambda, 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => PacBayesKlBound.Compute(0.03, 10, 1, g, 100, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PacBayesKlBound.Compute(0.03, 10, 1, g, 100, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PacBayesKlBound.Compute(0.03, double.NaN, 1, g, 100, 0.1));
    }
}
