using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures.Curvature;

/// <summary>
/// Lanczos, Gauss quadrature and stochastic Lanczos quadrature against closed forms (a diagonal matrix, whose quadrature
/// measure is sum_i v_i^2 delta(lambda_i) / ||v||^2) and against the exact Hessian of a small net built from P products:
/// per probe the quadrature moments equal v^T H^k v / ||v||^2 computed with the explicit matrix; over probes they estimate
/// tr(H^k) / P within their standard errors; the extreme nodes converge to lambda_max and lambda_min.
/// </summary>
public class SlqTests
{
    private static SymmetricOperator Dense(double[] a, int n) => (x, y) =>
    {
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < n; j++) s += a[i * n + j] * x[j];
            y[i] = s;
        }
    };

    [Fact]
    public void LanczosOnADiagonalMatrixGivesItsEigenvaluesAndTheStartVectorsWeights()
    {
        int n = 12;
        var lambda = Enumerable.Range(0, n).Select(i => -3.0 + 0.7 * i + 0.01 * i * i).ToArray();
        var a = new double[n * n];
        for (int i = 0; i < n; i++) a[i * n + i] = lambda[i];
        var rng = new Rng(5);
        var v = Enumerable.Range(0, n).Select(_ => rng.NextNormal()).ToArray();
        double vv = v.Sum(x => x * x);
        var (nodes, weights) = GaussQuadrature.Of(Lanczos.Run(Dense(a, n), n, v, n));
        Assert.Equal(n, nodes.Length);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(lambda[i], nodes[i], 1e-6);
            Assert.Equal(v[i] * v[i] / vv, weights[i], 1e-6);
        }
        Assert.Equal(1.0, weights.Sum(), 1e-12);
    }

    [Fact]
    public void AFloat32BasisKeepsTheQuadratureAccurate()
    {
        var (h, exact, p) = SmallNet();
        var rng = new Rng(7);
        var v = new double[p];
        StochasticLanczosQuadrature.Rademacher(v, rng);
        var (n64, w64) = GaussQuadrature.Of(Lanczos.Run(h.Apply, p, v, 40, singleBasis: false));
        var (n32, w32) = GaussQuadrature.Of(Lanczos.Run(h.Apply, p, v, 40, singleBasis: true));
        double radius = exact.Eigenvalues.Max(Math.Abs);
        Assert.Equal(n64[^1], n32[^1], 1e-6 * radius);
        Assert.Equal(n64[0], n32[0], 1e-6 * radius);
        for (int k = 1; k <= 6; k++)
        {
            double a = 0, b = 0;
            for (int i = 0; i < n64.Length; i++) { a += w64[i] * Math.Pow(n64[i], k); b += w32[i] * Math.Pow(n32[i], k); }
            Assert.Equal(a, b, 1e-6 * Math.Pow(radius, k));
        }
    }

    [Fact]
    public void LanczosStopsAtAnInvariantSubspace()
    {
        // Three distinct eigenvalues: the Krylov space of any start vector has dimension 3.
        int n = 9;
        var a = new double[n * n];
        for (int i = 0; i < n; i++) a[i * n + i] = i % 3 - 1.0;
        var v = Enumerable.Range(0, n).Select(i => 1.0 + i).ToArray();
        var t = Lanczos.Run(Dense(a, n), n, v, 8);
        Assert.Equal(3, t.Steps);
        Assert.Equal(0, t.LastBeta);
        var (nodes, _) = GaussQuadrature.Of(t);
        Assert.Equal([-1.0, 0.0, 1.0], nodes.Select(x => Math.Round(x, 9)).ToArray());
    }

    [Fact]
    public void QuadratureMomentsPerProbeEqualExplicitQuadraticForms()
    {
        var (h, exact, p) = SmallNet();
        const ulong seed = 17;
        var d = StochasticLanczosQuadrature.Of(h, 4, 12, new Rng(seed));
        var hm = Matrix<double>.Build.Dense(p, p, (i, j) => exact.Matrix[i * p + j]);
        var rng = new Rng(seed);
        var v = new double[p];
        for (int l = 0; l < 4; l++)
        {
            StochasticLanczosQuadrature.Rademacher(v, rng);
            var x = Vector<double>.Build.DenseOfArray(v);
            var hk = x;
            for (int k = 1; k <= 4; k++)
            {
                hk = hm * hk;
                double want = x.DotProduct(hk) / p;
                double got = 0;
                for (int i = 0; i < d.Nodes[l].Length; i++) got += d.Weights[l][i] * Math.Pow(d.Nodes[l][i], k);
                Assert.True(Math.Abs(got - want) <= 1e-6 * Math.Pow(exact.Eigenvalues.Max(Math.Abs), k), $"probe {l}, k = {k}: {got} vs {want}");
            }
        }
    }

    [Fact]
    public void MomentsEstimateTracesOfPowersAndNodesReachTheExtremes()
    {
        var (h, exact, p) = SmallNet();
        var d = StochasticLanczosQuadrature.Of(h, 150, 10, new Rng(23));
        for (int k = 1; k <= 4; k++)
        {
            double want = exact.Eigenvalues.Sum(x => Math.Pow(x, k)) / p;
            var m = d.Moment(k);
            Assert.Equal(150, m.Samples);
            Assert.True(Math.Abs(m.Mean - want) <= 4 * m.StandardError + 1e-12, $"k = {k}: {m.Mean} +- {m.StandardError} vs tr(H^k)/P = {want}");
        }
        // With as many steps as parameters the Krylov space is the whole space: the extreme nodes are the extreme eigenvalues.
        var full = StochasticLanczosQuadrature.Of(h, 2, p, new Rng(29));
        double radius = exact.Eigenvalues.Max(Math.Abs);
        Assert.Equal(exact.Eigenvalues[^1], full.MaxNode, 1e-6 * radius);
        Assert.Equal(exact.Eigenvalues[0], full.MinNode, 1e-6 * radius);
        // With fewer steps the nodes lie inside [lambda_min, lambda_max] (Cauchy interlacing) and the top one has converged.
        var few = StochasticLanczosQuadrature.Of(h, 3, 30, new Rng(31));
        Assert.InRange(few.MaxNode, exact.Eigenvalues[0] - 1e-9 * radius, exact.Eigenvalues[^1] + 1e-9 * radius);
        Assert.InRange(few.MinNode, exact.Eigenvalues[0] - 1e-9 * radius, exact.Eigenvalues[^1] + 1e-9 * radius);
        Assert.Equal(exact.Eigenvalues[^1], few.MaxNode, 1e-4 * radius);
    }

    [Fact]
    public void AWindowOfFourStoredVectorsKeepsMomentsAndExtremes()
    {
        // Local reorthogonalization against the 4 most recent vectors only (the bounded-memory route of large nets), forced on a
        // small net whose exact Hessian is known: moments still estimate tr(H^k)/P within 4 standard errors, per-probe
        // moments still equal the explicit quadratic forms, and the extreme nodes still reach the extreme eigenvalues.
        var (h, exact, p) = SmallNet();
        var window = new LanczosWorkspace(single: true, capacity: 4);
        var d = StochasticLanczosQuadrature.Of(h.Apply, p, 150, 10, new Rng(23), window);
        Assert.True(window.Allocated <= 4);
        for (int k = 1; k <= 4; k++)
        {
            double want = exact.Eigenvalues.Sum(x => Math.Pow(x, k)) / p;
            var m = d.Moment(k);
            Assert.True(Math.Abs(m.Mean - want) <= 4 * m.StandardError + 1e-12, $"k = {k}: {m.Mean} +- {m.StandardError} vs tr(H^k)/P = {want}");
        }
        double radius = exact.Eigenvalues.Max(Math.Abs);
        var hm = Matrix<double>.Build.Dense(p, p, (i, j) => exact.Matrix[i * p + j]);
        var rng = new Rng(41);
        var v = new double[p];
        StochasticLanczosQuadrature.Rademacher(v, rng);
        var (nodes, weights) = GaussQuadrature.Of(Lanczos.Run(h.Apply, p, v, 12, new LanczosWorkspace(single: true, capacity: 4)));
        var x = Vector<double>.Build.DenseOfArray(v);
        var hk = x;
        for (int k = 1; k <= 6; k++)
        {
            hk = hm * hk;
            double want = x.DotProduct(hk) / p, got = 0;
            for (int i = 0; i < nodes.Length; i++) got += weights[i] * Math.Pow(nodes[i], k);
            Assert.True(Math.Abs(got - want) <= 1e-6 * Math.Pow(radius, k), $"k = {k}: {got} vs {want}");
        }
        // Many more steps than the window: orthogonality to old vectors is lost once Ritz values converge (ghost copies), yet
        // the extreme nodes converge to the extreme eigenvalues and stay inside the spectrum.
        var longRun = StochasticLanczosQuadrature.Of(h.Apply, p, 2, 80, new Rng(29), new LanczosWorkspace(single: true, capacity: 4));
        Assert.Equal(exact.Eigenvalues[^1], longRun.MaxNode, 1e-6 * radius);
        Assert.Equal(exact.Eigenvalues[0], longRun.MinNode, 1e-6 * radius);
    }

    [Fact]
    public void TheDefaultWorkspaceIsTheWholeBasisForSmallNetsAndAWindowBeyond()
    {
        Assert.Equal(int.MaxValue, Lanczos.Workspace(1000, 100).Capacity);
        var big = Lanczos.Workspace(1_863_690, 100);
        Assert.Equal(Lanczos.WindowVectors, big.Capacity);
        Assert.True(big.Single);
    }

    [Fact]
    public void DensityIsANormalizedSmoothingOfTheNodes()
    {
        var (h, _, _) = SmallNet();
        var d = StochasticLanczosQuadrature.Of(h, 5, 15, new Rng(37));
        var (grid, sigma) = d.DefaultGrid(4000);
        var phi = d.Density(grid, sigma);
        double dx = grid[1] - grid[0], mass = 0, mean = 0;
        for (int i = 0; i < grid.Length; i++) { mass += phi[i] * dx; mean += grid[i] * phi[i] * dx; }
        // The grid reaches 5 sigma past the extreme nodes: the mass outside is below 1e-6.
        Assert.Equal(1.0, mass, 1e-4);
        Assert.Equal(d.Moment(1).Mean, mean, 1e-4 * (grid[^1] - grid[0]));
        var table = d.NodeWeightTable();
        Assert.Equal(2 * 5 * 15, table.Length);
        Assert.Equal(1.0, Enumerable.Range(0, table.Length / 2).Sum(r => table[2 * r + 1]), 1e-12);
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        var (h, _, _) = SmallNet();
        Assert.Throws<ArgumentOutOfRangeException>(() => StochasticLanczosQuadrature.Of(h, 0, 5, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => StochasticLanczosQuadrature.Of(h, 2, 0, new Rng(1)));
        Assert.Throws<ArgumentException>(() => Lanczos.Run(h.Apply, h.Dimension, new double[h.Dimension], 3));
    }

    internal static (HessianVectorProduct H, ExactHessian Exact, int P) SmallNet()
    {
        var m = MeasureTestNets.Mlp([4, 7, 5, 3], true, seed: 71);
        var data = MeasureTestNets.Gaussian(20, 4, 3, 72);
        var h = HessianVectorProduct.Create(m, data, LossKind.CrossEntropy);
        return (h, ExactHessian.Of(h), h.Dimension);
    }
}
