using Gradscope.Autodiff;
using Gradscope.Tensors;

namespace Gradscope.Tests.Autodiff;

public class ConvFamilyOpTests
{
    private static Node<double> Weighted(Tape<double> t, Node<double> y)
        => t.Mul(y, t.Input(GradCheck.Random(new Rng(8), 0, y.Value.Shape)));

    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(1, 1, true)]
    [InlineData(2, 1, false)]
    [InlineData(2, 0, true)]
    public void LocallyConnectedGradientMatchesFiniteDifferences(int stride, int padding, bool bias)
    {
        var rng = new Rng(60);
        var g = new ConvGeometry(2, 5, 6, 3, 3, stride, padding);
        var x = GradCheck.Random(rng, 0, 2, 2, 5, 6);
        var w = GradCheck.Random(rng, 0, g.Positions, 3, g.PatchLength);
        var b = GradCheck.Random(rng, 0, 3, g.OutH, g.OutW);
        Tensor<double>[] inputs = bias ? [x, w, b] : [x, w];
        // the op is linear in each input, so a larger step has no truncation error and less round-off
        double err = GradCheck.MaxRelativeError((t, l) => Weighted(t, t.LocallyConnected2d(l[0], l[1], bias ? l[2] : null, 3, 3, stride, padding)), inputs, 1e-4);
        Assert.True(err < 1e-6, $"relative error {err}");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 0)]
    [InlineData(2, 1)]
    public void LocallyConnectedWithEqualFiltersEqualsConv2d(int stride, int padding)
    {
        var rng = new Rng(61);
        int B = 3, C = 2, H = 7, W = 6, O = 4, k = 3;
        var x = GradCheck.Random(rng, 0, B, C, H, W);
        var wc = GradCheck.Random(rng, 0, O, C, k, k);
        var g = new ConvGeometry(C, H, W, k, k, stride, padding);
        var wl = new Tensor<double>(g.Positions, O, g.PatchLength);
        for (int p = 0; p < g.Positions; p++) wc.Span.CopyTo(wl.Span.Slice(p * O * g.PatchLength));
        var tape = new Tape<double>();
        var yc = tape.Conv2d(tape.Input(x), tape.Input(wc), null, stride, padding).Value.Span.ToArray();
        var yl = tape.LocallyConnected2d(tape.Input(x), tape.Input(wl), null, k, k, stride, padding).Value.Span.ToArray();
        Assert.Equal(yc.Length, yl.Length);
        for (int i = 0; i < yc.Length; i++) Assert.Equal(yc[i], yl[i], 12);
    }

    [Fact]
    public void LocallyConnectedRejectsWrongWeightShape()
    {
        var tape = new Tape<double>();
        var e = Assert.Throws<ArgumentException>(() => tape.LocallyConnected2d(tape.Input(new Tensor<double>(1, 2, 4, 4)), tape.Input(new Tensor<double>(5, 3, 18)), null, 3, 3));
        Assert.Contains("LocallyConnected2d", e.Message);
        Assert.Contains("(5, 3, 18)", e.Message);
    }

    [Theory]
    [InlineData(2, 2, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 0)]
    public void AvgPoolGradientMatchesFiniteDifferences(int k, int s, int p)
    {
        var x = GradCheck.Random(new Rng(62), 0, 2, 3, 7, 5);
        double err = GradCheck.MaxRelativeError((t, l) => Weighted(t, t.AvgPool2d(l[0], k, s, p)), [x]);
        Assert.True(err < 1e-6, $"relative error {err}");
    }

    [Fact]
    public void AvgPoolMatchesHandComputationAndSpreadsGradientEqually()
    {
        // 1 x 1 x 4 x 4 with values 0..15, 2 x 2 windows: means of {0,1,4,5}, {2,3,6,7}, ...
        var tape = new Tape<double>();
        var x = tape.Input(Tensor<double>.From(Enumerable.Range(0, 16).Select(i => (double)i).ToArray(), 1, 1, 4, 4), true);
        var y = tape.AvgPool2d(x, 2);
        Assert.Equal([2.5, 4.5, 10.5, 12.5], y.Value.Span.ToArray());
        tape.Backward(y);
        Assert.All(x.Grad!.Span.ToArray(), g => Assert.Equal(0.25, g));
        // padding counts in the mean: corner window of a 3x3 kernel, padding 1 on a 2x2 input of ones = 4/9
        tape.Reset();
        var ones = tape.Input(Tensor<double>.From([1.0, 1, 1, 1], 1, 1, 2, 2));
        Assert.Equal(4.0 / 9, tape.AvgPool2d(ones, 3, 1, 1).Value[0], 15);
    }

    [Fact]
    public void GlobalAvgPoolAndFlattenGradientsMatchFiniteDifferences()
    {
        var x = GradCheck.Random(new Rng(63), 0, 2, 3, 5, 3);
        double err = GradCheck.MaxRelativeError((t, l) => Weighted(t, t.GlobalAvgPool2d(l[0])), [x]);
        Assert.True(err < 1e-6, $"global avg pool: relative error {err}");
        err = GradCheck.MaxRelativeError((t, l) => Weighted(t, t.Flatten(t.Square(l[0]))), [x]);
        Assert.True(err < 1e-6, $"flatten: relative error {err}");
        var tape = new Tape<double>();
        var y = tape.GlobalAvgPool2d(tape.Input(x));
        Assert.Equal([2, 3], y.Value.Shape);
        double mean = 0; for (int i = 0; i < 15; i++) mean += x[15 + i];
        Assert.Equal(mean / 15, y.Value[1], 13);
        Assert.Equal([2, 45], tape.Flatten(tape.Input(x)).Value.Shape);
    }

    [Fact]
    public void ReluKinkAfterConvHasZeroDerivative()
    {
        // a conv output of exactly 0 (zero input) passes no gradient through ReLU: ReLU'(0) = 0
        var tape = new Tape<double>();
        var w = tape.Input(GradCheck.Random(new Rng(64), 0, 2, 1, 3, 3), true);
        var x = tape.Input(new Tensor<double>(1, 1, 4, 4), true);
        var y = tape.Relu(tape.Conv2d(x, w, null, 1, 1));
        Assert.All(y.Value.Span.ToArray(), v => Assert.Equal(0.0, v));
        tape.Backward(y);
        Assert.All(x.Grad!.Span.ToArray(), g => Assert.Equal(0.0, g));
        Assert.All(w.Grad!.Span.ToArray(), g => Assert.Equal(0.0, g));
    }

    [Theory]
    [InlineData(false, new[] { 6, 3 })]
    [InlineData(true, new[] { 6, 3 })]
    [InlineData(false, new[] { 4, 2, 3, 3 })]
    [InlineData(true, new[] { 4, 2, 3, 3 })]
    public void BatchNormGradientMatchesFiniteDifferences(bool training, int[] shape)
    {
        var rng = new Rng(65);
        int c = shape[1];
        var x = GradCheck.Random(rng, 0, shape);
        var gamma = GradCheck.Random(rng, 0, c);
        var beta = GradCheck.Random(rng, 0, c);
        var rm = GradCheck.Random(rng, 0, c);
        var rv = Tensor<double>.From(Enumerable.Range(0, c).Select(i => 0.5 + i).ToArray(), c);
        double err = GradCheck.MaxRelativeError((t, l) => Weighted(t, t.BatchNorm(l[0], l[1], l[2], rm, rv, training)), [x, gamma, beta], 1e-5);
        Assert.True(err < 1e-6, $"relative error {err}");
    }
}
