using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures.Curvature;

/// <summary>
/// The float32 route of SLQ (<see cref="SingleLanczos"/> on <see cref="HessianVectorProduct.ApplySingle"/>, the one an f32 model's
/// large Hessian takes) against independent computations: a diagonal matrix's closed-form quadrature; the exact Hessian of the
/// same net built in float64 from P products of the float64 kernel (explicit quadratic forms v^T H^k v, tr(H^k) / P, the extreme
/// eigenvalues); and the float64 Lanczos with full reorthogonalization on the same probe.
/// </summary>
public class SingleLanczosTests
{
    private static readonly int[] Widths = [4, 7, 5, 3];

    /// <summary>An f32 net and its float64 twin with the same (float-representable) weights; the exact Hessian from the twin.</summary>
    private static (HessianVectorProduct H32, HessianVectorProduct H64, ExactHessian Exact, int P) Nets()
    {
        var m = MeasureTestNets.Mlp(Widths, true, seed: 71);
        var data = MeasureTestNets.Gaussian(20, 4, 3, 72);
        var f = new Sequential<float>([4], new Dense<float>(4, 7, true), new Relu<float>(), new Dense<float>(7, 5, true), new Relu<float>(), new Dense<float>(5, 3, true));
        for (int i = 0; i < m.Flat.Length; i++) { f.Flat[i] = (float)m.Flat[i]; m.Flat[i] = f.Flat[i]; }
        var h64 = HessianVectorProduct.Create(m, data, LossKind.CrossEntropy);
        var h32 = HessianVectorProduct.Create(f, data, LossKind.CrossEntropy);
        Assert.True(h32.IsSingle);
        Assert.False(h64.IsSingle);
        return (h32, h64, ExactHessian.Of(h64), h64.Dimension);
    }

    [Fact]
    public void OnADiagonalMatrixItGivesTheEigenvaluesAndTheStartVectorsWeights()
    {
        int n = 12;
        var lambda = Enumerable.Range(0, n).Select(i => (float)(-3.0 + 0.7 * i + 0.01 * i * i)).ToArray();
        var rng = new Rng(5);
        var lanczos = new SingleLanczos(n, window: 3);
        var v = Enumerable.Range(0, n).Select(_ => (double)(float)rng.NextNormal()).ToArray();
        for (int i = 0; i < n; i++) lanczos.Start[i] = (float)v[i];
        double vv = v.Sum(x => x * x);
        var (nodes, weights) = GaussQuadrature.Of(lanczos.Run((x, y) => { for (int i = 0; i < n; i++) y[i] = lambda[i] * x[i]; }, n));
        Assert.Equal(n, nodes.Length);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(lambda[i], nodes[i], 1e-5);
            // the operator sees fl32(q_j): weights carry float32 rounding
            Assert.Equal(v[i] * v[i] / vv, weights[i], 1e-5);
        }
        Assert.Equal(1.0, weights.Sum(), 1e-12);
    }

    [Fact]
    public void ManyBlocksGiveTheClosedFormQuadratureBitIdenticallyForAnyThreadCount()
    {
        // P spans several blocks of the parallel passes. A diagonal matrix with 5 distinct eigenvalues: the Krylov space of any
        // start vector has dimension 5, and its Gauss quadrature is exact: the nodes are the eigenvalues, each weight the squared
        // norm of the start vector's part on that eigenvalue over ||v||^2.
        int n = 3 * SingleLanczos.Block + 777;
        float[] values = [-0.5f, 0.25f, 1f, 2f, 3.5f];
        var rng = new Rng(11);
        var v = Enumerable.Range(0, n).Select(_ => (float)rng.NextNormal()).ToArray();
        var want = new double[values.Length];
        double vv = 0;
        for (int i = 0; i < n; i++) { want[i % values.Length] += (double)v[i] * v[i]; vv += (double)v[i] * v[i]; }
        SingleOperator a = (x, y) => { for (int i = 0; i < n; i++) y[i] = values[i % values.Length] * x[i]; };
        int saved = Parallelism.Threads;
        var runs = new List<LanczosTridiagonal>();
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.Threads = threads;
                var lanczos = new SingleLanczos(n, window: 2);
                v.CopyTo(lanczos.Start);
                runs.Add(lanczos.Run(a, 20));
            }
        }
        finally { Parallelism.Threads = saved; }
        Assert.Equal(runs[0].Alpha, runs[1].Alpha);
        Assert.Equal(runs[0].Beta, runs[1].Beta);
        Assert.Equal(values.Length, runs[0].Steps);
        var (nodes, weights) = GaussQuadrature.Of(runs[0]);
        for (int k = 0; k < values.Length; k++)
        {
            Assert.Equal(values[k], nodes[k], 1e-5);
            Assert.Equal(want[k] / vv, weights[k], 1e-5);
        }
    }

    [Fact]
    public void ItStopsAtAnInvariantSubspace()
    {
        int n = 9;
        var lanczos = new SingleLanczos(n, window: 2);
        for (int i = 0; i < n; i++) lanczos.Start[i] = 1f + i;
        var t = lanczos.Run((x, y) => { for (int i = 0; i < n; i++) y[i] = (i % 3 - 1) * x[i]; }, 8);
        Assert.Equal(3, t.Steps);
        Assert.Equal(0, t.LastBeta);
        Assert.Equal([-1.0, 0.0, 1.0], GaussQuadrature.Of(t).Nodes.Select(x => Math.Round(x, 6)).ToArray());
    }

    [Fact]
    public void TheTridiagonalMatchesFloat64LanczosWithFullReorthogonalizationOnTheSameProbe()
    {
        var (h32, _, exact, p) = Nets();
        var v = new double[p];
        StochasticLanczosQuadrature.Rademacher(v, new Rng(7));
        // 10 steps: beyond, both runs drift apart as Ritz values converge (float32 products amplify differences of rounding)
        var want = Lanczos.Run(h32.Apply, p, v, 10, new LanczosWorkspace(single: false));
        var lanczos = new SingleLanczos(p, window: 4);
        StochasticLanczosQuadrature.Rademacher(lanczos.Start, new Rng(7));
        var got = lanczos.Run(h32.ApplySingle, 10);
        double radius = exact.Eigenvalues.Max(Math.Abs);
        Assert.Equal(want.Steps, got.Steps);
        for (int j = 0; j < want.Steps; j++) Assert.True(Math.Abs(want.Alpha[j] - got.Alpha[j]) <= 1e-6 * radius, $"alpha {j}: {got.Alpha[j]} vs {want.Alpha[j]}");
        for (int j = 0; j < want.Beta.Length; j++) Assert.True(Math.Abs(want.Beta[j] - got.Beta[j]) <= 1e-6 * radius, $"beta {j}: {got.Beta[j]} vs {want.Beta[j]}");
    }

    [Fact]
    public void PerProbeMomentsEqualExplicitQuadraticFormsOfTheExactHessian()
    {
        var (h32, _, exact, p) = Nets();
        const ulong seed = 17;
        var d = StochasticLanczosQuadrature.Of(h32, 4, 12, new Rng(seed), window: 4);
        var hm = Matrix<double>.Build.Dense(p, p, (i, j) => exact.Matrix[i * p + j]);
        double radius = exact.Eigenvalues.Max(Math.Abs);
        var rng = new Rng(seed);
        var v = new double[p];
        for (int l = 0; l < 4; l++)
        {
            StochasticLanczosQuadrature.Rademacher(v, rng);
            var x = Vector<double>.Build.DenseOfArray(v);
            var hk = x;
            for (int k = 1; k <= 6; k++)
            {
                hk = hm * hk;
                double want = x.DotProduct(hk) / p, got = 0;
                for (int i = 0; i < d.Nodes[l].Length; i++) got += d.Weights[l][i] * Math.Pow(d.Nodes[l][i], k);
                // float32 products: relative error ~1e-6 per product
                Assert.True(Math.Abs(got - want) <= 1e-5 * Math.Pow(radius, k), $"probe {l}, k = {k}: {got} vs {want}");
            }
        }
    }

    [Fact]
    public void MomentsEstimateTracesOfPowersAndLongRunsReachTheExtremeEigenvalues()
    {
        var (h32, _, exact, p) = Nets();
        var d = StochasticLanczosQuadrature.Of(h32, 150, 10, new Rng(23), window: 4);
        double radius = exact.Eigenvalues.Max(Math.Abs);
        for (int k = 1; k <= 4; k++)
        {
            double want = exact.Eigenvalues.Sum(x => Math.Pow(x, k)) / p;
            var m = d.Moment(k);
            Assert.True(Math.Abs(m.Mean - want) <= 4 * m.StandardError + 1e-5 * Math.Pow(radius, k), $"k = {k}: {m.Mean} +- {m.StandardError} vs tr(H^k)/P = {want}");
        }
        // 80 steps on P = 93 with a window of 4: orthogonality to old vectors is lost (ghosts), the extreme nodes still converge.
        var longRun = StochasticLanczosQuadrature.Of(h32, 2, 80, new Rng(29), window: 4);
        Assert.Equal(exact.Eigenvalues[^1], longRun.MaxNode, 1e-5 * radius);
        Assert.Equal(exact.Eigenvalues[0], longRun.MinNode, 1e-5 * radius);
        foreach (var nodes in longRun.Nodes)
            foreach (double x in nodes) Assert.InRange(x, exact.Eigenvalues[0] - 1e-5 * radius, exact.Eigenvalues[^1] + 1e-5 * radius);
    }

    [Fact]
    public void ARunIsDeterministicAndIndependentOfTheVectorsPreviousUse()
    {
        var (h32, _, _, _) = Nets();
        var a = StochasticLanczosQuadrature.Of(h32, 3, 20, new Rng(3), window: 4);
        var b = StochasticLanczosQuadrature.Of(h32, 3, 20, new Rng(3), window: 4);
        for (int l = 0; l < 3; l++) { Assert.Equal(a.Nodes[l], b.Nodes[l]); Assert.Equal(a.Weights[l], b.Weights[l]); }
    }

    [Fact]
    public void BadInputIsRefused()
    {
        var (h32, h64, _, p) = Nets();
        Assert.Throws<ArgumentException>(() => new SingleLanczos(p, 4).Run(h32.ApplySingle, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SingleLanczos(p, -1));
        Assert.Throws<InvalidOperationException>(() => h64.ApplySingle(new float[p], new float[p]));
        var buf = new float[p];
        Assert.Throws<ArgumentException>(() => h32.ApplySingle(buf, buf));
        Assert.Throws<ArgumentException>(() => h32.ApplySingle(new float[p - 1], new float[p]));
        Assert.Throws<ArgumentOutOfRangeException>(() => StochasticLanczosQuadrature.Of(h32, 0, 5, new Rng(1), window: 4));
    }
}
