using Gradscope.Measures.Flatness;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures.Flatness;

/// <summary>
/// The sigma' and alpha' searches on L(w) = 0.5 (w - c)^T H (w - c), H diagonal, where they have closed forms:
/// E[L(c + u)] - L(c) = sigma^2 tr(H) / 2 (isotropic) or 0.5 sum_i h_i (sigma^2 c_i^2 + eps^2) (magnitude-aware), and the
/// worst case over the box |u_i| &lt;= r_i is the corner, 0.5 sum_i h_i r_i^2.
/// </summary>
public class FlatnessSearchTests
{
    private static (double[] H, double[] C) Problem(int d, ulong seed)
    {
        var rng = new Rng(seed);
        var h = new double[d]; var c = new double[d];
        for (int i = 0; i < d; i++) { h[i] = 0.5 + rng.NextDouble(); c[i] = rng.NextNormal(); }
        return (h, c);
    }

    [Fact]
    public void PacBayesSigmaRecoversSqrtTwoDeltaOverTraceH()
    {
        var (h, c) = Problem(4000, 3);
        var o = new FlatnessOptions { Deviation = 0.05, MonteCarloSamples = 20, Seed = 11 };
        var r = FlatnessSearch.PacBayesSigma(new DiagonalQuadratic(h, c), c, o, magnitudeAware: false);
        double expected = Math.Sqrt(2 * o.Deviation / h.Sum());
        // Monte Carlo: z^T H z / tr H has relative sd sqrt(2 sum h^2) / tr H ~ 0.017 per draw, ~0.004 over 20 draws (sigma: half that).
        Assert.True(Math.Abs(r.Scale / expected - 1) < 0.01, $"sigma' {r.Scale} vs closed form {expected}");
        Assert.True(r.Deviation <= o.Deviation);
    }

    [Fact]
    public void MagnitudeAwareSigmaRecoversItsClosedForm()
    {
        var (h, c) = Problem(4000, 4);
        var o = new FlatnessOptions { Deviation = 0.5, MonteCarloSamples = 20, Seed = 5, MagnitudeEpsilon = 1e-3 };
        var r = FlatnessSearch.PacBayesSigma(new DiagonalQuadratic(h, c), c, o, magnitudeAware: true);
        // 0.5 sum_i h_i (sigma^2 c_i^2 + eps^2) = delta
        double eps2 = o.MagnitudeEpsilon * o.MagnitudeEpsilon;
        double expected = Math.Sqrt((2 * o.Deviation - eps2 * h.Sum()) / h.Select((x, i) => x * c[i] * c[i]).Sum());
        Assert.True(Math.Abs(r.Scale / expected - 1) < 0.02, $"sigma'_mag {r.Scale} vs closed form {expected}");
    }

    [Fact]
    public void SharpnessAlphaIsTheBoxCornerClosedForm()
    {
        var (h, c) = Problem(60, 7);
        var o = new FlatnessOptions { Deviation = 0.1, Seed = 2 };
        var r = FlatnessSearch.SharpnessAlpha(new DiagonalQuadratic(h, c), c, o, magnitudeAware: false);
        // 0.5 alpha^2 tr H = delta at the corner the ascent reaches.
        double expected = Math.Sqrt(2 * o.Deviation / h.Sum());
        Assert.Equal(1.0, r.Scale / expected, 5);
    }

    [Fact]
    public void MagnitudeAwareSharpnessSolvesItsQuadratic()
    {
        var (h, c) = Problem(60, 8);
        var o = new FlatnessOptions { Deviation = 0.1, Seed = 3, MagnitudeEpsilon = 1e-3 };
        var r = FlatnessSearch.SharpnessAlpha(new DiagonalQuadratic(h, c), c, o, magnitudeAware: true);
        // 0.5 sum_i h_i (alpha |c_i| + eps)^2 = delta: a alpha^2 + b alpha + c0 = 0.
        double eps = o.MagnitudeEpsilon;
        double a = 0.5 * h.Select((x, i) => x * c[i] * c[i]).Sum(), b = h.Select((x, i) => x * Math.Abs(c[i]) * eps).Sum(), c0 = 0.5 * eps * eps * h.Sum() - o.Deviation;
        double expected = (-b + Math.Sqrt(b * b - 4 * a * c0)) / (2 * a);
        Assert.Equal(1.0, r.Scale / expected, 5);
    }

    [Fact]
    public void ScaleSearchBracketsDownAndUpAndReportsNoneWhenTheFloorAloneDeviates()
    {
        var o = new FlatnessOptions { Deviation = 1.0, BisectionSteps = 40 };
        // deviation(s) = s^2: the largest s with s^2 <= 1 is 1 (bracketing upwards from 1); with target 1e-6, 1e-3 (downwards).
        Assert.Equal(1.0, FlatnessSearch.Search(s => s * s, o).Scale, 9);
        Assert.Equal(1e-3, FlatnessSearch.Search(s => s * s, o with { Deviation = 1e-6 }).Scale, 12);
        Assert.Equal(1e5, FlatnessSearch.Search(s => s * s, o with { Deviation = 1e10 }).Scale, 3);
        var none = FlatnessSearch.Search(_ => 1.0, o with { Deviation = 0.5 });
        Assert.False(none.Found);
        // A NaN deviation (a diverged net) counts as too large, never as within the target.
        Assert.Equal(0.5, FlatnessSearch.Search(s => s > 0.5 ? double.NaN : 0, o).Scale, 9);
    }

    [Fact]
    public void SearchesAreDeterministicGivenTheSeed()
    {
        var (h, c) = Problem(200, 9);
        var f = new DiagonalQuadratic(h, c);
        var o = new FlatnessOptions { Deviation = 0.05, Seed = 21 };
        Assert.Equal(FlatnessSearch.PacBayesSigma(f, c, o, true).Scale, FlatnessSearch.PacBayesSigma(f, c, o, true).Scale);
        Assert.NotEqual(FlatnessSearch.PacBayesSigma(f, c, o, false).Scale, FlatnessSearch.PacBayesSigma(f, c, o with { Seed = 22 }, false).Scale);
    }

    [Fact]
    public void BadSettingsAreRefusedByName()
    {
        var f = new DiagonalQuadratic([1.0], [0.0]);
        var e = Assert.Throws<ArgumentException>(() => FlatnessSearch.PacBayesSigma(f, [0.0], new FlatnessOptions { Deviation = -1 }, false));
        Assert.Contains("deviation", e.Message);
        e = Assert.Throws<ArgumentException>(() => FlatnessSearch.SharpnessAlpha(f, [0.0], new FlatnessOptions { AscentSteps = 0 }, false));
        Assert.Contains("ascent steps", e.Message);
    }
}
