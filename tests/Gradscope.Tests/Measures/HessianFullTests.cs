using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>
/// The full Hessian (ExactHessian, from P exact Hessian-vector products) against the Hessian by central differences of
/// the autodiff gradient and MathNet's symmetric eigendecomposition; the stochastic estimates against the exact values
/// within their own standard errors; the standard error against its formula.
/// </summary>
public class HessianFullTests
{
    [Theory]
    [InlineData(LossKind.CrossEntropy, 3, false)]
    [InlineData(LossKind.Logistic, 2, true)]
    public void ExactHessianMatchesFiniteDifferences(LossKind loss, int classes, bool bias)
    {
        var m = MeasureTestNets.Mlp([3, 5, 4, classes == 2 ? 1 : classes], bias, seed: 51);
        var data = MeasureTestNets.Gaussian(10, 3, classes, 52);
        var fd = HessianTests.FdHessian(m, data, loss);
        var e = ExactHessian.Of(HessianVectorProduct.Create(m, data, loss));
        int p = m.ParameterCount;
        Assert.Equal(p * p, e.Matrix.Length);
        double scale = fd.FrobeniusNorm();
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
                Assert.True(Math.Abs(e.Matrix[i * p + j] - fd[i, j]) <= 1e-6 * scale, $"H[{i},{j}] {e.Matrix[i * p + j]} vs {fd[i, j]}");
        Assert.Equal(fd.Trace(), e.Trace, 1e-6 * scale);
        Assert.Equal(fd.FrobeniusNorm(), e.Frobenius, 1e-6 * scale);
        var eig = fd.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).Order().ToArray();
        for (int k = 0; k < p; k++) Assert.True(Math.Abs(eig[k] - e.Eigenvalues[k]) <= 1e-6 * scale, $"eigenvalue {k}: {e.Eigenvalues[k]} vs {eig[k]}");
        Assert.True(e.Asymmetry <= 1e-12 * scale);
    }

    [Fact]
    public void StochasticEstimatesAgreeWithExactWithinTheirStandardErrors()
    {
        var m = MeasureTestNets.Mlp([3, 5, 3], false, seed: 61);
        var data = MeasureTestNets.Gaussian(12, 3, 3, 62);
        var h = HessianVectorProduct.Create(m, data, LossKind.CrossEntropy);
        var exact = ExactHessian.Of(h);
        var (trace, fro2) = StochasticHessian.Of(h, 3000, new Rng(63));
        Assert.True(trace.StandardError > 0 && fro2.StandardError > 0);
        Assert.True(Math.Abs(trace.Mean - exact.Trace) <= 4 * trace.StandardError, $"trace {trace.Mean} +- {trace.StandardError} vs {exact.Trace}");
        double f2 = exact.Frobenius * exact.Frobenius;
        Assert.True(Math.Abs(fro2.Mean - f2) <= 4 * fro2.StandardError, $"||H||_F^2 {fro2.Mean} +- {fro2.StandardError} vs {f2}");
        // The reported standard error of the trace is close to its theoretical value sqrt(2 sum_{i != j} H_ij^2 / S).
        int p = m.ParameterCount;
        double off = 0;
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) if (i != j) off += exact.Matrix[i * p + j] * exact.Matrix[i * p + j];
        double sd = Math.Sqrt(2 * off / 3000);
        Assert.InRange(trace.StandardError, 0.8 * sd, 1.2 * sd);
    }

    [Fact]
    public void StandardErrorFormulaAndLimits()
    {
        var s = StochasticHessian.Summarize([1, 2, 3, 4]);
        Assert.Equal(2.5, s.Mean, 15);
        Assert.Equal(Math.Sqrt(5.0 / 3 / 4), s.StandardError, 15);
        Assert.True(double.IsNaN(StochasticHessian.Summarize([3]).StandardError));
        var big = MeasureTestNets.Mlp([60, 40, 10], false, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => ExactHessian.Of(HessianVectorProduct.Create(big, MeasureTestNets.Gaussian(4, 60, 10, 2), LossKind.CrossEntropy)));
        Assert.Contains("2800", e.Message);
    }
}
