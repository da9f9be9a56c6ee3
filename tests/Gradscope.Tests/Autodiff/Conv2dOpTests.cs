using Gradscope.Autodiff;
using Gradscope.Tensors;

namespace Gradscope.Tests.Autodiff;

public class Conv2dOpTests
{
    [Theory]
    [InlineData(1, 0, true)]
    [InlineData(1, 1, false)]
    [InlineData(2, 0, false)]
    [InlineData(2, 1, true)]
    [InlineData(3, 2, true)]
    public void GradientMatchesFiniteDifferences(int stride, int padding, bool bias)
    {
        var rng = new Rng((ulong)(10 + stride * 3 + padding));
        var x = GradCheck.Random(rng, 0, 2, 3, 7, 5);   // odd sizes
        var w = GradCheck.Random(rng, 0, 4, 3, 3, 3);
        var b = GradCheck.Random(rng, 0, 4);
        Tensor<double>[] inputs = bias ? [x, w, b] : [x, w];
        double err = GradCheck.MaxRelativeError((t, l) => t.Conv2d(l[0], l[1], bias ? l[2] : null, stride, padding), inputs);
        Assert.True(err < 1e-6, $"relative error {err}");
    }

    [Theory]
    [InlineData(1, 1, 3)]
    [InlineData(2, 1, 3)]
    [InlineData(2, 0, 2)]
    [InlineData(1, 0, 1)]
    public void ForwardMatchesNaiveDirectConvolution(int stride, int padding, int k)
    {
        var rng = new Rng(20);
        int B = 3, C = 2, H = 9, W = 6, O = 5;
        var x = GradCheck.Random(rng, 0, B, C, H, W);
        var w = GradCheck.Random(rng, 0, O, C, k, k);
        var b = GradCheck.Random(rng, 0, O);
        var tape = new Tape<double>();
        var y = tape.Conv2d(tape.Input(x), tape.Input(w), tape.Input(b), stride, padding);
        var expected = ConvReference.Conv2d(x.Span.ToArray(), B, C, H, W, w.Span.ToArray(), O, k, b.Span.ToArray(), stride, padding, out int oh, out int ow);
        Assert.Equal([B, O, oh, ow], y.Value.Shape);
        var got = y.Value.Span;
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[i], 12);
    }

    [Fact]
    public void FloatForwardMatchesDoubleReference()
    {
        var rng = new Rng(21);
        var xd = GradCheck.Random(rng, 0, 2, 3, 8, 8);
        var wd = GradCheck.Random(rng, 0, 4, 3, 3, 3);
        var xf = Tensor<float>.From(xd.Span.ToArray().Select(v => (float)v).ToArray(), 2, 3, 8, 8);
        var wf = Tensor<float>.From(wd.Span.ToArray().Select(v => (float)v).ToArray(), 4, 3, 3, 3);
        var tape = new Tape<float>();
        var y = tape.Conv2d(tape.Input(xf), tape.Input(wf), null, 2, 1);
        var expected = ConvReference.Conv2d(xd.Span.ToArray(), 2, 3, 8, 8, wd.Span.ToArray(), 4, 3, null, 2, 1, out _, out _);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y.Value.Span[i], 4);
    }

    [Fact]
    public void RejectsMismatchedChannelsNamingBothShapes()
    {
        var tape = new Tape<double>();
        var e = Assert.Throws<ArgumentException>(() => tape.Conv2d(tape.Input(new Tensor<double>(1, 3, 5, 5)), tape.Input(new Tensor<double>(4, 2, 3, 3))));
        Assert.Contains("Conv2d", e.Message);
        Assert.Contains("(1, 3, 5, 5)", e.Message);
        Assert.Contains("(4, 2, 3, 3)", e.Message);
    }

    [Fact]
    public void RejectsKernelLargerThanPaddedInput()
    {
        var tape = new Tape<double>();
        Assert.Throws<ArgumentException>(() => tape.Conv2d(tape.Input(new Tensor<double>(1, 1, 2, 2)), tape.Input(new Tensor<double>(1, 1, 3, 3))));
    }

    [Fact]
    public void Im2ColRejectsTooShortColumnBuffer()
    {
        var g = new ConvGeometry(2, 5, 5, 3, 3, 1, 1);
        var e = Assert.Throws<ArgumentException>(() => TensorOps.Im2Col<double>(new double[50], g, new double[10]));
        Assert.Contains("Im2Col", e.Message);
    }

    [Fact]
    public void ReusesBuffersAfterTapeReset()
    {
        var rng = new Rng(22);
        var x = GradCheck.Random(rng, 0, 2, 3, 6, 6);
        var w = GradCheck.Random(rng, 0, 4, 3, 3, 3);
        var tape = new Tape<double>();
        var y1 = tape.Conv2d(tape.Input(x), tape.Input(w), null, 1, 1);
        var v1 = y1.Value;
        tape.Reset();
        var y2 = tape.Conv2d(tape.Input(x), tape.Input(w), null, 1, 1);
        Assert.Same(y1, y2);
        Assert.Same(v1, y2.Value);
    }
}
