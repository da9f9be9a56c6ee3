using Gradscope.Autodiff;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Autodiff;

/// <summary>Max pooling: forward against a brute-force window scan, gradient by finite differences, PyTorch's tie rule, shape errors.</summary>
public class MaxPool2dOpTests
{
    // independent reference: for every output position, scan the window and keep the first maximum
    private static double[] Reference(double[] x, int b, int c, int h, int w, int k, int s, int p, out int oh, out int ow)
    {
        oh = (h + 2 * p - k) / s + 1; ow = (w + 2 * p - k) / s + 1;
        var y = new double[b * c * oh * ow];
        for (int n = 0; n < b * c; n++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double m = double.NegativeInfinity;
                    for (int u = 0; u < k; u++)
                        for (int v = 0; v < k; v++)
                        {
                            int r = i * s - p + u, q = j * s - p + v;
                            if (r >= 0 && r < h && q >= 0 && q < w) m = Math.Max(m, x[n * h * w + r * w + q]);
                        }
                    y[(n * oh + i) * ow + j] = m;
                }
        return y;
    }

    private static Tensor<double> Random(ulong seed, params int[] shape)
    {
        var rng = new Rng(seed);
        var t = new Tensor<double>(shape);
        var span = t.Span;
        for (int i = 0; i < span.Length; i++) span[i] = rng.NextNormal();
        return t;
    }

    [Theory]
    [InlineData(2, 3, 6, 6, 2, 2, 0)]
    [InlineData(1, 2, 7, 5, 3, 2, 1)]
    [InlineData(2, 1, 5, 5, 3, 1, 0)]
    [InlineData(1, 4, 8, 6, 2, 1, 1)]
    public void ForwardMatchesAWindowScanAndGradientMatchesFiniteDifferences(int b, int c, int h, int w, int k, int s, int p)
    {
        var x = Random(11, b, c, h, w);
        var tape = new Tape<double>();
        var y = tape.MaxPool2d(tape.Input(x, false), k, s, p);
        var expected = Reference(x.Span.ToArray(), b, c, h, w, k, s, p, out int oh, out int ow);
        Assert.Equal([b, c, oh, ow], y.Value.Shape);
        Assert.Equal(expected, y.Value.Span.ToArray());
        // a fixed random weighting of the outputs makes every output's gradient path count
        var weights = Random(12, b, c, oh, ow);
        double err = GradCheck.MaxRelativeError((t, l) => t.Mul(t.MaxPool2d(l[0], k, s, p), t.Input(weights, false)), [x]);
        Assert.True(err < 1e-7, $"relative error {err:e2}");
    }

    [Fact]
    public void ATieGoesToTheFirstMaximumInWindowOrderAndPositiveScalingCommutes()
    {
        var x = new Tensor<double>(1, 1, 2, 2);
        x.Span.Fill(3.0);
        var tape = new Tape<double>();
        var leaf = tape.Input(x, true);
        var y = tape.MaxPool2d(leaf, 2);
        tape.Backward(tape.Sum(y));
        Assert.Equal([1.0, 0, 0, 0], leaf.Grad!.Span.ToArray());

        var r = Random(13, 1, 2, 4, 4);
        var scaled = new Tensor<double>(1, 2, 4, 4);
        for (int i = 0; i < r.Length; i++) scaled.Span[i] = 2.5 * r.Span[i];
        tape.Reset();
        var a = tape.MaxPool2d(tape.Input(r, false), 2).Value.Span.ToArray();
        var bScaled = tape.MaxPool2d(tape.Input(scaled, false), 2).Value.Span.ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(2.5 * a[i], bScaled[i], 1e-15);
    }

    [Fact]
    public void BadShapesAreErrorsNamingTheLayer()
    {
        var tape = new Tape<double>();
        var e = Assert.Throws<ArgumentException>(() => tape.MaxPool2d(tape.Input(new Tensor<double>(2, 3), false), 2));
        Assert.Contains("MaxPool2d", e.Message);
        Assert.Throws<ArgumentException>(() => tape.MaxPool2d(tape.Input(new Tensor<double>(1, 1, 4, 4), false), 3, 1, 2));
        var spec = ModelSpec.Parse("input: [1, 2, 2]\nlayers:\n  - {type: maxpool2d, kernel: 5}\n", "p.yaml");
        var ex = Assert.Throws<InvalidDataException>(() => spec.Build<double>());
        Assert.Contains("p.yaml", ex.Message);
        Assert.Contains("maxpool2d", ex.Message);
        var ok = ModelSpec.Parse("input: [1, 4, 4]\nlayers:\n  - {type: maxpool2d, kernel: 2}\n  - {type: flatten}\n  - {type: dense, out: 1}\n", "m.yaml").Build<double>();
        Assert.Equal("maxpool2d", ok.Layers[0].Kind);
    }
}
