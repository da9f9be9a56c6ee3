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
    public void LargeShapesWithThreadedGemmInsideSampleParallelismMatchReference()
    {
        // per-sample products 32 x 256 x 144 take the blocked (threaded) Gemm inside the conv's own
        // parallel parts: the nested call must run serially and give the same result
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 2;
            var rng = new Rng(23);
            var x = GradCheck.Random(rng, 0, 4, 16, 16, 16);
            var w = GradCheck.Random(rng, 0, 32, 16, 3, 3);
            var tape = new Tape<double>();
            var xi = tape.Input(x, true); var wi = tape.Input(w, true);
            var y = tape.Conv2d(xi, wi, null, 1, 1);
            var expected = ConvReference.Conv2d(x.Span.ToArray(), 4, 16, 16, 16, w.Span.ToArray(), 32, 3, null, 1, 1, out _, out _);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y.Value.Span[i], 10);
            tape.Backward(y);
            // with y summed, dW[o, c, u, v] = sum over samples and positions of the input under tap (u, v)
            double dw0 = 0;
            for (int n = 0; n < 4; n++)
                for (int i = 0; i < 16; i++)
                    for (int j = 0; j < 16; j++)
                    {
                        int hi = i - 1, wj = j - 1;   // tap (0, 0), channel 0
                        if (hi >= 0 && wj >= 0) dw0 += x[((n * 16) * 16 + hi) * 16 + wj];
                    }
            Assert.Equal(dw0, wi.Grad![0], 10);
        }
        finally { Parallelism.Threads = saved; }
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

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SampleGroupsSmallerThanTheBatchGiveFiniteDifferenceGradients(int samplesPerGroup)
    {
        // B = 5 samples in groups of 1 or 2 (the last group partial)
        long saved = Conv2dNode<double>.GroupBytes;
        try
        {
            var rng = new Rng(24);
            var x = GradCheck.Random(rng, 0, 5, 2, 6, 5);
            var w = GradCheck.Random(rng, 0, 3, 2, 3, 3);
            var b = GradCheck.Random(rng, 0, 3);
            // K = 18, P = 3 * 3 at stride 2, padding 1: one sample needs max(K, O) P = 162 elements of 8 bytes
            Conv2dNode<double>.GroupBytes = 162 * 8 * samplesPerGroup;
            double err = GradCheck.MaxRelativeError((t, l) => t.Conv2d(l[0], l[1], l[2], 2, 1), [x, w, b]);
            Assert.True(err < 1e-6, $"relative error {err}");
            var tape = new Tape<double>();
            var y = tape.Conv2d(tape.Input(x), tape.Input(w), tape.Input(b), 2, 1);
            var expected = ConvReference.Conv2d(x.Span.ToArray(), 5, 2, 6, 5, w.Span.ToArray(), 3, 3, b.Span.ToArray(), 2, 1, out _, out _);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y.Value.Span[i], 12);
        }
        finally { Conv2dNode<double>.GroupBytes = saved; }
    }

    [Fact]
    public void Im2ColWithRowStridePlacesSamplesSideBySide()
    {
        // two samples at columns [0, P) and [P, 2P) of a (K, 2P + 3) matrix; the last 3 columns stay untouched
        var g = new ConvGeometry(2, 4, 5, 3, 2, 2, 1);
        int K = g.PatchLength, P = g.Positions, ld = 2 * P + 3;
        var rng = new Rng(25);
        var x = GradCheck.Random(rng, 0, 2, g.InputLength);
        var col = Enumerable.Repeat(-7.0, K * ld).ToArray();
        for (int n = 0; n < 2; n++) TensorOps.Im2Col<double>(x.Span.Slice(n * g.InputLength, g.InputLength), g, col.AsSpan(n * P), ld);
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 2; c++)
                for (int u = 0; u < 3; u++)
                    for (int v = 0; v < 2; v++)
                        for (int i = 0; i < g.OutH; i++)
                            for (int j = 0; j < g.OutW; j++)
                            {
                                int hi = i * 2 - 1 + u, wj = j * 2 - 1 + v;
                                double want = hi < 0 || hi >= 4 || wj < 0 || wj >= 5 ? 0 : x[n * g.InputLength + (c * 4 + hi) * 5 + wj];
                                Assert.Equal(want, col[((c * 3 + u) * 2 + v) * ld + n * P + i * g.OutW + j]);
                            }
        for (int r = 0; r < K; r++)
            for (int q = 2 * P; q < ld; q++) Assert.Equal(-7.0, col[r * ld + q]);
        // the adjoint: <col2im(d), x> = <d, im2col(x)> for the same strided block
        var d = GradCheck.Random(rng, 0, K * ld);
        var gx = new double[g.InputLength];
        TensorOps.Col2ImAdd<double>(d.Span.Slice(P), g, gx, ld);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < gx.Length; i++) lhs += gx[i] * x[g.InputLength + i];
        for (int r = 0; r < K; r++)
            for (int q = 0; q < P; q++) rhs += d[r * ld + P + q] * col[r * ld + P + q];
        Assert.Equal(rhs, lhs, 10);
        Assert.Throws<ArgumentException>(() => TensorOps.Im2Col<double>(x.Span.Slice(0, g.InputLength), g, col, P - 1));
    }
}
