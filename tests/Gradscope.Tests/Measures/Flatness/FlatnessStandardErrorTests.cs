using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Measures.Flatness;
using Gradscope.Measures.Registry;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures.Flatness;

/// <summary>
/// The standard error of the Monte Carlo estimate that decides sigma' (Jiang et al. 2020's PAC-Bayes flatness): checked
/// against the sample standard deviation of the same draws regenerated in the test (the documented draw order: draw s,
/// then parameter i) and evaluated by the test's own closed form or forward pass; and its 1/sqrt(S) decay against the
/// closed-form standard deviation of the quadratic's perturbed value.
/// </summary>
public class FlatnessStandardErrorTests
{
    private static (double[] H, double[] C) Problem(int d, ulong seed)
    {
        var rng = new Rng(seed);
        var h = new double[d]; var c = new double[d];
        for (int i = 0; i < d; i++) { h[i] = 0.5 + rng.NextDouble(); c[i] = rng.NextNormal(); }
        return (h, c);
    }

    /// <summary>Welford's one-pass mean and variance (a different route from the two-pass sums of the code).</summary>
    private static (double Mean, double StandardError) Welford(IReadOnlyList<double> x)
    {
        double mean = 0, m2 = 0;
        for (int k = 0; k < x.Count; k++)
        {
            double d = x[k] - mean;
            mean += d / (k + 1);
            m2 += d * (x[k] - mean);
        }
        return (mean, Math.Sqrt(m2 / (x.Count - 1)) / Math.Sqrt(x.Count));
    }

    /// <summary>Records every criterion value it returns, so the test can check that the draws it regenerates were the ones evaluated.</summary>
    private sealed class Recording(IPerturbationObjective inner) : IPerturbationObjective
    {
        public List<double> Values { get; } = [];
        public int Dimension => inner.Dimension;
        public double Criterion(ReadOnlySpan<double> w) { double v = inner.Criterion(w); Values.Add(v); return v; }
        public double LossAndGradient(ReadOnlySpan<double> w, Span<double> gradient) => inner.LossAndGradient(w, gradient);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StandardErrorIsTheSampleDeviationOfTheSameDrawsOverSqrtS(bool magnitudeAware)
    {
        var (h, c) = Problem(30, 12);
        var o = new FlatnessOptions { Deviation = 0.2, MonteCarloSamples = 9, Seed = 77 };
        var f = new Recording(new DiagonalQuadratic(h, c));
        var r = FlatnessSearch.PacBayesSigma(f, c, o, magnitudeAware);
        Assert.True(r.Found);
        var at = r.AtScale!.Value;
        Assert.Equal(9, at.Samples);

        // Regenerate the 9 draws at sigma' and evaluate 0.5 sum_i h_i u_i^2 directly.
        var rng = new Rng(o.Seed);
        var crit = new List<double>();
        for (int s = 0; s < o.MonteCarloSamples; s++)
        {
            double v = 0;
            for (int i = 0; i < c.Length; i++)
            {
                double sd = magnitudeAware ? Math.Sqrt(r.Scale * r.Scale * c[i] * c[i] + o.MagnitudeEpsilon * o.MagnitudeEpsilon) : r.Scale;
                double u = c[i] + sd * rng.NextNormal() - c[i];
                v += 0.5 * h[i] * u * u;
            }
            crit.Add(v);
        }
        // They are the values the search evaluated (9 consecutive criterion calls), to round-off in the perturbation.
        int hits = Enumerable.Range(0, f.Values.Count - crit.Count + 1).Count(start => crit.Select((v, k) => Math.Abs(f.Values[start + k] - v) <= 1e-12 * Math.Abs(v)).All(b => b));
        Assert.True(hits >= 1, "the regenerated draws are not among the evaluated ones");
        var (mean, se) = Welford(crit);
        Assert.Equal(mean, at.Mean, 1e-12 * mean);
        Assert.Equal(se, at.StandardError, 1e-9 * se);
        Assert.True(se > 0);
        Assert.Equal(Math.Abs(at.Mean - 0), r.Deviation, 1e-15); // the baseline criterion at the center is 0
    }

    [Fact]
    public void StandardErrorShrinksAsOneOverSqrtSAndMatchesTheClosedFormDeviation()
    {
        // crit(c + sigma z) = 0.5 sigma^2 sum_i h_i z_i^2: standard deviation sigma^2 sqrt(sum_i h_i^2 / 2) per draw.
        var (h, c) = Problem(50, 4);
        double perDraw = Math.Sqrt(h.Sum(x => x * x) / 2);
        var se = new Dictionary<int, double>();
        foreach (int s in new[] { 100, 400, 1600 })
        {
            var o = new FlatnessOptions { Deviation = 0.1, MonteCarloSamples = s, Seed = 3, BisectionSteps = 16 };
            var r = FlatnessSearch.PacBayesSigma(new DiagonalQuadratic(h, c), c, o, magnitudeAware: false);
            var at = r.AtScale!.Value;
            se[s] = at.StandardError;
            double normalized = at.StandardError * Math.Sqrt(s) / (r.Scale * r.Scale);
            // The sample standard deviation of S draws is within a few 1/sqrt(2(S - 1)) of the truth (7%, 3.5%, 1.8%).
            Assert.True(Math.Abs(normalized / perDraw - 1) < 4 / Math.Sqrt(2.0 * (s - 1)), $"S = {s}: sqrt(S) se / sigma'^2 = {normalized}, closed form {perDraw}");
        }
        Assert.InRange(se[100] / se[400], 1.7, 2.3);
        Assert.InRange(se[400] / se[1600], 1.85, 2.15);
    }

    [Fact]
    public void SharpnessHasNoMonteCarloEstimate()
    {
        var (h, c) = Problem(10, 2);
        var r = FlatnessSearch.SharpnessAlpha(new DiagonalQuadratic(h, c), c, new FlatnessOptions(), magnitudeAware: false);
        Assert.True(r.Found);
        Assert.Null(r.AtScale);
    }

    [Fact]
    public void RegistryKeysAreTheMeanAndStandardErrorOfTheNetsPerturbedErrorsByAHandForwardPass()
    {
        var net = MeasureTestNets.Mlp([4, 6, 3], bias: false, seed: 13);
        var data = MeasureTestNets.Gaussian(45, 4, 3, 6);
        const int S = 7;
        var options = new MeasureOptions { Flatness = new FlatnessOptions { Seed = 9, MonteCarloSamples = S, BisectionSteps = 10 } };
        var report = MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: options), MeasureRegistry.Select(["flatness.*", "train_error"]));
        var v = report.Values;
        foreach (var key in new[] { "flatness.sigma_perturbed_error", "flatness.sigma_perturbed_error_stderr", "flatness.sigma_mag_perturbed_error", "flatness.sigma_mag_perturbed_error_stderr" })
            Assert.True(v.ContainsKey(key), key);

        // The flat parameters: W1 (6 x 4) and W2 (3 x 6), row-major, at the offsets the net lays them out.
        var w = net.Flat.ToArray();
        int o1 = net.NamedParameters[0].Offset, o2 = net.NamedParameters[1].Offset;
        double Error(double[] p)
        {
            int wrong = 0;
            for (int i = 0; i < data.N; i++)
            {
                var x = data.Row(i);
                var hdn = new double[6];
                for (int r = 0; r < 6; r++) { double s = 0; for (int q = 0; q < 4; q++) s += p[o1 + r * 4 + q] * x[q]; hdn[r] = Math.Max(0, s); }
                int best = 0; double bz = double.NegativeInfinity;
                for (int r = 0; r < 3; r++) { double s = 0; for (int q = 0; q < 6; q++) s += p[o2 + r * 6 + q] * hdn[q]; if (s > bz) { bz = s; best = r; } }
                if (best != data.Y[i]) wrong++;
            }
            return (double)wrong / data.N;
        }
        Assert.Equal(v["train_error"], Error(w), 12);
        foreach (var (prefix, mag) in new[] { ("flatness.sigma", false), ("flatness.sigma_mag", true) })
        {
            double sigma = v[prefix];
            var rng = new Rng(9);
            var errs = new List<double>();
            for (int s = 0; s < S; s++)
            {
                var x = new double[w.Length];
                for (int i = 0; i < w.Length; i++) x[i] = w[i] + (mag ? Math.Sqrt(sigma * sigma * w[i] * w[i] + 1e-3 * 1e-3) : sigma) * rng.NextNormal();
                errs.Add(Error(x));
            }
            var (mean, se) = Welford(errs);
            Assert.Equal(mean, v[prefix + "_perturbed_error"], 12);
            Assert.Equal(se, v[prefix + "_perturbed_error_stderr"], 12);
            Assert.True(Math.Abs(mean - v["train_error"]) <= 0.1 + 1e-12);
        }
    }
}
