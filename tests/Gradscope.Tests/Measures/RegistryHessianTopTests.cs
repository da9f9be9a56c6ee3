using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Gradscope.Nn;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>The registry's hessian.top.{j} (measure --hessian-top K) against the closed-form Hessian of a linear net under the square loss.</summary>
public class RegistryHessianTopTests
{
    [Fact]
    public void TopEigenvaluesOfALinearSquareLossAreThoseOfTwoXtXOverN()
    {
        // f(x) = w . x, L = (1/n) sum_i (w . x_i - y_i)^2 (y = +-1): H = (2/n) X^T X for every w.
        var rng = new Gradscope.Tensors.Rng(21);
        int n = 7, d = 4;
        var x = new double[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        x[0] += 3; x[d + 1] -= 2;   // separate the top eigenvalues
        var data = new Dataset("rows", x, [1, 0, 1, 1, 0, 0, 1], [d], 2);
        var net = new Sequential<double>([d], new Dense<double>(d, 1));
        for (int j = 0; j < d; j++) net.Flat[j] = 0.1 * (j + 1);
        var options = new MeasureOptions { Loss = LossKind.Square, HessianTopK = 2, PowerTolerance = 1e-13 };
        var r = MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: options), MeasureRegistry.Select(["hessian.top.*"]));
        var xm = Matrix<double>.Build.Dense(n, d, (i, j) => x[i * d + j]);
        var eig = (xm.TransposeThisAndMultiply(xm) * (2.0 / n)).Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderDescending().ToArray();
        Assert.Equal(eig[0], r.Values["hessian.top.0"], 8);
        Assert.Equal(eig[1], r.Values["hessian.top.1"], 8);
    }
}
