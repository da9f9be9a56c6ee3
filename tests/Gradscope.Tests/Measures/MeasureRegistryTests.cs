using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Gradscope.Nn;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>
/// The registry: the key set MeasureSuite writes (pinned for a dense and a conv net), values against independent
/// computations, selection by glob, specific not-applicable reasons, and one key per quantity.
/// </summary>
public class MeasureRegistryTests
{
    private static readonly MeasureOptions Probe = new() { FullSvd = true, MarginQuantiles = [0.1, 0.5] };

    private static string[] Layer(int k, params string[] names) => names.Select(n => $"layer.{k}.{n}").ToArray();

    private static readonly string[] Network =
    [
        "n_params", "depth", "spectral_product", "rho", "spectral_complexity", "train_error",
        "margin.min", "margin.q10", "margin.q50", "margin.mean", "input_frobenius", "input_max_norm", "bft_scale",
        "gamma_min", "margin_rho.mean", "margin_rho.q10", "margin_rho.q50", "margin_spectral.mean", "margin_spectral.q10", "margin_spectral.q50",
        "bound.vc", "bound.bft", "bound.bft_fixed_norms", "bound.frobenius_product", "nc1", "nc2_equinorm", "nc2_equiangularity", "nc3", "nc4",
        "jiang.param_norm", "jiang.log_prod_of_spec", "jiang.log_prod_of_spec_over_margin", "jiang.log_spec_orig_main", "jiang.fro_over_spec",
        "jiang.log_sum_of_spec_over_margin", "jiang.log_sum_of_spec", "jiang.log_prod_of_fro_over_margin", "jiang.log_prod_of_fro",
        "jiang.log_sum_of_fro_over_margin", "jiang.log_sum_of_fro",
    ];

    private static readonly string[] PerLayer = ["frobenius", "spectral", "norm21", "stable_rank", "effective_rank", "numerical_rank"];

    // A separable 3-class set: class c has its mass on coordinate c, so a net with positive diagonal weights fits it.
    private static Dataset Separable(int n, int d)
    {
        var rng = new Rng(5);
        var x = new double[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 3;
            for (int j = 0; j < d; j++) x[i * d + j] = 0.1 * rng.NextNormal();
            x[i * d + y[i]] += 3;
        }
        return new Dataset("separable", x, y, [d], 3);
    }

    private static Sequential<double> FittingMlp()
    {
        // 4 -> 5 -> 3, bias-free ReLU: W1 copies the first three coordinates (plus noise), W2 reads them out.
        var m = MeasureTestNets.Mlp([4, 5, 3], bias: false, seed: 2);
        var w1 = (Dense<double>)m.Layers[0];
        var w2 = (Dense<double>)m.Layers[2];
        var rng = new Rng(8);
        for (int i = 0; i < 5; i++) for (int j = 0; j < 4; j++) w1.Weight.Value[i, j] = (i == j && i < 3 ? 2 : 0) + 0.05 * rng.NextNormal();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) w2.Weight.Value[i, j] = (i == j ? 1.5 : 0) + 0.05 * rng.NextNormal();
        return m;
    }

    [Fact]
    public void DenseNetKeySetIsPinnedAndValuesMatchIndependentComputations()
    {
        var net = FittingMlp();
        var data = Separable(30, 4);
        var r = new MeasureSuite(Probe).Compute(net, data);
        var expected = Network.Concat(Layer(0, PerLayer)).Concat(Layer(1, PerLayer)).Concat(["layer.0.balance", "layer.0.alignment", "path_norm"]).Order(StringComparer.Ordinal);
        Assert.Equal(expected, r.Values.Keys.Order(StringComparer.Ordinal));

        // Independent: explicit matrices, MathNet SVD, a hand-written forward pass.
        var w = new[] { ((Dense<double>)net.Layers[0]).Weight.Value, ((Dense<double>)net.Layers[2]).Weight.Value };
        var m = w.Select(t => Matrix<double>.Build.Dense(t.Shape[0], t.Shape[1], (i, j) => t[i, j])).ToArray();
        double rho = 1;
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(m[k].FrobeniusNorm(), r.Values[$"layer.{k}.frobenius"], 12);
            Assert.Equal(m[k].Svd(false).S[0], r.Values[$"layer.{k}.spectral"], 9);
            rho *= m[k].FrobeniusNorm();
        }
        Assert.Equal(rho, r.Values["rho"], 10);
        var margins = new double[data.N];
        int wrong = 0;
        for (int i = 0; i < data.N; i++)
        {
            var x = Vector<double>.Build.Dense(data.Row(i).ToArray());
            var z = m[1] * (m[0] * x).PointwiseMaximum(0);
            int y = data.Y[i];
            double other = Enumerable.Range(0, 3).Where(c => c != y).Max(c => z[c]);
            margins[i] = z[y] - other;
            if (z.MaximumIndex() != y) wrong++;
        }
        Assert.Equal(margins.Min(), r.Values["margin.min"], 10);
        Assert.Equal(margins.Min() / rho, r.Values["gamma_min"], 10);
        Assert.Equal(margins.Average(), r.Values["margin.mean"], 10);
        Assert.Equal((double)wrong / data.N, r.Values["train_error"]);
        Assert.Equal(net.ParameterCount, r.Values["n_params"]);
        Assert.Equal(m[1].FrobeniusNorm() * m[1].FrobeniusNorm() - m[0].FrobeniusNorm() * m[0].FrobeniusNorm(), r.Values["layer.0.balance"], 10);
    }

    [Fact]
    public void ConvNetKeySetIsPinnedWithTheKernelSideBesideTheOperators()
    {
        var net = new Sequential<double>([1, 6, 6], [new Conv2d<double>(1, 3, 3, 1, 1), new Relu<double>(), new Conv2d<double>(3, 2, 3, 2, 1), new Relu<double>(), new Flatten<double>(), new Dense<double>(18, 3)]);
        Init.Apply(net, InitScheme.He, new Rng(4));
        var data = MeasureTestNets.Gaussian(24, 36, 3, 6);
        var r = new MeasureSuite(Probe with { MarginQuantiles = [0.5] }).Compute(net, data);
        var kernel = new[] { "kernel_frobenius", "kernel_spectral", "kernel_norm21", "kernel_stable_rank", "kernel_effective_rank", "kernel_numerical_rank" };
        var keys = new HashSet<string>(r.Values.Keys);
        foreach (int k in new[] { 0, 1, 2 }) foreach (var n in PerLayer) Assert.Contains($"layer.{k}.{n}", keys);
        foreach (int k in new[] { 0, 1 }) foreach (var n in kernel) Assert.Contains($"layer.{k}.{n}", keys);
        foreach (var n in kernel) Assert.DoesNotContain($"layer.2.{n}", keys);
        foreach (var n in new[] { "rho_kernel", "spectral_complexity_kernel", "layer.0.balance", "layer.1.balance", "layer.0.alignment", "layer.1.alignment" })
            Assert.Contains(n, keys);
        Assert.DoesNotContain("path_norm", keys);
        Assert.Contains(r.Omitted, o => o.Key == "path_norm" && o.Reason.Contains("dense nets"));
        // Every value is under a registry key.
        foreach (var key in keys) Assert.NotNull(MeasureRegistry.Find(key));

        // The operators against explicit Toeplitz matrices; rho = their Frobenius product.
        var c0 = (Conv2d<double>)net.Layers[0];
        var c1 = (Conv2d<double>)net.Layers[2];
        var t0 = ExplicitToeplitz.Conv(c0.Weight.Value.Span.ToArray(), 3, 1, 6, 6, 3, 1, 1);
        var t1 = ExplicitToeplitz.Conv(c1.Weight.Value.Span.ToArray(), 2, 3, 6, 6, 3, 2, 1);
        var d = ((Dense<double>)net.Layers[5]).Weight.Value;
        double dFro = Math.Sqrt(d.Span.ToArray().Sum(x => x * x));
        Assert.Equal(t0.FrobeniusNorm(), r.Values["layer.0.frobenius"], 12);
        Assert.Equal(t1.FrobeniusNorm(), r.Values["layer.1.frobenius"], 12);
        Assert.Equal(t0.FrobeniusNorm() * t1.FrobeniusNorm() * dFro, r.Values["rho"], 10);
        Assert.Equal(Math.Sqrt(c0.Weight.Value.Span.ToArray().Sum(x => x * x)), r.Values["layer.0.kernel_frobenius"], 12);
    }

    [Fact]
    public void EveryRegistryKeyIsUniqueAndDescribed()
    {
        var keys = MeasureRegistry.All.Select(m => m.Info.Key).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        foreach (var m in MeasureRegistry.All)
        {
            Assert.Matches("^[a-z0-9_.{}]+$", m.Info.Key);
            Assert.False(string.IsNullOrWhiteSpace(m.Info.Formula), m.Info.Key);
            Assert.Matches("^[1235]$", m.Info.Section);
        }
    }

    [Fact]
    public void SelectTakesKeysPatternsAndGlobsAndNamesUnknownOnes()
    {
        Assert.Equal(["bound.vc", "bound.bft", "bound.bft_fixed_norms", "bound.frobenius_product", "bound.conv_kernel_norm", "bound.conv_dense_equivalent", "bound.conv_ratio"],
            MeasureRegistry.Select(["bound.*"]).Select(m => m.Info.Key));
        Assert.Equal(["layer.{k}.spectral"], MeasureRegistry.Select(["layer.*.spectral"]).Select(m => m.Info.Key));
        Assert.Equal(["layer.{k}.spectral"], MeasureRegistry.Select(["layer.3.spectral"]).Select(m => m.Info.Key));
        Assert.Equal(["margin.q{q}"], MeasureRegistry.Select(["margin.q50"]).Select(m => m.Info.Key));
        Assert.Equal(MeasureRegistry.All.Count, MeasureRegistry.Select(["*"]).Count);
        var e = Assert.Throws<ArgumentException>(() => MeasureRegistry.Select(["bound.nope"]));
        Assert.Contains("'bound.nope'", e.Message);
        Assert.Contains("bound.vc", e.Message); // a suggestion
    }

    [Fact]
    public void SelectedComputeKeepsOnlyTheSelectedKeys()
    {
        var net = FittingMlp();
        var data = Separable(12, 4);
        var ctx = new MeasureContext<double>(net, data);
        var r = MeasureRegistry.Compute(ctx, MeasureRegistry.Select(["layer.1.spectral", "rho"]), k => MeasureRegistry.Selects(["layer.1.spectral", "rho"], k));
        Assert.Equal(["layer.1.spectral", "rho"], r.Values.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NotApplicableReasonsAreSpecific()
    {
        // Batch norm: homogeneity-needing measures name the batch-norm layer.
        var bn = new Sequential<double>([4], [new Dense<double>(4, 5), new BatchNorm<double>(5), new Relu<double>(), new Dense<double>(5, 3)]);
        Init.Apply(bn, InitScheme.He, new Rng(1));
        var data = Separable(12, 4);
        var ctx = new MeasureContext<double>(bn, data);
        foreach (var key in new[] { "bound.bft", "rho", "gamma_min", "path_norm" })
        {
            string? why = MeasureRegistry.Find(key)!.NotApplicable(ctx);
            Assert.NotNull(why);
            Assert.Contains("layer 1 (BatchNorm) is batch norm", why);
        }
        // A conv measure on a dense net says the net has no conv layers.
        var dense = new MeasureContext<double>(FittingMlp(), data);
        Assert.Contains("no conv", MeasureRegistry.Find("bound.conv_ratio")!.NotApplicable(dense));
        Assert.Contains("no conv", MeasureRegistry.Find("layer.0.kernel_spectral")!.NotApplicable(dense));
        Assert.Contains("no test set", MeasureRegistry.Find("test_error")!.NotApplicable(dense));
        // A binary net has no neural collapse.
        var binary = new MeasureContext<double>(MeasureTestNets.Mlp([4, 3, 1], false, 3), MeasureTestNets.Gaussian(10, 4, 2, 1));
        Assert.Contains("binary net", MeasureRegistry.Find("nc1")!.NotApplicable(binary));
    }

    [Fact]
    public void DeepLinearEndToEndAndMaxMarginAreRegistryMeasures()
    {
        // 2 -> 2 -> 1 linear net w = W2 W1 on a set separable through the origin: SVM direction by brute force over angles.
        var net = MeasureTestNets.Mlp([2, 2, 1], bias: false, seed: 1, linear: true);
        var w1 = (Dense<double>)net.Layers[0]; var w2 = (Dense<double>)net.Layers[2];
        w1.Weight.Value[0, 0] = 1; w1.Weight.Value[0, 1] = 0.2; w1.Weight.Value[1, 0] = 0; w1.Weight.Value[1, 1] = 1;
        w2.Weight.Value[0, 0] = 1; w2.Weight.Value[0, 1] = 0.5;
        var x = new double[] { 2, 1, 1, 2, -2, -0.5, -1, -2.5 };
        var data = new Dataset("sep", x, [1, 1, 0, 0], [2], 2);
        var r = MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: new MeasureOptions { FitMaxMargin = true }), MeasureRegistry.Select(["end_to_end.norm", "distance_to_max_margin", "layer.*.balance_matrix"]));
        double[] e2e = [1 * 1 + 0.5 * 0, 1 * 0.2 + 0.5 * 1];
        Assert.Equal(Math.Sqrt(e2e[0] * e2e[0] + e2e[1] * e2e[1]), r.Values["end_to_end.norm"], 12);
        // Brute-force max-margin direction: maximize min_i y_i <u, x_i> over unit u.
        double best = double.NegativeInfinity, bestAngle = 0;
        for (int t = 0; t < 200000; t++)
        {
            double a = 2 * Math.PI * t / 200000, u0 = Math.Cos(a), u1 = Math.Sin(a);
            double m = Enumerable.Range(0, 4).Min(i => (data.Y[i] == 1 ? 1 : -1) * (u0 * x[2 * i] + u1 * x[2 * i + 1]));
            if (m > best) { best = m; bestAngle = a; }
        }
        double e2eAngle = Math.Atan2(e2e[1], e2e[0]);
        double expected = Math.Abs(Math.IEEERemainder(e2eAngle - bestAngle, 2 * Math.PI));
        Assert.Equal(expected, r.Values["distance_to_max_margin"], 4);
    }
}
