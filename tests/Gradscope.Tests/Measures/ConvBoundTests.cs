using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures;

public class ConvBoundTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    public void DenseEquivalentFrobeniusMatchesToeplitzMatrix(int stride, int padding)
    {
        var conv = new Conv2d<double>(2, 3, 3, stride, padding);
        Init.FillNormal(conv.Weight.Value.Span, new Rng(5), 1.0);
        int[] shape = [2, 6, 5];
        var dense = conv.DenseEquivalent(shape);
        double expected = System.Numerics.Tensors.TensorPrimitives.Norm<double>(dense.Span);
        Assert.Equal(expected, ConvKernelNormBound.DenseEquivalentFrobenius(conv, shape), 10);
    }

    [Fact]
    public void ConvNetBoundsAndRatio()
    {
        var conv = new Conv2d<double>(1, 2, 3, 1, 1);
        var m = new Sequential<double>([1, 4, 4], conv, new Relu<double>(), new Dense<double>(32, 3));
        Init.Apply(m, InitScheme.He, new Rng(3));
        var r = ConvKernelNormBound.Of(m, 2.0, 10, 0.5);
        double wk = System.Numerics.Tensors.TensorPrimitives.Norm<double>(conv.Weight.Value.Span);
        double wd = System.Numerics.Tensors.TensorPrimitives.Norm<double>(m.Weights[1].Value.Span);
        double me = System.Numerics.Tensors.TensorPrimitives.Norm<double>(conv.DenseEquivalent([1, 4, 4]).Span);
        Assert.Equal(FrobeniusProductBound.Of(2.0, 2, wk * wd, 10, 0.5), r.KernelNorm, 10);
        Assert.Equal(me / wk, r.Ratio, 10);
        Assert.True(r.Ratio > 1);
    }
}

public class ConvSuiteTests
{
    [Fact]
    public void SuiteOnConvNetReportsOperatorAndKernelNormsAndConvBounds()
    {
        var conv = new Conv2d<double>(1, 2, 3, 1, 1);
        var m = new Sequential<double>([1, 4, 4], conv, new Relu<double>(), new Dense<double>(32, 3));
        Init.Apply(m, InitScheme.He, new Rng(3));
        var rng = new Rng(4);
        // labels = the net's own predictions, so every margin is positive and the bounds apply
        var x = Enumerable.Range(0, 12 * 16).Select(_ => rng.NextNormal()).ToArray();
        var z = m.Predict(Tensor<double>.From(x, 12, 1, 4, 4));
        var y = Enumerable.Range(0, 12).Select(i => Enumerable.Range(0, 3).MaxBy(j => z[i, j])).ToArray();
        if (y.Distinct().Count() < 3) y[0] = Enumerable.Range(0, 3).First(c => !y.Contains(c));
        var data = new Gradscope.Data.Dataset("conv", x, y, [1, 4, 4], 3);
        var r = new MeasureSuite().Compute(m, data);
        // kernel side: conv weight (2, 1, 3, 3) -> (2, 9)
        var w0 = WeightMatrix.Of(m)[0];
        Assert.Equal((2, 9), (w0.Rows, w0.Cols));
        double s1 = w0.ToMathNet().Svd(false).S[0];
        Assert.True(Math.Abs(s1 - r.Values["layer.0.kernel_spectral"]) <= 1e-5 * s1, $"{r.Values["layer.0.kernel_spectral"]} vs {s1}"); // probe tolerance 1e-6
        // operator side (the default): the explicit (32 x 16) Toeplitz matrix
        var t = ExplicitToeplitz.Conv(conv.Weight.Value.Span.ToArray(), 2, 1, 4, 4, 3, 1, 1);
        double st = ExplicitToeplitz.Spectral(t);
        Assert.True(Math.Abs(st - r.Values["layer.0.spectral"]) <= 1e-12 * st, $"{r.Values["layer.0.spectral"]} vs {st}");
        Assert.Equal(t.FrobeniusNorm(), r.Values["layer.0.frobenius"], 12);
        Assert.Contains(r.Omitted, o => o.Key == "path_norm");
        Assert.True(r.Values.ContainsKey("layer.0.alignment")); // T_1 has 32 rows, W_2 32 columns
        if (r.Values["margin.min"] > 0) Assert.True(r.Values["bound.conv_ratio"] > 1);
        else Assert.Contains(r.Omitted, o => o.Key == "bound.conv_*");
    }
}
