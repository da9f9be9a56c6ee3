using Gradscope.Tensors;

namespace Gradscope.Tests.Autodiff;

public class TensorOpsTests
{
    [Fact]
    public void ElementwiseOpsMatchScalarReference()
    {
        double[] x = [0.5, -1.25, 2, 3.5], y = [1, 2, -3, 0.25];
        var d = new double[4];
        TensorOps.Add<double>(x, y, d); Assert.Equal([1.5, 0.75, -1, 3.75], d);
        TensorOps.Subtract<double>(x, y, d); Assert.Equal([-0.5, -3.25, 5, 3.25], d);
        TensorOps.Multiply<double>(x, y, d); Assert.Equal([0.5, -2.5, -6, 0.875], d);
        TensorOps.Scale<double>(x, -2.0, d); Assert.Equal([-1, 2.5, -4, -7], d);
        TensorOps.Exp<double>(x, d); for (int i = 0; i < 4; i++) Assert.Equal(Math.Exp(x[i]), d[i], 14);
        TensorOps.Log<double>(y, d); Assert.Equal(Math.Log(2), d[1], 14); Assert.True(double.IsNaN(d[2]));
        TensorOps.AddRow<double>(x, [10.0, 20.0], d); Assert.Equal([10.5, 18.75, 12, 23.5], d);
        TensorOps.MultiplyRow<double>(x, [2.0, -1.0], d); Assert.Equal([1, 1.25, 4, -3.5], d);
    }

    [Fact]
    public void ElementwiseOpsThrowOnMismatchedOrShortSpans()
    {
        var e = Assert.Throws<ArgumentException>(() => TensorOps.Add<double>(new double[3], new double[4], new double[4]));
        Assert.Contains("Add", e.Message); Assert.Contains("3", e.Message); Assert.Contains("4", e.Message);
        Assert.Throws<ArgumentException>(() => TensorOps.Multiply<float>(new float[3], new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => TensorOps.Exp<float>(new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => TensorOps.AddRow<double>(new double[5], new double[2], new double[5]));
        Assert.Throws<ArgumentException>(() => TensorOps.Softmax<double>(new double[6], 3, new double[5]));
        Assert.Throws<ArgumentException>(() => TensorOps.LogSumExp<double>(new double[6], 3, new double[1]));
        Assert.Throws<ArgumentException>(() => TensorOps.LogSoftmax<double>(new double[6], 4, new double[6]));
    }

    [Fact]
    public void ReductionsAlongEachAxisMatchLoops()
    {
        var rng = new Rng(40);
        int[] shape = [3, 4, 5];
        var x = GradCheck.Random(rng, 0, shape).Span.ToArray();
        for (int axis = 0; axis < 3; axis++)
            foreach (var kind in new[] { Reduction.Sum, Reduction.Mean, Reduction.Max })
            {
                var dims = shape.Where((_, i) => i != axis).ToArray();
                var d = new double[dims[0] * dims[1]];
                TensorOps.Reduce<double>(x, shape, axis, kind, d);
                for (int a = 0; a < dims[0]; a++)
                    for (int b = 0; b < dims[1]; b++)
                    {
                        double s = 0, m = double.NegativeInfinity;
                        for (int k = 0; k < shape[axis]; k++)
                        {
                            int[] idx = axis switch { 0 => [k, a, b], 1 => [a, k, b], _ => [a, b, k] };
                            double v = x[(idx[0] * 4 + idx[1]) * 5 + idx[2]];
                            s += v; m = Math.Max(m, v);
                        }
                        double expected = kind switch { Reduction.Sum => s, Reduction.Mean => s / shape[axis], _ => m };
                        Assert.Equal(expected, d[a * dims[1] + b], 12);
                    }
            }
        Assert.Throws<ArgumentException>(() => TensorOps.Reduce<double>(x, shape, 3, Reduction.Sum, new double[100]));
        Assert.Throws<ArgumentException>(() => TensorOps.Reduce<double>(x, shape, 1, Reduction.Sum, new double[14]));
        Assert.Throws<ArgumentException>(() => TensorOps.Reduce<double>(x, [3, 4], 1, Reduction.Sum, new double[3]));
    }

    [Fact]
    public void SoftmaxFamilyIsStableAtHugeInputs()
    {
        // rows: ordinary values, huge values (exp overflows without the max shift), a single element
        double[] x = [1, 2, 3, 1000, 1001, 1002, -5, -5, -5];
        var lse = new double[3]; var sm = new double[9]; var ls = new double[9];
        TensorOps.LogSumExp<double>(x, 3, lse);
        TensorOps.Softmax<double>(x, 3, sm);
        TensorOps.LogSoftmax<double>(x, 3, ls);
        double l0 = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        Assert.Equal(l0, lse[0], 13);
        Assert.Equal(1000 + (l0 - 1), lse[1], 10);
        Assert.Equal(-5 + Math.Log(3), lse[2], 13);
        for (int r = 0; r < 3; r++)
        {
            Assert.Equal(1.0, sm[3 * r] + sm[3 * r + 1] + sm[3 * r + 2], 14);
            for (int k = 0; k < 3; k++) Assert.Equal(Math.Log(sm[3 * r + k]), ls[3 * r + k], 12);
        }
        Assert.Equal(Math.Exp(1 - l0), sm[3], 14);
        var f = new float[3];
        TensorOps.LogSoftmax<float>([100f, 0f, -100f], 3, f);
        Assert.Equal(-200f, f[2], 3);
        Assert.Equal(0f, f[0], 6);
    }
}
