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
