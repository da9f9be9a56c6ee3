using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Measures.Flatness;
using Gradscope.Measures.Registry;
using Gradscope.Nn;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures.Flatness;

/// <summary>
/// The registry's Jiang et al. 2020 norms, distances from initialization, WeightWatcher and flatness keys on a small dense
/// net against explicit MathNet matrices, a hand-written forward pass and the paper's formulas; their not-applicable
/// reasons; and that the flatness searches leave the net's parameters as they were.
/// </summary>
public class JiangMeasureTests
{
    // A separable 3-class set: class c has its mass on coordinate c.
    private static Dataset Separable(int n, int d)
    {
        var rng = new Rng(5);
        var x = new double[n * d]; var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 3;
            for (int j = 0; j < d; j++) x[i * d + j] = 0.1 * rng.NextNormal();
            x[i * d + y[i]] += 3;
        }
        return new Dataset("separable", x, y, [d], 3);
    }

    // 4 -> 6 -> 3 bias-free ReLU net that fits Separable; its "initialization" is another seeded net.
    private static (Sequential<double> Net, Sequential<double> Init) Nets()
    {
        var m = MeasureTestNets.Mlp([4, 6, 3], bias: false, seed: 2);
        var w1 = (Dense<double>)m.Layers[0]; var w2 = (Dense<double>)m.Layers[2];
        var rng = new Rng(8);
        for (int i = 0; i < 6; i++) for (int j = 0; j < 4; j++) w1.Weight.Value[i, j] = (i == j && i < 3 ? 2 : 0) + 0.05 * rng.NextNormal();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 6; j++) w2.Weight.Value[i, j] = (i == j ? 1.5 : 0) + 0.05 * rng.NextNormal();
        return (m, MeasureTestNets.Mlp([4, 6, 3], bias: false, seed: 9));
    }

    private static Matrix<double>[] Mats(Sequential<double> net) =>
        new[] { 0, 2 }.Select(l => ((Dense<double>)net.Layers[l]).Weight.Value).Select(t => Matrix<double>.Build.Dense(t.Shape[0], t.Shape[1], (i, j) => t[i, j])).ToArray();

    [Fact]
    public void NormsAndDistancesMatchExplicitMatrices()
    {
        var (net, init) = Nets();
        var data = Separable(40, 4);
        var report = MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: new MeasureOptions { FullSvd = true }, initial: init), MeasureRegistry.Select(["jiang.*", "layer.*.dist_init_*"]));
        var v = report.Values;
        var m = Mats(net); var m0 = Mats(init);
        double spec(Matrix<double> a) => a.Svd(false).S[0];
        var d = Enumerable.Range(0, 2).Select(k => m[k] - m0[k]).ToArray();
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(d[k].FrobeniusNorm(), v[$"layer.{k}.dist_init_frobenius"], 12);
            Assert.Equal(spec(d[k]), v[$"layer.{k}.dist_init_spectral"], 8);
        }
        Assert.Equal(d.Sum(x => Math.Pow(x.FrobeniusNorm(), 2)), v["jiang.frob_distance"], 11);
        Assert.Equal(d.Sum(x => Math.Pow(spec(x), 2)), v["jiang.dist_spec_init"], 8);
        Assert.Equal(m.Sum(x => Math.Pow(x.FrobeniusNorm(), 2)), v["jiang.param_norm"], 11);
        double lps = m.Sum(x => Math.Log(Math.Pow(spec(x), 2))), lpf = m.Sum(x => Math.Log(Math.Pow(x.FrobeniusNorm(), 2)));
        Assert.Equal(lps, v["jiang.log_prod_of_spec"], 8);
        Assert.Equal(lpf, v["jiang.log_prod_of_fro"], 11);
        double fos = m.Sum(x => Math.Pow(x.FrobeniusNorm() / spec(x), 2));
        Assert.Equal(fos, v["jiang.fro_over_spec"], 8);
        Assert.Equal(Math.Log(2) + lps / 2, v["jiang.log_sum_of_spec"], 8);
        Assert.Equal(Math.Log(2) + lpf / 2, v["jiang.log_sum_of_fro"], 11);

        // gamma: the 10th percentile (linear interpolation at (n - 1) 0.1) of the margins of a hand-written forward pass.
        var margins = new double[data.N];
        for (int i = 0; i < data.N; i++)
        {
            var z = m[1] * (m[0] * Vector<double>.Build.Dense(data.Row(i).ToArray())).PointwiseMaximum(0);
            margins[i] = z[data.Y[i]] - Enumerable.Range(0, 3).Where(c => c != data.Y[i]).Max(c => z[c]);
        }
        var sorted = margins.Order().ToArray();
        double h = (sorted.Length - 1) * 0.1; int lo = (int)h;
        double gamma = sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
        Assert.True(gamma > 0);
        Assert.Equal(lps - 2 * Math.Log(gamma), v["jiang.log_prod_of_spec_over_margin"], 8);
        Assert.Equal(lpf - 2 * Math.Log(gamma), v["jiang.log_prod_of_fro_over_margin"], 10);
        Assert.Equal(Math.Log(2) + (lps - 2 * Math.Log(gamma)) / 2, v["jiang.log_sum_of_spec_over_margin"], 8);
        Assert.Equal(Math.Log(2) + (lpf - 2 * Math.Log(gamma)) / 2, v["jiang.log_sum_of_fro_over_margin"], 10);
        Assert.Equal(lps - 2 * Math.Log(gamma) + Math.Log(fos), v["jiang.log_spec_orig_main"], 8);
        Assert.Equal(lps - 2 * Math.Log(gamma) + Math.Log(Enumerable.Range(0, 2).Sum(k => Math.Pow(d[k].FrobeniusNorm() / spec(m[k]), 2))), v["jiang.log_spec_init_main"], 8);
    }

    [Fact]
    public void InitialWeightsFromTheFlatOptionEqualThoseOfTheInitialNet()
    {
        var (net, init) = Nets();
        var data = Separable(30, 4);
        var flat = new MeasureOptions { InitialParameters = init.Flat.ToArray() };
        var a = MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: flat), MeasureRegistry.Select(["jiang.frob_distance"]));
        var b = MeasureRegistry.Compute(new MeasureContext<double>(net, data, initial: init), MeasureRegistry.Select(["jiang.frob_distance"]));
        Assert.Equal(b.Values["jiang.frob_distance"], a.Values["jiang.frob_distance"]);

        var none = MeasureRegistry.Compute(new MeasureContext<double>(net, data), MeasureRegistry.Select(["jiang.frob_distance", "jiang.pacbayes_init", "flatness.sigma"]));
        Assert.Contains(none.Omitted, o => o.Key == "jiang.frob_distance" && o.Reason.Contains("initialization"));
        Assert.Contains(none.Omitted, o => o.Key == "flatness.*" && o.Reason.Contains("opt-in"));
        var wrong = MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: new MeasureOptions { InitialParameters = [1.0, 2.0] }), MeasureRegistry.Select(["jiang.frob_distance"]));
        Assert.Contains(wrong.Omitted, o => o.Reason.Contains($"2 values but the net has {net.ParameterCount}"));
    }

    [Fact]
    public void FlatnessKeysFollowJiangsFormulasAndRestoreTheNet()
    {
        var (net, init) = Nets();
        var data = Separable(60, 4);
        var before = net.Flat.ToArray();
        var options = new MeasureOptions { Flatness = new FlatnessOptions { Seed = 4, MonteCarloSamples = 4, BisectionSteps = 12 } };
        IReadOnlyDictionary<string, double> Run() => MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: options, initial: init),
            MeasureRegistry.Select(["flatness.*", "jiang.pacbayes_*", "jiang.sharpness_*"])).Values;
        var v = Run();
        Assert.Equal(before, net.Flat);
        Assert.Equal(v, Run());

        double sigma = v["flatness.sigma"], alpha = v["flatness.alpha"], sm = v["flatness.sigma_mag"], am = v["flatness.alpha_mag"];
        foreach (double s in new[] { sigma, alpha, sm, am }) Assert.True(s > 0 && double.IsFinite(s));
        var w = before; var w0 = init.Flat.ToArray();
        double ww = w.Sum(x => x * x), dd = w.Select((x, i) => (x - w0[i]) * (x - w0[i])).Sum();
        int m = data.N, omega = w.Length;
        Assert.Equal(1 / (sigma * sigma), v["jiang.pacbayes_flatness"], 10);
        Assert.Equal(1 / (alpha * alpha), v["jiang.sharpness_flatness"], 10);
        Assert.Equal(1 / (sm * sm), v["jiang.pacbayes_mag_flatness"], 10);
        Assert.Equal(1 / (am * am), v["jiang.sharpness_mag_flatness"], 10);
        Assert.Equal(dd / (4 * sigma * sigma) + Math.Log(m / sigma) + 10, v["jiang.pacbayes_init"], 9);
        Assert.Equal(ww / (4 * sigma * sigma) + Math.Log(m / sigma) + 10, v["jiang.pacbayes_orig"], 9);
        Assert.Equal(dd * Math.Log(2.0 * omega) / (4 * alpha * alpha) + Math.Log(m / alpha) + 10, v["jiang.sharpness_init"], 9);
        Assert.Equal(ww * Math.Log(2.0 * omega) / (4 * alpha * alpha) + Math.Log(m / alpha) + 10, v["jiang.sharpness_orig"], 9);
        double eps = 1e-3;
        double Mag(double refNorm2) => 0.25 * w.Select((x, i) => Math.Log((eps * eps + (sm * sm + 1) * refNorm2 / omega) / (eps * eps + sm * sm * (x - w0[i]) * (x - w0[i])))).Sum() + Math.Log(m / sm) + 10;
        Assert.Equal(Mag(dd), v["jiang.pacbayes_mag_init"], 9);
        Assert.Equal(Mag(ww), v["jiang.pacbayes_mag_orig"], 9);
    }

    [Fact]
    public void WeightWatcherKeysAppearForLayersWithEnoughEigenvalues()
    {
        var net = MeasureTestNets.Mlp([12, 16, 3], bias: false, seed: 6);
        var data = MeasureTestNets.Gaussian(20, 12, 3, 2);
        var r = MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: new MeasureOptions { FullSvd = true }), MeasureRegistry.Select(["*ww_*"]));
        var w = Mats(net)[0];
        var eig = w.Svd(false).S.Select(s => s * s).ToArray();
        var fit = PowerLawFit.Fit(eig)!.Value;
        Assert.Equal(fit.Alpha, r.Values["layer.0.ww_alpha"], 8);
        Assert.Equal(fit.Alpha * Math.Log10(eig.Max()), r.Values["layer.0.ww_alpha_hat"], 8);
        Assert.Equal(r.Values["layer.0.ww_alpha"], r.Values["ww_alpha_mean"]);
        // Computed with every other measure (the fit then reuses the layer table's spectrum): the same value.
        var all = MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: new MeasureOptions { FullSvd = true }));
        Assert.Equal(fit.Alpha, all.Values["layer.0.ww_alpha"], 8);
        Assert.Equal(r.Values["layer.0.ww_alpha"], all.Values["layer.0.ww_alpha"]);
        // The 3 x 16 head has 3 eigenvalues: omitted with its shape.
        Assert.Contains(r.Omitted, o => o.Key == "layer.1.ww_alpha" && o.Reason.Contains("3 x 16"));
        var off = MeasureRegistry.Compute(new MeasureContext<double>(net, data), MeasureRegistry.Select(["ww_alpha_mean"]));
        Assert.Contains(off.Omitted, o => o.Reason.Contains("full spectrum"));
    }
}
