using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures;

public class NtkTests
{
    private static void AssertMatchesJacobian(int[] widths, bool bias, int classes)
    {
        var m = MeasureTestNets.Mlp(widths, bias, seed: 11);
        var data = MeasureTestNets.Gaussian(7, widths[0], classes, 12);
        var j = MeasureTestNets.Jacobian(m, data);
        int rows = j.GetLength(0), p = j.GetLength(1);
        var k = EmpiricalNtk.Compute(m, data);
        Assert.Equal(rows * rows, k.Length);
        double max = 0, err = 0;
        for (int a = 0; a < rows; a++)
            for (int b = 0; b < rows; b++)
            {
                double s = 0;
                for (int q = 0; q < p; q++) s += j[a, q] * j[b, q];
                max = Math.Max(max, Math.Abs(s));
                err = Math.Max(err, Math.Abs(s - k[a * rows + b]));
            }
        Assert.True(err <= 1e-10 * max, $"NTK error {err} relative to {max}");
    }

    [Fact]
    public void StructuredNtkEqualsExplicitJacobianScalarOutput() => AssertMatchesJacobian([5, 8, 6, 1], bias: false, classes: 2);

    [Fact]
    public void StructuredNtkEqualsExplicitJacobianMultiOutputWithBias() => AssertMatchesJacobian([4, 6, 5, 3], bias: true, classes: 3);

    [Fact]
    public void AnalyticNtkDiagonalIsLPlusOneTimesNormSquaredOverD()
    {
        var rng = new Rng(3);
        int n = 4, d = 6;
        var x = Enumerable.Range(0, n * d).Select(_ => rng.NextNormal()).ToArray();
        for (int l = 0; l <= 3; l++)
        {
            var k = AnalyticNtk.Compute(x, n, l);
            for (int i = 0; i < n; i++)
            {
                double sq = 0; for (int q = 0; q < d; q++) sq += x[i * d + q] * x[i * d + q];
                Assert.Equal((l + 1) * sq / d, k.Ntk[i * n + i], 10);
                Assert.Equal(sq / d, k.Nngp[i * n + i], 10);
            }
        }
        // one hidden layer, orthogonal inputs: t = pi/2 -> Sigma^1 = sqrt(qq')/pi, dSigma = 1/2, Theta = 0 * 1/2 + Sigma^1
        var k1 = AnalyticNtk.Compute([1.0, 0.0, 0.0, 1.0], 2, 1);
        Assert.Equal(0.5 / Math.PI, k1.Nngp[1], 12);
        Assert.Equal(0.5 / Math.PI, k1.Ntk[1], 12);
    }

    [Fact]
    public void WideNetInNtkParameterizationApproachesAnalyticNtk()
    {
        // theta ~ N(0,1); standard-parameterized W_1 = theta/sqrt(d), W_k = sqrt(2/n_{k-1}) theta (the sqrt 2 of s(u)
        // folded into the next layer; ReLU is positively homogeneous). dW/dtheta = c_k, so K_theta = sum_k c_k^2 K_k.
        int d = 4, width = 2048, n = 3;
        var m = MeasureTestNets.Mlp([d, width, width, 1], bias: false, seed: 21, scheme: InitScheme.Gaussian);
        var scales = new[] { 1 / Math.Sqrt(d), Math.Sqrt(2.0 / width), Math.Sqrt(2.0 / width) };
        int k = 0;
        foreach (var w in m.Weights) { var s = w.Value.Span; for (int i = 0; i < s.Length; i++) s[i] *= scales[k]; k++; }
        var rng = new Rng(5);
        var x = Enumerable.Range(0, n * d).Select(_ => rng.NextNormal()).ToArray();
        var emp = EmpiricalNtk.Compute(m, x, n, scales);
        var exact = AnalyticNtk.Compute(x, n, 2).Ntk;
        for (int i = 0; i < n * n; i++)
            Assert.True(Math.Abs(emp[i] - exact[i]) < 0.1 * Math.Abs(exact[i * 0 + (i / n) * n + i / n]), $"entry {i}: {emp[i]} vs {exact[i]}");
    }

    [Fact]
    public void KernelDistanceAndWeightChangeByHand()
    {
        Assert.Equal(0, EmpiricalNtk.KernelDistance([1.0, 2.0], [2.0, 4.0]), 12);
        Assert.Equal(1, EmpiricalNtk.KernelDistance([1.0, 0.0], [0.0, 3.0]), 12);
        Assert.Equal(0.5, EmpiricalNtk.RelativeWeightChange([3.0, 4.0], [3.0, 6.5]), 12);
    }
}
