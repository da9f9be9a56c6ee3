using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures.Curvature;

/// <summary>
/// Two SLQ probes side by side (each on one thread, with its own product buffers and Lanczos vectors) against the probes one at a
/// time, at one and two threads: the same nodes and weights bit for bit; the extra product lane against the kernel's own products and
/// against the exact float64 Hessian of the same net. In the Gemm collection: the thread count is process-wide.
/// </summary>
[Collection("Gemm")]
public class SlqLanesTests
{
    private static (Sequential<float> F, Sequential<double> D, Gradscope.Data.Dataset Data, ExactHessian Exact) Nets() => HessianSingleTests.Nets();

    [Fact]
    public void TheExactHessianWithAnIdentityLayerMatchesFiniteDifferences()
    {
        // the float64 kernel with the in-place R of ReLU and identity steps against central differences of exact gradients
        var (_, d, data, exact) = Nets();
        var fd = HessianTests.FdHessian(d, data, LossKind.CrossEntropy);
        int p = d.ParameterCount;
        double scale = exact.Eigenvalues.Max(Math.Abs);
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
                Assert.True(Math.Abs(fd[i, j] - exact.Matrix[i * p + j]) <= 1e-6 * scale, $"H[{i},{j}]: {exact.Matrix[i * p + j]} vs finite differences {fd[i, j]}");
    }

    [Fact]
    public void ASecondLaneGivesTheKernelsProductsBitForBitAndTheExactHessiansToFloat32Accuracy()
    {
        var (f, _, data, exact) = Nets();
        var h = HessianVectorProduct.Create(f, data, LossKind.CrossEntropy);
        var lane = h.NewSingleLane();
        int p = h.Dimension;
        var hm = Matrix<double>.Build.Dense(p, p, (i, j) => exact.Matrix[i * p + j]);
        double scale = exact.Eigenvalues.Max(Math.Abs);
        var rng = new Rng(83);
        var v = new float[p];
        var a = new float[p];
        var b = new float[p];
        for (int t = 0; t < 4; t++)
        {
            for (int i = 0; i < p; i++) v[i] = (float)rng.NextNormal();
            h.ApplySingle(v, a);
            lane(v, b);
            Assert.Equal(a, b);
            var want = hm * Vector<double>.Build.Dense(p, i => v[i]);
            double norm = Math.Sqrt(v.Sum(x => (double)x * x));
            for (int i = 0; i < p; i++) Assert.True(Math.Abs(want[i] - b[i]) <= 1e-5 * scale * norm, $"(H v)[{i}] = {want[i]}, lane {b[i]}");
        }
        Assert.Equal(8, h.Products);
        Assert.Throws<ArgumentException>(() => lane(v, v));
        Assert.Throws<ArgumentException>(() => lane(new float[p - 1], b));
        var (_, d64, _, _) = Nets();
        Assert.Throws<InvalidOperationException>(() => HessianVectorProduct.Create(d64, data, LossKind.CrossEntropy).NewSingleLane());
    }

    [Fact]
    public void ProbesSideBySideGiveTheSameDensityBitForBitAtOneAndTwoThreads()
    {
        var (f, _, data, exact) = Nets();
        int saved = Parallelism.Threads;
        var runs = new List<(string Name, SpectralDensity D, long Products)>();
        try
        {
            foreach (var (threads, lanes) in new[] { (1, 1), (2, 1), (2, 2), (1, 2) })
            {
                Parallelism.Threads = threads;
                var h = HessianVectorProduct.Create(f, data, LossKind.CrossEntropy);
                // 5 probes: two pairs and one alone
                var d = StochasticLanczosQuadrature.Of(h, 5, 12, new Rng(84), window: 4, lanes);
                runs.Add(($"{threads} threads, {lanes} lanes", d, h.Products));
            }
        }
        finally { Parallelism.Threads = saved; }
        var first = runs[0].D;
        foreach (var (name, d, products) in runs)
        {
            Assert.Equal(first.Probes, d.Probes);
            Assert.Equal(first.Nodes.Sum(n => n.Length), products);
            for (int l = 0; l < d.Probes; l++)
            {
                Assert.True(first.Nodes[l].SequenceEqual(d.Nodes[l]), $"{name}: nodes of probe {l} differ");
                Assert.True(first.Weights[l].SequenceEqual(d.Weights[l]), $"{name}: weights of probe {l} differ");
            }
        }
        // and the density is that of the exact Hessian: first moments within 4 standard errors of tr(H^k)/P (an independent check)
        double radius = exact.Eigenvalues.Max(Math.Abs);
        for (int k = 1; k <= 2; k++)
        {
            double want = exact.Eigenvalues.Sum(x => Math.Pow(x, k)) / exact.Eigenvalues.Length;
            var m = first.Moment(k);
            Assert.True(Math.Abs(m.Mean - want) <= 4 * m.StandardError + 1e-5 * Math.Pow(radius, k), $"k = {k}: {m.Mean} +- {m.StandardError} vs {want}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => StochasticLanczosQuadrature.Of(HessianVectorProduct.Create(f, data, LossKind.CrossEntropy), 2, 3, new Rng(1), 4, 3));
    }
}
