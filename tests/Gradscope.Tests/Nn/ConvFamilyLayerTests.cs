using Gradscope.Autodiff;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Nn;

public class ConvFamilyLayerTests
{
    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(2, 1, true)]
    public void LocallyConnectedLayerGradientsMatchFiniteDifferences(int stride, int padding, bool bias)
    {
        var rng = new Rng(70);
        int[] shape = [2, 5, 5];
        var lc = new LocallyConnected2d<double>(shape, 3, 3, stride, padding, bias);
        Init.Apply(new Sequential<double>(shape, lc), InitScheme.He, rng);
        if (bias) GradCheck.Random(rng, 0, lc.Bias!.Shape).Span.CopyTo(lc.Bias.Value.Span);
        double err = LayerGradCheck.MaxRelativeError(lc, shape, GradCheck.Random(rng, 0, 2, 2, 5, 5));
        Assert.True(err < 1e-6, $"relative error {err}");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 0)]
    public void LocallyConnectedDenseEquivalentTimesFlattenedInputEqualsOutput(int stride, int padding)
    {
        var rng = new Rng(71);
        int[] shape = [2, 6, 5];
        var lc = new LocallyConnected2d<double>(shape, 3, 3, stride, padding);
        var model = new Sequential<double>(shape, lc);
        Init.Apply(model, InitScheme.He, rng);
        var x = GradCheck.Random(rng, 0, 1, 2, 6, 5);
        var y = model.Predict(x).Span;
        var m = lc.DenseEquivalent(shape);
        Assert.Equal(model.Outputs, m.Shape[0]);
        for (int r = 0; r < m.Shape[0]; r++)
        {
            double s = 0;
            for (int c = 0; c < m.Shape[1]; c++) s += m[r, c] * x[c];
            Assert.Equal(s, y[r], 12);
        }
    }

    [Fact]
    public void ConvDenseEquivalentOfAOneByOneKernelIsKroneckerWithIdentity()
    {
        // independent fact: a 1x1 conv is W (O, C) applied at every pixel, so M = W kron I_{HW}
        var conv = new Conv2d<double>(2, 3, 1);
        _ = new Sequential<double>([2, 2, 2], conv);
        var w = conv.Weight.Value;
        for (int i = 0; i < 6; i++) w[i] = i + 1;
        var m = conv.DenseEquivalent([2, 2, 2]);
        for (int o = 0; o < 3; o++)
            for (int p = 0; p < 4; p++)
                for (int c = 0; c < 2; c++)
                    for (int q = 0; q < 4; q++)
                        Assert.Equal(p == q ? w[o * 2 + c] : 0.0, m[o * 4 + p, c * 4 + q]);
    }

    [Fact]
    public void PoolingAndFlattenLayerGradientsMatchFiniteDifferences()
    {
        var rng = new Rng(72);
        int[] shape = [2, 5, 5];
        var x = GradCheck.Random(rng, 0, 3, 2, 5, 5);
        Assert.True(LayerGradCheck.MaxRelativeError(new AvgPool2d<double>(2), shape, x) < 1e-6);
        Assert.True(LayerGradCheck.MaxRelativeError(new AvgPool2d<double>(3, 2, 1), shape, x) < 1e-6);
        Assert.True(LayerGradCheck.MaxRelativeError(new GlobalAvgPool2d<double>(), shape, x) < 1e-6);
        Assert.True(LayerGradCheck.MaxRelativeError(new Flatten<double>(), shape, x) < 1e-6);
        Assert.Equal([2, 2, 2], new AvgPool2d<double>(2).OutputShape(shape));
        Assert.Equal([2], new GlobalAvgPool2d<double>().OutputShape(shape));
        Assert.Equal([50], new Flatten<double>().OutputShape(shape));
    }

    [Fact]
    public void CnnInSequentialHasPyTorchNamesShapesAndGradients()
    {
        // the peer CNN in miniature: conv-ReLU-conv(s2)-ReLU-GAP-linear, fed flattened (B, D) inputs
        var rng = new Rng(73);
        int[] shape = [3, 8, 8];
        var model = new Sequential<double>(shape,
            new Conv2d<double>(3, 4, 3, 1, 1, bias: true), new Relu<double>(),
            new Conv2d<double>(4, 6, 3, 2, 1, bias: true), new Relu<double>(),
            new GlobalAvgPool2d<double>(), new Dense<double>(6, 5, bias: true));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias"], model.NamedParameters.Select(p => p.Name));
        Assert.Equal([6, 4, 4], model.LayerInputShapes[4]);
        Assert.Equal(5, model.Outputs);
        Assert.Equal(3, model.Weights.Count);
        Assert.False(model.IsHomogeneous);
        Init.Apply(model, InitScheme.PyTorchDefault, rng);
        var xs = GradCheck.Random(rng, 0, 2, 3 * 8 * 8);
        var y = model.Predict(xs);
        Assert.Equal([2, 5], y.Shape);
        var y4 = model.Predict(xs.Reshape(2, 3, 8, 8));
        Assert.Equal(y.Span.ToArray(), y4.Span.ToArray());
    }

    [Fact]
    public void BatchNormLayerGradientsMatchFiniteDifferencesInBothModes()
    {
        var rng = new Rng(74);
        foreach (bool training in new[] { true, false })
        {
            var bn1 = new BatchNorm<double>(3);
            _ = new Sequential<double>([3], bn1);
            GradCheck.Random(rng, 0, 3).Span.CopyTo(bn1.Weight.Value.Span);
            GradCheck.Random(rng, 0, 3).Span.CopyTo(bn1.Bias.Value.Span);
            double e1 = LayerGradCheck.MaxRelativeError(bn1, [3], GradCheck.Random(rng, 0, 5, 3), training);
            var bn2 = new BatchNorm<double>(2);
            _ = new Sequential<double>([2, 3, 3], bn2);
            GradCheck.Random(rng, 0, 2).Span.CopyTo(bn2.Weight.Value.Span);
            double e2 = LayerGradCheck.MaxRelativeError(bn2, [2, 3, 3], GradCheck.Random(rng, 0, 3, 2, 3, 3), training);
            Assert.True(e1 < 1e-6 && e2 < 1e-6, $"training={training}: 1d {e1}, 2d {e2}");
        }
    }

    [Fact]
    public void BatchNormTrainingAndEvaluationMatchHandComputation()
    {
        // one channel, batch x = (1, 2, 3, 6): mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5, unbiased 14/3
        var bn = new BatchNorm<double>(1);
        var model = new Sequential<double>([1], bn);
        Assert.Equal(["0.weight", "0.bias"], model.NamedParameters.Select(p => p.Name));
        Assert.Equal(["0.running_mean", "0.running_var"], model.NamedBuffers.Select(p => p.Name));
        Assert.Empty(model.Weights);
        bn.Weight.Value[0] = 2; bn.Bias.Value[0] = 0.5;
        var x = Tensor<double>.From([1.0, 2, 3, 6], 4, 1);
        var tape = new Tape<double>();
        var y = model.Forward(tape, x, training: true).Value.Span.ToArray();
        double inv = 1 / Math.Sqrt(3.5 + 1e-5);
        for (int i = 0; i < 4; i++) Assert.Equal(2 * (x[i] - 3) * inv + 0.5, y[i], 12);
        // running stats: 0.9 * 0 + 0.1 * 3 and 0.9 * 1 + 0.1 * 14/3
        Assert.Equal(0.3, bn.RunningMean.Value[0], 14);
        Assert.Equal(0.9 + 0.1 * 14.0 / 3, bn.RunningVar.Value[0], 14);
        // evaluation uses the running statistics, and does not change them
        tape.Reset();
        var ye = model.Forward(tape, x, training: false).Value.Span.ToArray();
        double invE = 1 / Math.Sqrt(0.9 + 0.1 * 14.0 / 3 + 1e-5);
        for (int i = 0; i < 4; i++) Assert.Equal(2 * (x[i] - 0.3) * invE + 0.5, ye[i], 12);
        Assert.Equal(0.3, bn.RunningMean.Value[0], 14);
    }

    [Fact]
    public void BatchNormRejectsWrongChannelsAndSingleValueTraining()
    {
        var bn = new BatchNorm<double>(3);
        var e = Assert.Throws<ArgumentException>(() => bn.OutputShape([4, 2, 2]));
        Assert.Contains("(4, 2, 2)", e.Message);
        _ = new Sequential<double>([3], bn);
        var tape = new Tape<double>();
        Assert.Throws<ArgumentException>(() => bn.Forward(tape, tape.Input(new Tensor<double>(1, 3)), true));
        tape.Reset();
        Assert.Equal([1, 3], bn.Forward(tape, tape.Input(new Tensor<double>(1, 3)), false).Value.Shape);
    }
}
