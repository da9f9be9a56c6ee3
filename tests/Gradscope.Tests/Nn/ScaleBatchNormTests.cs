using Gradscope.Autodiff;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Nn;

/// <summary>
/// Scale-only batch normalization y = x / sqrt(mean_batch x^2 + eps): forward against the formula computed by hand,
/// backward against central finite differences, and the positive homogeneity of a bias-free ReLU net built with it.
/// </summary>
public class ScaleBatchNormTests
{
    private static Node<double> Weighted(Tape<double> t, Node<double> y)
    {
        // a fixed non-uniform weighting, so that the summed output has a non-trivial gradient
        var w = new Tensor<double>(y.Value.Shape);
        for (int i = 0; i < w.Length; i++) w.Span[i] = Math.Sin(1.3 * i + 0.4);
        return t.Mul(y, t.Input(w, false));
    }

    [Theory]
    [InlineData(true, new[] { 6, 3 })]
    [InlineData(false, new[] { 6, 3 })]
    [InlineData(true, new[] { 3, 2, 2, 2 })]
    [InlineData(false, new[] { 3, 2, 2, 2 })]
    public void GradientMatchesFiniteDifferences(bool training, int[] shape)
    {
        var rng = new Rng(31);
        var x = GradCheck.Random(rng, 0.05, shape);
        var rms = Tensor<double>.From(Enumerable.Range(0, shape[1]).Select(i => 0.7 + 0.4 * i).ToArray(), shape[1]);
        // momentum 1: the running statistic is overwritten by the batch's own, so repeated evaluations see the same state
        double err = GradCheck.MaxRelativeError((t, l) => Weighted(t, t.ScaleBatchNorm(l[0], rms, training, 1.0, training ? 0 : 1e-3)), [x], 1e-5);
        Assert.True(err < 1e-6, $"relative error {err}");
    }

    [Fact]
    public void GradientWithEpsMatchesFiniteDifferences()
    {
        var rng = new Rng(32);
        var x = GradCheck.Random(rng, 0.05, 5, 4);
        var rms = Tensor<double>.From([1.0, 1, 1, 1], 4);
        double err = GradCheck.MaxRelativeError((t, l) => Weighted(t, t.ScaleBatchNorm(l[0], rms, true, 0.5, 0.3)), [x], 1e-5);
        Assert.True(err < 1e-6, $"relative error {err}");
    }

    [Fact]
    public void ForwardDividesEachChannelByItsRootMeanSquareAndUpdatesTheRunningStatistic()
    {
        var rng = new Rng(5);
        var x = GradCheck.Random(rng, 0, 4, 3);
        var rms = Tensor<double>.From([2.0, 2, 2], 3);
        var tape = new Tape<double>();
        var y = tape.ScaleBatchNorm(tape.Input(x, false), rms, training: true, momentum: 0.25, eps: 0.1).Value.Span;
        for (int c = 0; c < 3; c++)
        {
            double ms = 0;
            for (int b = 0; b < 4; b++) ms += x.Span[b * 3 + c] * x.Span[b * 3 + c];
            ms /= 4;
            for (int b = 0; b < 4; b++) Assert.Equal(x.Span[b * 3 + c] / Math.Sqrt(ms + 0.1), y[b * 3 + c], 13);
            Assert.Equal(0.75 * 2 + 0.25 * ms, rms.Span[c], 13);
        }
        // evaluation divides by sqrt(running + eps), per sample
        tape.Reset();
        var ye = tape.ScaleBatchNorm(tape.Input(x, false), rms, training: false, momentum: 0.25, eps: 0.1).Value.Span;
        for (int i = 0; i < x.Length; i++) Assert.Equal(x.Span[i] / Math.Sqrt(rms.Span[i % 3] + 0.1), ye[i], 13);
    }

    [Fact]
    public void ADeadChannelGivesZeroNotNaN()
    {
        var x = Tensor<double>.From([0.0, 1, 0, -2, 0, 3], 3, 2);
        var rms = Tensor<double>.From([1.0, 1], 2);
        var tape = new Tape<double>();
        var xn = tape.Input(x, true);
        var y = tape.ScaleBatchNorm(xn, rms, true, 1.0, 0);
        tape.Backward(Weighted(tape, y));
        Assert.All(y.Value.Span.ToArray(), v => Assert.True(double.IsFinite(v)));
        Assert.Equal(0, y.Value.Span[0]);
        Assert.All(xn.Grad!.Span.ToArray(), v => Assert.True(double.IsFinite(v)));
    }

    private static Sequential<double> Net(ulong seed)
    {
        var m = new Sequential<double>([4], new Dense<double>(4, 7), new ScaleBatchNorm<double>(7, momentum: 1.0), new Relu<double>(),
            new Dense<double>(7, 5), new ScaleBatchNorm<double>(5, momentum: 1.0), new Relu<double>(), new Dense<double>(5, 2));
        Init.Apply(m, InitScheme.He, new Rng(seed));
        return m;
    }

    private static double[] TrainingOutputs(Sequential<double> m, Tensor<double> x)
    {
        var tape = new Tape<double>();
        return m.Forward(tape, x, training: true).Value.Span.ToArray();
    }

    [Theory]
    [InlineData(0, 0.3)]
    [InlineData(3, 0.3)]
    [InlineData(6, 0.3)]
    [InlineData(0, 5.0)]
    [InlineData(3, 5.0)]
    [InlineData(6, 5.0)]
    public void TheNetIsPositivelyHomogeneousInEachLayersWeights(int layer, double a)
    {
        // f(x; a W_k) = a^(d_k) f(x; W): degree 0 for a layer a scale-only batch norm follows, degree 1 for the last layer
        var m = Net(8);
        var rng = new Rng(9);
        var x = GradCheck.Random(rng, 0, 10, 4);
        var f = TrainingOutputs(m, x);
        var w = m[$"{layer}.weight"].Value.Span;
        for (int i = 0; i < w.Length; i++) w[i] *= a;
        var g = TrainingOutputs(m, x);
        double degree = layer + 1 < m.Layers.Count && m.Layers[layer + 1] is ScaleBatchNorm<double> ? 0 : 1;
        double scale = Math.Pow(a, degree);
        for (int i = 0; i < f.Length; i++) Assert.Equal(scale * f[i], g[i], 1e-12 * (1 + Math.Abs(g[i])));
    }

    [Fact]
    public void TheFoldedNetReproducesTheBatchStatisticNetAndIsHomogeneousOfDegreeL()
    {
        // after a training pass with momentum 1 the running statistics are the batch's; the folded bias-free net
        // diag(1/s_k) W_k computes the same outputs and scales as a^3 when all folded weights scale by a
        var m = Net(12);
        var x = GradCheck.Random(new Rng(13), 0, 10, 4);
        var f = TrainingOutputs(m, x);
        var layers = FoldedNet.Layers(m);
        Assert.Equal(3, layers.Count);
        Assert.All(layers, l => Assert.Null(l.B));
        for (int s = 0; s < 10; s++)
        {
            double[] h = Enumerable.Range(0, 4).Select(c => x.Span[s * 4 + c]).ToArray();
            for (int k = 0; k < 3; k++)
            {
                var (w, _, rows, cols) = layers[k];
                var next = new double[rows];
                for (int r = 0; r < rows; r++)
                {
                    double v = 0;
                    for (int c = 0; c < cols; c++) v += w[r * cols + c] * h[c];
                    next[r] = k < 2 ? Math.Max(0, v) : v;
                }
                h = next;
            }
            for (int o = 0; o < 2; o++) Assert.Equal(f[s * 2 + o], h[o], 1e-12 * (1 + Math.Abs(h[o])));
        }
        var eval = m.Predict(x).Span.ToArray();
        for (int i = 0; i < f.Length; i++) Assert.Equal(f[i], eval[i], 1e-12 * (1 + Math.Abs(f[i])));
    }

    [Fact]
    public void ModelSpecBuildsTheLayerAndRejectsABadMomentum()
    {
        var spec = ModelSpec.Parse("input: [3]\nlayers:\n  - {type: dense, out: 4}\n  - {type: scale_batchnorm, momentum: 1}\n  - {type: relu}\n  - {type: dense, out: 1}\n", "t.yaml");
        var m = spec.Build<double>();
        var sbn = Assert.IsType<ScaleBatchNorm<double>>(m.Layers[1]);
        Assert.Equal(0, sbn.Eps);
        Assert.Equal(1.0, sbn.Momentum);
        Assert.Equal(2, m.Weights.Count);
        Assert.Contains(m.NamedBuffers, b => b.Name == "1.running_ms");
        var bad = Assert.Throws<InvalidDataException>(() => ModelSpec.Parse("input: [3]\nlayers:\n  - {type: dense, out: 4}\n  - {type: scale_batchnorm, momentum: 0}\n", "t.yaml").Build<double>());
        Assert.Contains("momentum", bad.Message);
        Assert.Contains("t.yaml", bad.Message);
    }
}
