using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>
/// hessian.frobenius_stderr, the first-order standard error of the stochastic ||H||_F = sqrt(F): recomputed in the test from
/// the same Rademacher probes (regenerated from the documented seed stream) applied to a Hessian built by finite differences
/// of the gradient, their ||H v_s||^2 summarized by hand, then se(F) / (2 sqrt F).
/// </summary>
public class HessianFrobeniusStderrTests
{
    [Fact]
    public void FrobeniusStandardErrorIsTheDeltaMethodOfTheSameProbes()
    {
        var m = MeasureTestNets.Mlp([3, 4, 3], bias: false, seed: 17);
        var data = MeasureTestNets.Gaussian(10, 3, 3, 18);
        const int S = 40;
        var o = new MeasureOptions { Loss = LossKind.CrossEntropy, Hessian = HessianMode.Stochastic, HessianProbes = S, Seed = 5 };
        var v = MeasureRegistry.Compute(new MeasureContext<double>(m, data, options: o), MeasureRegistry.Select(["hessian.*"])).Values;

        var h = HessianTests.FdHessian(m, data, LossKind.CrossEntropy);
        int p = m.ParameterCount;
        // The stochastic mode's probe stream: Rng(seed ^ 0x4E55), entries -1 when the top bit is 0, else +1.
        var rng = new Rng(o.Seed ^ 0x4E55u);
        var f = new double[S];
        for (int s = 0; s < S; s++)
        {
            var probe = Vector<double>.Build.Dense(p, _ => (rng.NextUInt64() >> 63) == 0 ? -1 : 1);
            f[s] = (h * probe).DotProduct(h * probe);
        }
        double mean = f.Average();
        double se = Math.Sqrt(f.Sum(x => (x - mean) * (x - mean)) / (S - 1) / S);
        double scale = h.FrobeniusNorm() * h.FrobeniusNorm();
        Assert.Equal(mean, v["hessian.frobenius_squared"], 1e-5 * scale);
        Assert.Equal(se, v["hessian.frobenius_squared_stderr"], 1e-4 * se + 1e-5 * scale);
        Assert.Equal(Math.Sqrt(mean), v["hessian.frobenius"], 1e-5 * Math.Sqrt(mean));
        Assert.Equal(se / (2 * Math.Sqrt(mean)), v["hessian.frobenius_stderr"], 1e-4 * se / Math.Sqrt(mean));
        // The exact ||H||_F lies within a few of these standard errors of the estimate.
        Assert.True(Math.Abs(v["hessian.frobenius"] - h.FrobeniusNorm()) <= 4 * v["hessian.frobenius_stderr"], $"{v["hessian.frobenius"]} +- {v["hessian.frobenius_stderr"]} vs {h.FrobeniusNorm()}");
    }
}
