using Gradscope.Measures;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <remarks>Runs in the "Gemm" collection (alone): its thread-count test sets the process-wide Parallelism.Threads, and a
/// trainer test running beside it could change that count between the two calls it compares.</remarks>
[Collection("Gemm")]
public class GramSpectrumTests
{
    [Fact]
    public void TridiagonalToeplitzHasTheClosedFormEigenvalues()
    {
        // tridiag(-1, 2, -1) of size n: lambda_j = 2 - 2 cos(j pi / (n + 1)), j = 1..n
        const int n = 50;
        var d = Enumerable.Repeat(2.0, n).ToArray();
        var e = Enumerable.Repeat(-1.0, n).ToArray();
        SymmetricEigenvalues.Tridiagonal(d, e);
        Array.Sort(d);
        for (int j = 1; j <= n; j++)
            Assert.Equal(2 - 2 * Math.Cos(j * Math.PI / (n + 1)), d[j - 1], 13);
    }

    [Fact]
    public void QlMatchesMathNetOnGradedTridiagonals()
    {
        // entries spread over 12 decades (the iteration's p = gamma^2 / c and its shortcut gamma^2 (r / p) see a wide range),
        // orders 1..70 and 300, against MathNet's dense symmetric EVD: within 4 n eps ||T||_2 (backward stability)
        var rng = new Rng(17);
        foreach (int n in Enumerable.Range(1, 70).Append(300))
        {
            var d = new double[n];
            var e = new double[n];
            for (int i = 0; i < n; i++)
            {
                d[i] = rng.NextNormal() * Math.Pow(10, -(i % 12));
                e[i] = i + 1 < n ? rng.NextNormal() * Math.Pow(10, -(i % 7)) : 0;
            }
            var t = Matrix<double>.Build.Dense(n, n, (i, j) => i == j ? d[i] : j == i + 1 ? e[i] : i == j + 1 ? e[j] : 0);
            var expected = t.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).OrderBy(x => x).ToArray();
            double tolerance = 4 * n * SymmetricEigenvalues.MachineEpsilon * t.L2Norm();
            SymmetricEigenvalues.Tridiagonal(d, e);
            Array.Sort(d);
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(d[i] - expected[i]) <= tolerance, $"n={n}: eigenvalue {i}: {d[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(37, 1)]
    [InlineData(37, 2)]
    [InlineData(300, 1)]
    [InlineData(300, 2)]
    public void EigenvaluesMatchMathNetOnRandomSymmetricMatrices(int n, int threads)
    {
        var m = TestMatrices.Gaussian(n, n, (ulong)(n + 10));
        var sym = m + m.Transpose();
        var expected = sym.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).OrderBy(x => x).ToArray();
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = threads;
            var got = SymmetricEigenvalues.Of(TestMatrices.RowMajor(sym), n);
            double scale = sym.L2Norm();
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-12 * scale, $"n={n}: eigenvalue {i}: {got[i]} vs {expected[i]}");
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void OnlyTheUpperTriangleIsRead()
    {
        var m = TestMatrices.Gaussian(40, 40, 3);
        var sym = m + m.Transpose();
        var upper = TestMatrices.RowMajor(sym);
        for (int i = 0; i < 40; i++) for (int j = 0; j < i; j++) upper[i * 40 + j] = double.NaN;
        var expected = SymmetricEigenvalues.Of(TestMatrices.RowMajor(sym), 40);
        Assert.Equal(expected, SymmetricEigenvalues.Of(upper, 40));
    }

    [Fact]
    public void DiagonalAndAlreadyTridiagonalMatricesNeedNoReflection()
    {
        // A zero column below the diagonal skips the reflector; the eigenvalues of a diagonal matrix are its entries.
        var a = new double[16];
        double[] diag = [3, -1, 7, 0.5];
        for (int i = 0; i < 4; i++) a[i * 4 + i] = diag[i];
        Assert.Equal(diag.OrderBy(x => x).ToArray(), SymmetricEigenvalues.Of(a, 4));
    }

    [Fact]
    public void ResultsAreBitIdenticalForAGivenThreadCount()
    {
        var m = TestMatrices.Gaussian(260, 260, 9);
        var sym = TestMatrices.RowMajor(m + m.Transpose());
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 2;
            Assert.Equal(SymmetricEigenvalues.Of((double[])sym.Clone(), 260), SymmetricEigenvalues.Of((double[])sym.Clone(), 260));
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void BadInputIsRejectedWithTheShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => SymmetricEigenvalues.Of(new double[5], 2));
        Assert.Contains("2 x 2", ex.Message);
        var nan = new double[4]; nan[1] = double.NaN;
        Assert.Contains("(0, 1)", Assert.Throws<ArgumentException>(() => SymmetricEigenvalues.Of(nan, 2)).Message);
    }

    [Theory]
    [InlineData(120, 80)]
    [InlineData(80, 120)]
    [InlineData(64, 64)]
    [InlineData(1, 9)]
    [InlineData(9, 1)]
    public void SingularValuesMatchTheFullSvd(int rows, int cols)
    {
        var m = TestMatrices.Gaussian(rows, cols, (ulong)(rows * 7 + cols));
        var svd = m.Svd(false).S.ToArray().OrderByDescending(x => x).ToArray();
        var gram = GramSpectrum.Of(TestMatrices.Weight(m));
        Assert.Equal(svd.Length, gram.Values.Length);
        for (int i = 0; i < svd.Length; i++)
            Assert.True(Math.Abs(gram.Values[i] - svd[i]) <= 1e-10 * svd[0], $"{rows}x{cols}: s_{i} = {gram.Values[i]} vs {svd[i]}");
        Assert.Equal(EffectiveRank.FromSpectrum(svd), EffectiveRank.FromSpectrum(gram.Values), 9);
        Assert.Equal(NumericalRank.FromSpectrum(svd), gram.NumericalRank(NumericalRank.DefaultTolerance));
    }

    [Fact]
    public void OrthogonalMatrixHasAllSingularValuesOne()
    {
        var q = TestMatrices.Gaussian(30, 30, 4).QR().Q;
        var gram = GramSpectrum.Of(TestMatrices.Weight(q));
        foreach (double s in gram.Values) Assert.Equal(1.0, s, 12);
        Assert.Equal(30.0, EffectiveRank.FromSpectrum(gram.Values), 10);
        Assert.Equal(30, gram.NumericalRank(1e-6));
    }

    [Fact]
    public void LowRankMatrixHasZerosBelowTheNoiseFloorAndAnUndecidedCountOnlyNearTheThreshold()
    {
        // W = U V^T of rank 3 (40 x 60): three singular values, the rest exactly 0 up to rounding.
        var w = TestMatrices.Gaussian(40, 3, 5) * TestMatrices.Gaussian(3, 60, 6);
        var svd = w.Svd(false).S.ToArray();
        var gram = GramSpectrum.Of(TestMatrices.Weight(w));
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(gram.Values[i] - svd[i]) <= 1e-10 * svd[0]);
        Assert.All(gram.Values.Skip(3), s => Assert.Equal(0.0, s));
        Assert.Equal(EffectiveRank.FromSpectrum(svd), EffectiveRank.FromSpectrum(gram.Values), 10);
        // rounding puts the zero eigenvalues within the floor of a threshold of 0: undecided, so the caller needs an SVD
        Assert.Null(gram.NumericalRank(0));
        Assert.Equal(3, gram.NumericalRank(1e-3));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ConcurrentSpectraMatchMathNetAndAreBitIdenticalToOneAtATime(int threads)
    {
        // every order r = 1..70 (wide and tall alternately, with a inner dimension k != r), and three of a few hundred
        var ms = Enumerable.Range(1, 70).Select(r => r % 2 == 0 ? TestMatrices.Gaussian(r, r + 5, (ulong)r) : TestMatrices.Gaussian(r + 3, r, (ulong)r)).ToList();
        ms.Add(TestMatrices.Gaussian(300, 257, 71));
        ms.Add(TestMatrices.Gaussian(190, 420, 72));
        ms.Add(TestMatrices.Gaussian(256, 256, 73) * 1e-3);
        var ws = ms.Select((m, i) => TestMatrices.Weight(m, $"w{i}")).ToList();
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = threads;
            var each = GramSpectrum.OfEach(ws);
            for (int i = 0; i < ws.Count; i++)
            {
                var (spectrum, error) = each[i];
                Assert.Null(error);
                Assert.Equal(GramSpectrum.Of(ws[i]).Eigenvalues, spectrum!.Eigenvalues);
                // the eigenvalues of the Gram matrix MathNet forms and diagonalizes (the smaller of W W^T, W^T W), descending
                var m = ms[i];
                var g = m.RowCount <= m.ColumnCount ? m * m.Transpose() : m.Transpose() * m;
                var expected = g.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).OrderByDescending(x => x).ToArray();
                Assert.Equal(expected.Length, spectrum.Eigenvalues.Length);
                for (int j = 0; j < expected.Length; j++)
                    Assert.True(Math.Abs(spectrum.Eigenvalues[j] - expected[j]) <= 2 * spectrum.NoiseFloor, $"{m.RowCount}x{m.ColumnCount}: lambda_{j} = {spectrum.Eigenvalues[j]} vs {expected[j]} (floor {spectrum.NoiseFloor})");
            }
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void ConcurrentSpectraReportANonFiniteWeightAndComputeTheOthers()
    {
        var good = TestMatrices.Gaussian(100, 90, 1);
        var bad = TestMatrices.Gaussian(80, 100, 2);
        bad[3, 7] = double.PositiveInfinity;
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 2;
            var each = GramSpectrum.OfEach([TestMatrices.Weight(good, "good"), TestMatrices.Weight(bad, "bad")]);
            Assert.Equal(GramSpectrum.Of(TestMatrices.Weight(good, "good")).Eigenvalues, each[0].Spectrum!.Eigenvalues);
            Assert.Null(each[1].Spectrum);
            Assert.Contains("'bad'", each[1].Error);
            Assert.Contains("row 3", each[1].Error);
        }
        finally { Parallelism.Threads = saved; }
    }
}
