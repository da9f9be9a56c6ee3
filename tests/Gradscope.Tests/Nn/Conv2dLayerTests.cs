using Gradscope.Autodiff;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Tests.Autodiff;

namespace Gradscope.Tests.Nn;

public class Conv2dLayerTests
{
    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(2, 1, true)]
    [InlineData(2, 0, false)]
    public void DenseEquivalentTimesFlattenedInputEqualsOutput(int stride, int padding, bool bias)
    {
        var rng = new Rng(30);
        var conv = new Conv2d<double>(3, 4, 3, stride, padding, bias);
        int[] inShape = [3, 7, 6];
        var model = new Sequential<double>(inShape, conv);
        Init.Apply(model, InitScheme.He, rng);
        var x = GradCheck.Random(rng, 0, 1, 3, 7, 6);
        var y = model.Predict(x).Span;
        var m = conv.DenseEquivalent(inShape);
        int rows = m.Shape[0], cols = m.Shape[1];
        Assert.Equal(model.Outputs, rows);
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int c = 0; c < cols; c++) s += m[r, c] * x[c];
            // the dense equivalent is the linear part; the bias is affine on top
            if (bias) s += conv.Bias!.Value[r / (rows / 4)];
            Assert.Equal(s, y[r], 12);
        }
    }

    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(1, 1, true)]
    [InlineData(2, 1, false)]
    [InlineData(2, 0, true)]
    public void LayerGradientsForInputAndParametersMatchFiniteDifferences(int stride, int padding, bool bias)
    {
        var rng = new Rng(31);
        var conv = new Conv2d<double>(2, 3, 3, stride, padding, bias);
        var x = GradCheck.Random(rng, 0, 2, 2, 5, 7);
        int[] shape = [2, 5, 7];
        Init.Apply(new Sequential<double>(shape, conv), InitScheme.He, rng);
        if (bias) GradCheck.Random(rng, 0, 3).Span.CopyTo(conv.Bias!.Value.Span);
        double err = LayerGradCheck.MaxRelativeError(conv, shape, x);
        Assert.True(err < 1e-6, $"relative error {err}");
    }

    [Fact]
    public void OutputShapeAndFanInFollowPyTorch()
    {
        var conv = new Conv2d<float>(3, 32, 3, 1, 1);
        Assert.Equal([32, 32, 32], conv.OutputShape([3, 32, 32]));
        Assert.Equal([64, 16, 16], new Conv2d<float>(32, 64, 3, 2, 1).OutputShape([32, 32, 32]));
        Assert.Equal(27, conv.FanIn);
        Assert.Equal([32, 3, 3, 3], conv.Weight.Shape);
        var e = Assert.Throws<ArgumentException>(() => conv.OutputShape([4, 32, 32]));
        Assert.Contains("(4, 32, 32)", e.Message);
    }
}
