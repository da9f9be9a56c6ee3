using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>
/// MeasureSuite on a digits CNN trained a few steps: per-layer norms, R, rho, the normalized margins and the bounds
/// of the operators, checked against explicit Toeplitz matrices built in the test and the formulas of THEORY.md by hand.
/// </summary>
public class ConvSuiteOperatorTests
{
    private const string Config = """
        seed: 3
        dtype: f64
        threads: 1
        model:
          input: [1, 8, 8]
          layers:
            - {type: conv2d, out_channels: 6, kernel: 3, padding: 1}
            - relu
            - {type: conv2d, out_channels: 4, kernel: 3, stride: 2, padding: 1}
            - relu
            - {type: dense, out: 10}
          init: {scheme: he}
        data: {train: {name: optdigits-train, scale: 0.0625}, subsample: 200}
        loss: {kind: cross_entropy}
        algorithm: {name: gd, eta: 0.2}
        stop: {steps: 40}
        probes: {every: 0, checkpoint_every: 0}
        """;

    private static void Close(double expected, double actual, double tol, string what)
        => Assert.True(Math.Abs(expected - actual) <= tol * Math.Abs(expected), $"{what}: {actual:R} vs {expected:R} (relative {Math.Abs(expected - actual) / Math.Abs(expected):G3})");

    [Fact]
    public void TrainedDigitsCnnIsMeasuredAsItsOperators()
    {
        var trainer = new Trainer<double>(TrainConfigYaml.Parse(Config));
        trainer.Run();
        var model = trainer.Model;
        var data = trainer.Train;
        var report = new MeasureSuite(new MeasureOptions { FullSvd = true, BoundMarginQuantile = 0.25 }).Compute(model, data);
        var v = report.Values;

        var c0 = (Conv2d<double>)model.Layers[0];
        var c1 = (Conv2d<double>)model.Layers[2];
        var dense = (Dense<double>)model.Layers[4];
        var m = new[]
        {
            ExplicitToeplitz.Conv(c0.Weight.Value.Span.ToArray(), 6, 1, 8, 8, 3, 1, 1),
            ExplicitToeplitz.Conv(c1.Weight.Value.Span.ToArray(), 4, 6, 8, 8, 3, 2, 1),
            Matrix<double>.Build.Dense(10, 64, (i, j) => dense.Weight.Value[i, j]),
        };
        var kernels = new[]
        {
            Matrix<double>.Build.Dense(6, 9, (i, j) => c0.Weight.Value.Span[i * 9 + j]),
            Matrix<double>.Build.Dense(4, 54, (i, j) => c1.Weight.Value.Span[i * 54 + j]),
            m[2],
        };
        var s = m.Select(ExplicitToeplitz.Spectral).ToArray();
        var f = m.Select(x => x.FrobeniusNorm()).ToArray();
        var b = m.Select(ExplicitToeplitz.RowSum21).ToArray();
        for (int k = 0; k < 3; k++)
        {
            Close(f[k], v[$"layer.{k}.frobenius"], 1e-12, $"layer {k} ||T||_F");
            Close(s[k], v[$"layer.{k}.spectral"], k < 2 ? 1e-12 : 1e-9, $"layer {k} ||T||_2"); // the dense layer's from its Gram spectrum
            Close(f[k] * f[k] / (s[k] * s[k]), v[$"layer.{k}.stable_rank"], 1e-9, $"layer {k} stable rank");
            var sv = m[k].Svd(false).S.ToArray();
            double sum = sv.Sum();
            Close(Math.Exp(-sv.Where(x => x > 0).Sum(x => x / sum * Math.Log(x / sum))), v[$"layer.{k}.effective_rank"], 1e-8, $"layer {k} effective rank");
            Assert.Equal(sv.Count(x => x > 1e-6 * sv[0]), (int)v[$"layer.{k}.numerical_rank"]);
        }
        // The kernel side beside it, for the conv layers only.
        for (int k = 0; k < 2; k++)
        {
            Close(kernels[k].FrobeniusNorm(), v[$"layer.{k}.kernel_frobenius"], 1e-12, $"layer {k} kernel ||w||_F");
            Close(ExplicitToeplitz.Spectral(kernels[k]), v[$"layer.{k}.kernel_spectral"], 1e-9, $"layer {k} kernel ||w||_2");
            // an interior output position with every tap valid makes the kernel matrix a submatrix of T
            Assert.True(s[k] >= v[$"layer.{k}.kernel_spectral"] * (1 - 1e-12), $"layer {k}: operator {s[k]} vs kernel {v[$"layer.{k}.kernel_spectral"]}");
        }
        Assert.False(v.ContainsKey("layer.2.kernel_frobenius"));

        // rho and R of THEORY.md sections 1 and 3 from the explicit matrices.
        double rho = f.Aggregate(1.0, (a, c) => a * c);
        double r = s.Aggregate(1.0, (a, c) => a * c) * Math.Pow(Enumerable.Range(0, 3).Sum(k => Math.Pow(b[k] / s[k], 2.0 / 3)), 1.5);
        Close(rho, v["rho"], 1e-12, "rho");
        Close(r, v["spectral_complexity"], 1e-9, "R");
        double ks0 = ExplicitToeplitz.Spectral(kernels[0]), ks1 = ExplicitToeplitz.Spectral(kernels[1]);
        double rk = ks0 * ks1 * s[2] * Math.Pow(Math.Pow(ExplicitToeplitz.RowSum21(kernels[0]) / ks0, 2.0 / 3) + Math.Pow(ExplicitToeplitz.RowSum21(kernels[1]) / ks1, 2.0 / 3) + Math.Pow(b[2] / s[2], 2.0 / 3), 1.5);
        Close(kernels[0].FrobeniusNorm() * kernels[1].FrobeniusNorm() * f[2], v["rho_kernel"], 1e-12, "rho_kernel");
        Close(rk, v["spectral_complexity_kernel"], 1e-8, "R kernel");

        // Margins and bounds by hand: z = f(x), margin z_y - max_{j != y} z_j.
        int n = data.N;
        var z = model.Predict(Gradscope.Tensors.Tensor<double>.From(data.X, n, 1, 8, 8));
        var margins = Enumerable.Range(0, n).Select(i => z[i, data.Y[i]] - Enumerable.Range(0, 10).Where(j => j != data.Y[i]).Max(j => z[i, j])).ToArray();
        var sorted = margins.Order().ToArray();
        double Quantile(double q)
        {
            double pos = q * (n - 1);
            int lo = (int)pos;
            return sorted[lo] + (pos - lo) * (sorted[Math.Min(lo + 1, n - 1)] - sorted[lo]);
        }
        double gamma = Quantile(0.25);
        Assert.True(gamma > 0, $"gamma = {gamma}: train longer");
        Close(sorted[0] / rho, v["gamma_min"], 1e-11, "gamma_min");
        var rows = Enumerable.Range(0, n).Select(i => data.X.AsSpan(i * 64, 64).ToArray()).ToArray();
        double xf = Math.Sqrt(data.X.Sum(x => x * x)), bx = rows.Max(x => Math.Sqrt(x.Sum(e => e * e)));
        Close(Quantile(0.5) / (r * xf / n), v["margin_spectral.q50"], 1e-9, "spectrally normalized median margin");
        double viol = margins.Count(x => x < gamma) / (double)n;
        int width = m.Max(x => Math.Max(x.RowCount, x.ColumnCount));
        Assert.Equal(384, width);
        Close(BftBound.Theorem11(viol, s, b, xf, gamma, n, width, 0.05), v["bound.bft"], 1e-9, "BFT");
        Close(viol + 8.0 / n + 72 * xf * r * Math.Log(2.0 * width) * Math.Log(n) / (gamma * n) + 3 * Math.Sqrt(Math.Log(20) / (2.0 * n)), v["bound.bft_fixed_norms"], 1e-9, "BFT fixed norms");
        double grs = bx * (Math.Sqrt(2 * 3 * Math.Log(2)) + 1) / (Math.Sqrt(n) * gamma);
        Close(grs * rho, v["bound.frobenius_product"], 1e-11, "Frobenius product bound");
        Close(grs * rho, v["bound.conv_dense_equivalent"], 1e-11, "conv dense-equivalent bound");
        Close(grs * kernels[0].FrobeniusNorm() * kernels[1].FrobeniusNorm() * f[2], v["bound.conv_kernel_norm"], 1e-11, "conv kernel-norm bound");
        Close(f[0] * f[1] / (kernels[0].FrobeniusNorm() * kernels[1].FrobeniusNorm()), v["bound.conv_ratio"], 1e-11, "conv ratio");
        // Balance stays on the parameters (the quantity gradient flow conserves); alignment of the operators.
        Close(kernels[1].FrobeniusNorm() * kernels[1].FrobeniusNorm() - kernels[0].FrobeniusNorm() * kernels[0].FrobeniusNorm(), v["layer.0.balance"], 1e-11, "balance");
        var u0 = m[0].Svd(true).U.Column(0);
        var v1 = m[1].Svd(true).VT.Row(0);
        Close(Math.Abs(u0.DotProduct(v1)), v["layer.0.alignment"], 1e-4, "alignment of T_1 and T_2");
    }

    [Fact]
    public void LocallyConnectedNetIsMeasuredAsItsOperator()
    {
        var lc = new LocallyConnected2d<double>([2, 6, 5], 3, 3, 2, 1);
        var m = new Sequential<double>([2, 6, 5], lc, new Relu<double>(), new Dense<double>(3 * 3 * 3, 2));
        Init.Apply(m, InitScheme.He, new Gradscope.Tensors.Rng(6));
        var rng = new Gradscope.Tensors.Rng(7);
        var data = new Gradscope.Data.Dataset("lc", Enumerable.Range(0, 6 * 60).Select(_ => rng.NextNormal()).ToArray(), [0, 1, 0, 1, 0, 1], [2, 6, 5], 2);
        var v = new MeasureSuite(new MeasureOptions { FullSvd = true }).Compute(m, data).Values;
        var w = lc.Weight.Value.Span.ToArray();
        var t = ExplicitToeplitz.Local(w, 3, 2, 6, 5, 3, 2, 1);
        var wd = m.Weights[1].Value;
        var d = Matrix<double>.Build.Dense(2, 27, (i, j) => wd[i, j]);
        double st = ExplicitToeplitz.Spectral(t), sd = ExplicitToeplitz.Spectral(d);
        Close(t.FrobeniusNorm(), v["layer.0.frobenius"], 1e-12, "||T||_F");
        Close(st, v["layer.0.spectral"], 1e-12, "||T||_2");
        Close(Math.Sqrt(w.Sum(x => x * x)), v["layer.0.kernel_frobenius"], 1e-12, "kernel ||w||_F (every weight, padded taps included)");
        Close(t.FrobeniusNorm() * d.FrobeniusNorm(), v["rho"], 1e-12, "rho");
        double r = st * sd * Math.Pow(Math.Pow(ExplicitToeplitz.RowSum21(t) / st, 2.0 / 3) + Math.Pow(ExplicitToeplitz.RowSum21(d) / sd, 2.0 / 3), 1.5);
        Close(r, v["spectral_complexity"], 1e-9, "R");
        Assert.Equal(t.Rank(), (int)v["layer.0.numerical_rank"]);
    }

    [Fact]
    public void DenseNetReportsNoKernelSideAndSaysWhy()
    {
        var m = new Sequential<double>([3], new Dense<double>(3, 4), new Relu<double>(), new Dense<double>(4, 2));
        Init.Apply(m, InitScheme.He, new Gradscope.Tensors.Rng(2));
        var data = new Gradscope.Data.Dataset("d", [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], [0, 1, 0, 1], [3], 2);
        var r = new MeasureSuite().Compute(m, data);
        Assert.DoesNotContain(r.Values.Keys, k => k.Contains("kernel"));
        Assert.Contains(r.Omitted, o => o.Key.Contains("rho_kernel") && o.Reason.Contains("no conv"));
    }

    [Fact]
    public void LargeOperatorHasNormsButNoExplicitSpectrum()
    {
        // (8 x 64 x 64) x 4096 = 32768 x 4096 operator: norms without forming it, ranks omitted with the reason
        var conv = new Conv2d<double>(1, 8, 3, 1, 1);
        var m = new Sequential<double>([1, 64, 64], conv, new Relu<double>(), new Dense<double>(8 * 64 * 64, 2));
        Init.Apply(m, InitScheme.He, new Gradscope.Tensors.Rng(4));
        var rng = new Gradscope.Tensors.Rng(5);
        var data = new Gradscope.Data.Dataset("big", Enumerable.Range(0, 2 * 4096).Select(_ => rng.NextNormal()).ToArray(), [0, 1], [1, 64, 64], 2);
        var r = new MeasureSuite(new MeasureOptions { FullSvd = true, NeuralCollapse = false, OperatorTolerance = 1e-6 }).Compute(m, data);
        Assert.Contains(r.Omitted, o => o.Key == "layer.0.effective_rank" && o.Reason.Contains("32768 x 4096"));
        Assert.True(r.Values.ContainsKey("layer.0.stable_rank"));
        // ||T||_F^2 = sum_taps ||w_tap||^2 n_H(u) n_W(v) with n = 63 for the border taps and 64 for the centre
        var w = conv.Weight.Value.Span.ToArray();
        double f2 = 0;
        for (int o = 0; o < 8; o++)
            for (int u = 0; u < 3; u++)
                for (int q = 0; q < 3; q++) f2 += w[(o * 3 + u) * 3 + q] * w[(o * 3 + u) * 3 + q] * (u == 1 ? 64 : 63) * (q == 1 ? 64 : 63);
        Close(Math.Sqrt(f2), r.Values["layer.0.frobenius"], 1e-12, "||T||_F");
    }
}
