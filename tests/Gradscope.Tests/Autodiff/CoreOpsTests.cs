using Gradscope.Autodiff;
using Gradscope.Losses;
using Gradscope.Tensors;

namespace Gradscope.Tests.Autodiff;

public class CoreOpsTests
{
    [Fact]
    public void LinearGradientMatchesFiniteDifferences()
    {
        var rng = new Rng(1);
        var x = GradCheck.Random(rng, 0, 5, 7);
        var w = GradCheck.Random(rng, 0, 3, 7);
        double err = GradCheck.MaxRelativeError((t, l) => t.Linear(l[0], l[1]), [x, w]);
        Assert.True(err < 1e-6, $"relative error {err}");
    }

    [Fact]
    public void ReluGradientMatchesFiniteDifferencesAwayFromKinks()
    {
        var rng = new Rng(2);
        var x = GradCheck.Random(rng, 1e-3, 4, 6);
        double err = GradCheck.MaxRelativeError((t, l) => t.Relu(l[0]), [x]);
        Assert.True(err < 1e-6, $"relative error {err}");
    }

    [Fact]
    public void ReluDerivativeAtExactlyZeroIsZero()
    {
        var tape = new Tape<double>();
        var x = tape.Input(Tensor<double>.From([0.0, 1.0, -1.0], 1, 3), true);
        tape.Backward(tape.Relu(x));
        Assert.Equal([0.0, 1.0, 0.0], x.Grad!.Span.ToArray());
    }

    [Fact]
    public void LinearRejectsMismatchedShapesNamingBoth()
    {
        var tape = new Tape<double>();
        var x = tape.Input(new Tensor<double>(2, 3));
        var w = tape.Input(new Tensor<double>(4, 5));
        var e = Assert.Throws<ArgumentException>(() => tape.Linear(x, w));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(4, 5)", e.Message);
    }

    [Theory]
    [InlineData(LossKind.Exponential, 1)]
    [InlineData(LossKind.Logistic, 1)]
    [InlineData(LossKind.Square, 1)]
    [InlineData(LossKind.Hinge, 1)]
    [InlineData(LossKind.Exponential, 4)]
    [InlineData(LossKind.CrossEntropy, 4)]
    [InlineData(LossKind.Logistic, 4)]
    [InlineData(LossKind.Square, 4)]
    [InlineData(LossKind.Hinge, 4)]
    public void LossGradientsMatchFiniteDifferences(LossKind kind, int classes)
    {
        var rng = new Rng(3);
        var z = GradCheck.Random(rng, 0, 6, classes);
        int[] labels = classes == 1 ? [0, 1, 1, 0, 1, 0] : [0, 3, 2, 1, 3, 0];
        foreach (var output in new[] { LossOutput.Value, LossOutput.Log })
        {
            double err = GradCheck.MaxRelativeError((t, l) => t.Loss(l[0], labels, kind, 1.5, output), [z]);
            Assert.True(err < 1e-6, $"{kind} {output}: relative error {err}");
        }
    }

    [Theory]
    [InlineData(LossKind.Exponential)]
    [InlineData(LossKind.Logistic)]
    [InlineData(LossKind.CrossEntropy)]
    public void LogLossNeverUnderflowsAtMarginsAboveOneThousand(LossKind kind)
    {
        foreach (int classes in new[] { 1, 3 })
        {
            // every margin > 1000: L itself underflows to 0 in float64, log L must stay finite and exact.
            var z = classes == 1 ? Tensor<double>.From([1200.0, -1500.0], 2, 1) : Tensor<double>.From([1200.0, 0, 100, -5, 2000, 900], 2, 3);
            int[] labels = classes == 1 ? [1, 0] : [0, 1];
            var tape = new Tape<double>();
            var zl = tape.Input(z, true);
            var loss = tape.Loss(zl, labels, kind, output: LossOutput.Log);
            tape.Backward(loss);
            // binary margins 1200, 1500: log L = log((e^-1200 + e^-1500) / 2) = -1200 - log 2 + O(e^-300);
            // multiclass: both samples have margin 1100 (other terms e^-100 smaller): log L = -1100 + O(e^-100).
            double expected = classes == 1 ? -1200 - Math.Log(2) : -1100;
            Assert.Equal(0.0, loss.L);
            Assert.Equal(expected, loss.LogL, 9);
            foreach (var g in zl.Grad!.Span) Assert.True(double.IsFinite(g));
            Assert.True(zl.Grad!.Span.ToArray().Any(g => Math.Abs(g) > 0.1), "grad log L vanished");
        }
    }
}
