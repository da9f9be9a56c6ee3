using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

public class HessianTests
{
    // Full Hessian by central differences of exact gradients (Objective.Evaluate), symmetrized.
    internal static Matrix<double> FdHessian(Sequential<double> m, Dataset data, LossKind loss, double targetScale = 1, double h = 1e-5)
    {
        var obj = new Objective<double>(m, data, loss, targetScale);
        int p = m.ParameterCount;
        var w0 = m.SnapshotParameters();
        var hm = Matrix<double>.Build.Dense(p, p);
        for (int j = 0; j < p; j++)
        {
            var w = (double[])w0.Clone();
            w[j] = w0[j] + h; obj.EvaluateAt(w); var gp = (double[])m.FlatGrad.Clone();
            w[j] = w0[j] - h; obj.EvaluateAt(w); var gm = (double[])m.FlatGrad.Clone();
            for (int i = 0; i < p; i++) hm[i, j] = (gp[i] - gm[i]) / (2 * h);
        }
        m.LoadParameters(w0);
        return (hm + hm.Transpose()) / 2;
    }

    public static TheoryData<LossKind, int, bool> Cases => new()
    {
        { LossKind.CrossEntropy, 3, false },
        { LossKind.Exponential, 3, true },
        { LossKind.Square, 3, false },
        { LossKind.Logistic, 2, true },
        { LossKind.Exponential, 2, false },
        { LossKind.Square, 2, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void HvpMatchesFiniteDifferenceHessian(LossKind loss, int classes, bool bias)
    {
        int outputs = classes == 2 ? 1 : classes;
        var m = MeasureTestNets.Mlp([3, 4, 3, outputs], bias, seed: 31);
        var data = MeasureTestNets.Gaussian(8, 3, classes, 32);
        var hfd = FdHessian(m, data, loss, 0.7);
        var hvp = HessianVectorProduct.Create(m, data, loss, 0.7);
        var rng = new Rng(33);
        int p = m.ParameterCount;
        for (int t = 0; t < 3; t++)
        {
            var v = Enumerable.Range(0, p).Select(_ => rng.NextNormal()).ToArray();
            var hv = new double[p];
            hvp.Apply(v, hv);
            var expected = hfd * Vector<double>.Build.DenseOfArray(v);
            double err = (expected - Vector<double>.Build.DenseOfArray(hv)).L2Norm();
            Assert.True(err <= 1e-6 * Math.Max(1e-3, expected.L2Norm()), $"{loss}: |Hv - H_fd v| = {err}, |H_fd v| = {expected.L2Norm()}");
        }
    }

    [Fact]
    public void TopEigenvaluesAndTraceMatchFiniteDifferenceHessian()
    {
        var m = MeasureTestNets.Mlp([3, 5, 4, 3], false, seed: 41);
        var data = MeasureTestNets.Gaussian(10, 3, 3, 42);
        var hfd = FdHessian(m, data, LossKind.CrossEntropy);
        var hvp = HessianVectorProduct.Create(m, data, LossKind.CrossEntropy);
        var eig = hfd.Evd(Symmetricity.Symmetric).EigenValues.Select(e => e.Real).OrderByDescending(Math.Abs).ToArray();
        var top = HessianSpectrum.TopEigenvalues(hvp, 2, new Rng(43), maxIterations: 5000, tolerance: 1e-12);
        Assert.True(Math.Abs(top[0] - eig[0]) <= 1e-5 * Math.Abs(eig[0]), $"top {top[0]} vs {eig[0]}");
        Assert.True(Math.Abs(top[1] - eig[1]) <= 1e-3 * Math.Abs(eig[0]), $"second {top[1]} vs {eig[1]}");
        double trace = hfd.Trace();
        Assert.True(Math.Abs(HessianSpectrum.ExactTrace(hvp) - trace) <= 1e-6 * Math.Abs(trace) + 1e-8);
        // Hutchinson: unbiased; its standard deviation over m samples is sqrt(2 sum_{i != j} H_ij^2 / m).
        int samples = 4000;
        double off = 0;
        for (int i = 0; i < hfd.RowCount; i++) for (int j = 0; j < hfd.ColumnCount; j++) if (i != j) off += hfd[i, j] * hfd[i, j];
        double sd = Math.Sqrt(2 * off / samples);
        double est = HessianSpectrum.HutchinsonTrace(hvp, samples, new Rng(44));
        Assert.True(Math.Abs(est - trace) <= 4 * sd, $"Hutchinson {est} vs {trace} (sd {sd})");
    }

    [Fact]
    public void UnsupportedLayersAndBadVectorsThrow()
    {
        var m = MeasureTestNets.Mlp([3, 4, 1], false, seed: 1);
        var hvp = HessianVectorProduct.Create(m, MeasureTestNets.Gaussian(4, 3, 2, 2), LossKind.Logistic);
        Assert.Throws<ArgumentException>(() => hvp.Apply(new double[3], new double[3]));
    }
}
