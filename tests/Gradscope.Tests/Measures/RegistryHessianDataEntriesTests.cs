using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>
/// The registry entries that were computed outside it before: the Hessian modes (exact trace against the diagonal of a Hessian
/// built by second differences of the loss, eigenvalues and ||H||_F against the finite-difference Hessian, the stochastic trace
/// within its standard error of the exact one), the hard-margin SVM of hand-placed points against its closed form, and the
/// analytic NTK of depth 1 against the closed-form arc-cosine kernel, both on a data set alone.
/// </summary>
public class RegistryHessianDataEntriesTests
{
    private static MeasureReport Compute(MeasureContext c, params string[] patterns) => MeasureRegistry.Compute(c, MeasureRegistry.Select(patterns));

    [Theory]
    [InlineData(LossKind.CrossEntropy)]
    [InlineData(LossKind.Exponential)]
    public void LossAndGradientAtTheWeightsOverChunksOfSamplesEqualTheFullBatchPass(LossKind loss)
    {
        // more samples than one chunk: the context sums chunks; the trainer's objective on the whole set is the independent route
        int n = 2 * HvpKernel<double>.ChunkRows + 5;
        var m = MeasureTestNets.Mlp([4, 5, 3], bias: true, seed: 87);
        var data = MeasureTestNets.Gaussian(n, 4, 3, 88);
        var (l, g) = new MeasureContext<double>(m, data, options: new MeasureOptions { Loss = loss }).LossAndGradientNorm(loss, 1.0);
        var at = new Objective<double>(m, data, loss).Evaluate(ReadOnlySpan<int>.Empty, LossOutput.Value, gradient: true, training: false);
        double norm = Math.Sqrt(m.FlatGrad.Sum(x => x * x));
        Assert.Equal(at.L, l, 1e-12 * Math.Abs(at.L));
        Assert.Equal(norm, g, 1e-12 * norm);
    }

    [Fact]
    public void ExactHessianTraceIsTheSumOfTheSecondDifferenceDiagonal()
    {
        var m = MeasureTestNets.Mlp([3, 4, 1], bias: true, seed: 81);
        var data = MeasureTestNets.Gaussian(9, 3, 2, 82);
        var r = Compute(new MeasureContext<double>(m, data, options: new MeasureOptions { Loss = LossKind.Logistic, Hessian = HessianMode.Exact }), "hessian.*");
        int p = m.ParameterCount;
        // H_jj = (L(w + h e_j) - 2 L(w) + L(w - h e_j)) / h^2, from loss values alone (no gradient, no Hessian-vector product).
        var obj = new Objective<double>(m, data, LossKind.Logistic);
        var w0 = m.SnapshotParameters();
        double l0 = obj.EvaluateAt(w0).L, trace = 0, h = 1e-4;
        var grad = new double[p];
        for (int j = 0; j < p; j++)
        {
            var w = (double[])w0.Clone();
            w[j] = w0[j] + h; double lp = obj.EvaluateAt(w).L;
            w[j] = w0[j] - h; double lm = obj.EvaluateAt(w).L;
            trace += (lp - 2 * l0 + lm) / (h * h);
            grad[j] = (lp - lm) / (2 * h);
        }
        m.LoadParameters(w0);
        var v = r.Values;
        Assert.True(Math.Abs(v["hessian.trace"] - trace) <= 1e-5 * Math.Max(1, Math.Abs(trace)), $"trace {v["hessian.trace"]} vs second differences {trace}");
        Assert.Equal(l0, v["hessian.loss"], 12);
        Assert.Equal(Math.Sqrt(grad.Sum(g => g * g)), v["hessian.gradient_norm"], 7);
        // Eigenvalues and ||H||_F against the Hessian by central differences of the gradient and MathNet's symmetric solver.
        var fd = HessianTests.FdHessian(m, data, LossKind.Logistic);
        var eig = fd.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).Order().ToArray();
        double scale = fd.FrobeniusNorm();
        Assert.Equal(scale, v["hessian.frobenius"], 1e-6 * scale);
        Assert.Equal(eig[^1], v["hessian.lambda_max"], 1e-6 * scale);
        for (int j = 0; j < 5; j++) Assert.Equal(eig[j], v[$"hessian.bottom.{j}"], 1e-6 * scale);
        // Eigenvalues within the differences' accuracy of 0 may fall either side.
        Assert.InRange(v["hessian.negative_count"], eig.Count(x => x < -1e-6 * scale), eig.Count(x => x < 1e-6 * scale));
        Assert.Equal([p], r.Arrays["hessian.eigenvalues"].Shape);
        Assert.Equal([p, p], r.Arrays["hessian.matrix"].Shape);
        // Keys of the other modes are not computed, and nothing says "opt-in" about a group that was opted into.
        Assert.False(v.ContainsKey("hessian.trace_stderr"));
        Assert.DoesNotContain(r.Omitted, o => o.Key == "hessian.*");
    }

    [Fact]
    public void StochasticTraceThroughTheRegistryIsWithinItsStandardErrorOfTheExactOne()
    {
        var m = MeasureTestNets.Mlp([3, 5, 3], bias: false, seed: 61);
        var data = MeasureTestNets.Gaussian(12, 3, 3, 62);
        var o = new MeasureOptions { Loss = LossKind.CrossEntropy, Hessian = HessianMode.Stochastic, HessianProbes = 2000, Seed = 7 };
        var s = Compute(new MeasureContext<double>(m, data, options: o), "hessian.*").Values;
        var e = Compute(new MeasureContext<double>(m, data, options: o with { Hessian = HessianMode.Exact }), "hessian.trace", "hessian.frobenius").Values;
        Assert.True(Math.Abs(s["hessian.trace"] - e["hessian.trace"]) <= 4 * s["hessian.trace_stderr"], $"{s["hessian.trace"]} +- {s["hessian.trace_stderr"]} vs {e["hessian.trace"]}");
        double f2 = e["hessian.frobenius"] * e["hessian.frobenius"];
        Assert.True(Math.Abs(s["hessian.frobenius_squared"] - f2) <= 4 * s["hessian.frobenius_squared_stderr"]);
        Assert.Equal(2000, s["hessian.samples"]);
    }

    [Fact]
    public void ExactModeOnATooLargeNetSaysWhyAndKeepsTheLoss()
    {
        var m = MeasureTestNets.Mlp([30, 80, 3], bias: false, seed: 5); // P = 2640 > 2048
        var data = MeasureTestNets.Gaussian(6, 30, 3, 6);
        var r = Compute(new MeasureContext<double>(m, data, options: new MeasureOptions { Loss = LossKind.CrossEntropy, Hessian = HessianMode.Exact }), "hessian.*");
        Assert.True(r.Values.ContainsKey("hessian.loss"));
        Assert.Contains("P <= 2048", r.Omitted.Single(o => o.Key == "hessian.*").Reason);
    }

    // Four hand-placed points: the support rows (2,1) (+) and (1,2) (-) fix w = (1,-1) (y_i <w, x_i> = 1 for both, two equations
    // in two unknowns; alpha = (1, 1, 0, 0) > 0 on them), margin 1/||w|| = 1/sqrt 2; (3,0) (+) and (0,4) (-) have margins 3 and 4.
    private static Dataset FourPoints(int[] y) => new("four", [2, 1, 1, 2, 3, 0, 0, 4], y, [2], 2);

    [Fact]
    public void SvmOfHandPlacedPointsMatchesItsClosedForm()
    {
        var r = MeasureRegistry.Compute(new DataMeasureContext(FourPoints([1, 0, 1, 0]), new MeasureOptions { Svm = true }));
        var v = r.Values;
        Assert.Equal(1 / Math.Sqrt(2), v["svm.margin"], 9);
        Assert.Equal(Math.Sqrt(2), v["svm.w_norm"], 9);
        Assert.Equal(2, v["svm.support_count"]);
        Assert.Equal([0.0, 1.0], r.Arrays["svm.support_rows"].Data);
        var u = r.Arrays["svm.direction"].Data;
        Assert.Equal(1 / Math.Sqrt(2), u[0], 9);
        Assert.Equal(-1 / Math.Sqrt(2), u[1], 9);
        var alpha = r.Arrays["svm.alpha"].Data;
        Assert.Equal(1, alpha[0], 8);
        Assert.Equal(1, alpha[1], 8);
        Assert.Equal(0, alpha[2]);
        Assert.Equal(0, alpha[3]);
        // On a data set alone every measure that needs a network is omitted as such, and only svm.* has values.
        Assert.All(v.Keys, k => Assert.StartsWith("svm.", k));
        Assert.Equal("needs a network (only a data set was given)", r.Omitted.Single(o => o.Key == "rho").Reason);
        // Two points on one side of a line through the origin with opposite labels along it: not separable, with the reason.
        var bad = MeasureRegistry.Compute(new DataMeasureContext(new Dataset("bad", [1, 0, 2, 0], [1, 0], [2], 2), new MeasureOptions { Svm = true, SvmMaxEpochs = 200 }), MeasureRegistry.Select(["svm.*"]));
        Assert.Empty(bad.Values);
        Assert.Contains("separable", bad.Omitted.Single(o => o.Key == "svm.*").Reason);
        // Not opted into: omitted with the opt-in reason.
        Assert.StartsWith("opt-in", MeasureRegistry.Compute(new DataMeasureContext(FourPoints([1, 0, 1, 0])), MeasureRegistry.Select(["svm.*"])).Omitted.Single().Reason);
    }

    [Fact]
    public void SvmOnThreeClassesSaysWhy()
    {
        var r = MeasureRegistry.Compute(new DataMeasureContext(new Dataset("three", [1, 0, 0, 1, 1, 1], [0, 1, 2], [2], 3), new MeasureOptions { Svm = true }), MeasureRegistry.Select(["svm.*"]));
        Assert.Contains("has 3 classes", r.Omitted.Single().Reason);
    }

    [Fact]
    public void AnalyticNtkOfDepthOneIsTheArcCosineKernel()
    {
        double[][] x = [[1, 0, 0.5], [0.3, -2, 1], [-1, 1, 0], [0.2, 0.2, -0.7]];
        int n = x.Length, d = 3;
        var data = new Dataset("pts", x.SelectMany(r => r).ToArray(), [0, 1, 0, 1], [d], 2);
        var r = MeasureRegistry.Compute(new DataMeasureContext(data, new MeasureOptions { AnalyticNtkDepth = 1 }), MeasureRegistry.Select(["ntk_analytic.*"]));
        var ntk = r.Arrays["ntk_analytic.ntk"].Data;
        var nngp = r.Arrays["ntk_analytic.nngp"].Data;
        double Dot(double[] a, double[] b) => a.Zip(b, (p, q) => p * q).Sum();
        var k = Matrix<double>.Build.Dense(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                // Arc-cosine kernel of degree 1 (Cho and Saul 2009) with the NTK parameterization's scales.
                double s0 = Dot(x[i], x[j]) / d, qi = Dot(x[i], x[i]) / d, qj = Dot(x[j], x[j]) / d;
                double t = Math.Acos(Math.Clamp(s0 / Math.Sqrt(qi * qj), -1, 1));
                double s1 = Math.Sqrt(qi * qj) * (Math.Sin(t) + (Math.PI - t) * Math.Cos(t)) / Math.PI;
                double theta = s0 * (Math.PI - t) / Math.PI + s1;
                Assert.Equal(s1, nngp[i * n + j], 12);
                Assert.Equal(theta, ntk[i * n + j], 12);
                k[i, j] = theta;
            }
        var eig = k.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).OrderDescending().ToArray();
        var v = r.Values;
        Assert.Equal(k.Trace(), v["ntk_analytic.trace"], 12);
        Assert.Equal(k.FrobeniusNorm(), v["ntk_analytic.frobenius"], 12);
        Assert.Equal(eig[0], v["ntk_analytic.lambda_max"], 11);
        Assert.Equal(eig[^1], v["ntk_analytic.lambda_min"], 11);
        Assert.Equal(eig[0] / eig[^1], v["ntk_analytic.condition"], 8);
        Assert.Equal(1, v["ntk_analytic.depth"]);
        Assert.Equal(n, v["ntk_analytic.samples"]);
        for (int i = 0; i < n; i++) Assert.Equal(eig[i], r.Arrays["ntk_analytic.eigenvalues"].Data[i], 11);
    }
}
