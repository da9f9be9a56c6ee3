using Gradscope.Autodiff;
using Gradscope.Tensors;

namespace Gradscope.Tests.Autodiff;

public class ElementwiseOpsTests
{
    private static void Check(Func<Tape<double>, Node<double>[], Node<double>> build, params Tensor<double>[] inputs)
    {
        double err = GradCheck.MaxRelativeError(build, inputs);
        Assert.True(err < 1e-6, $"relative error {err}");
    }

    // A fixed random weighting, so that outputs summing to a constant (softmax) still test the gradient.
    private static Node<double> Weighted(Tape<double> t, Node<double> y, ulong seed = 7)
        => t.Mul(y, t.Input(GradCheck.Random(new Rng(seed), 0, y.Value.Shape)));

    [Theory]
    [InlineData(new[] { 3, 4 })]      // same shape
    [InlineData(new[] { 4 })]         // row
    [InlineData(new[] { 1, 4 })]      // row with a leading 1
    [InlineData(new[] { 1 })]         // scalar
    public void AddSubMulGradientsMatchFiniteDifferencesWithBroadcasting(int[] bShape)
    {
        var rng = new Rng(50);
        var a = GradCheck.Random(rng, 0, 3, 4);
        var b = GradCheck.Random(rng, 0, bShape);
        Check((t, l) => Weighted(t, t.Add(l[0], l[1])), a, b);
        Check((t, l) => Weighted(t, t.Sub(l[0], l[1])), a, b);
        Check((t, l) => Weighted(t, t.Mul(l[0], l[1])), a, b);
    }

    [Fact]
    public void BroadcastForwardMatchesHandComputation()
    {
        var tape = new Tape<double>();
        var a = tape.Input(Tensor<double>.From([1.0, 2, 3, 4, 5, 6], 2, 3));
        var b = tape.Input(Tensor<double>.From([10.0, 20, 30], 3));
        Assert.Equal([11.0, 22, 33, 14, 25, 36], tape.Add(a, b).Value.Span.ToArray());
        Assert.Equal([-9.0, -18, -27, -6, -15, -24], tape.Sub(a, b).Value.Span.ToArray());
        Assert.Equal([10.0, 40, 90, 40, 100, 180], tape.Mul(a, b).Value.Span.ToArray());
    }

    [Fact]
    public void BinaryOpsRejectNonBroadcastableShapesNamingBoth()
    {
        var tape = new Tape<double>();
        var a = tape.Input(new Tensor<double>(2, 3));
        var b = tape.Input(new Tensor<double>(2));
        var e = Assert.Throws<ArgumentException>(() => tape.Mul(a, b));
        Assert.Contains("Mul", e.Message); Assert.Contains("(2, 3)", e.Message); Assert.Contains("(2)", e.Message);
        Assert.Throws<ArgumentException>(() => tape.Add(a, tape.Input(new Tensor<double>(3, 3))));
        Assert.Throws<ArgumentException>(() => tape.Sub(a, tape.Input(new Tensor<double>(2, 1))));
    }

    [Fact]
    public void UnaryOpsGradientsMatchFiniteDifferences()
    {
        var rng = new Rng(51);
        var x = GradCheck.Random(rng, 0, 3, 5);
        var pos = Tensor<double>.From(x.Span.ToArray().Select(v => Math.Abs(v) + 0.2).ToArray(), 3, 5);
        Check((t, l) => Weighted(t, t.Scale(l[0], -1.7)), x);
        Check((t, l) => Weighted(t, t.Square(l[0])), x);
        Check((t, l) => Weighted(t, t.Exp(l[0])), x);
        Check((t, l) => Weighted(t, t.Log(l[0])), pos);
    }

    [Fact]
    public void ReductionGradientsMatchFiniteDifferences()
    {
        var rng = new Rng(52);
        var x = GradCheck.Random(rng, 0, 2, 3, 4);
        Check((t, l) => t.Sum(t.Square(l[0])), x);
        Check((t, l) => t.Mean(t.Square(l[0])), x);
        for (int axis = -1; axis < 3; axis++)
        {
            int ax = axis;
            Check((t, l) => Weighted(t, t.Sum(t.Square(l[0]), ax)), x);
            Check((t, l) => Weighted(t, t.Mean(t.Square(l[0]), ax)), x);
        }
    }

    [Fact]
    public void SumAndMeanForwardMatchHandComputation()
    {
        var tape = new Tape<double>();
        var x = tape.Input(Tensor<double>.From([1.0, 2, 3, 4, 5, 6], 2, 3));
        Assert.Equal([21.0], tape.Sum(x).Value.Span.ToArray());
        Assert.Equal([5.0, 7, 9], tape.Sum(x, 0).Value.Span.ToArray());
        Assert.Equal([2.0, 5], tape.Mean(x, -1).Value.Span.ToArray());
        Assert.Equal([2], tape.Mean(x, 1).Value.Shape);
        Assert.Equal(3.5, tape.Mean(x).Value[0]);
    }

    [Fact]
    public void MatMulGradientMatchesFiniteDifferencesAndRejectsMismatch()
    {
        var rng = new Rng(53);
        var a = GradCheck.Random(rng, 0, 3, 5);
        var b = GradCheck.Random(rng, 0, 5, 2);
        Check((t, l) => Weighted(t, t.MatMul(l[0], l[1])), a, b);
        var tape = new Tape<double>();
        var y = tape.MatMul(tape.Input(Tensor<double>.From([1.0, 2, 3, 4], 2, 2)), tape.Input(Tensor<double>.From([5.0, 6, 7, 8], 2, 2)));
        Assert.Equal([19.0, 22, 43, 50], y.Value.Span.ToArray());
        var e = Assert.Throws<ArgumentException>(() => tape.MatMul(tape.Input(a), tape.Input(a)));
        Assert.Contains("(3, 5)", e.Message);
    }

    [Fact]
    public void SoftmaxFamilyGradientsMatchFiniteDifferences()
    {
        var rng = new Rng(54);
        var x = GradCheck.Random(rng, 0, 4, 5);
        Check((t, l) => Weighted(t, t.Softmax(l[0])), x);
        Check((t, l) => Weighted(t, t.LogSoftmax(l[0])), x);
        Check((t, l) => Weighted(t, t.LogSumExp(l[0])), x);
        var v = GradCheck.Random(rng, 0, 6);
        Check((t, l) => t.LogSumExp(l[0]), v);
    }

    [Fact]
    public void LogSumExpGradientIsSoftmaxEvenPastOverflow()
    {
        var tape = new Tape<double>();
        var x = tape.Input(Tensor<double>.From([1000.0, 1000.0 + Math.Log(3)], 1, 2), true);
        var y = tape.LogSumExp(x);
        Assert.Equal(1000 + Math.Log(4), y.Value[0], 10);
        tape.Backward(y);
        Assert.Equal(0.25, x.Grad![0], 12);
        Assert.Equal(0.75, x.Grad![1], 12);
    }
}
