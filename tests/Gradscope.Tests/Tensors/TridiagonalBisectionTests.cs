using Gradscope.Measures;
using Gradscope.Tensors;
using Gradscope.Tensors.Linalg;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Tensors;

/// <summary>
/// Sturm-sequence bisection against the closed-form spectrum of the second-difference matrix tridiag(-1, 2, -1)
/// (lambda_k = 2 - 2 cos(k pi / (n + 1))) and of a Jacobi matrix with known repeated structure; the Gram route's numerical
/// rank (with its bisection refinement) against the full SVD route on random matrices with singular values planted at
/// and around the threshold.
/// </summary>
public class TridiagonalBisectionTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(200)]
    public void BisectionFindsTheSecondDifferenceSpectrum(int n)
    {
        var d = Enumerable.Repeat(2.0, n).ToArray();
        var e = Enumerable.Repeat(-1.0, Math.Max(0, n - 1)).ToArray();
        var exact = Enumerable.Range(1, n).Select(k => 2 - 2 * Math.Cos(k * Math.PI / (n + 1))).ToArray();
        for (int k = 0; k < n; k++) Assert.Equal(exact[k], TridiagonalBisection.Eigenvalue(d, e, k), 1e-13);
        // counts at midpoints between consecutive eigenvalues
        for (int k = 0; k + 1 < n; k++) Assert.Equal(k + 1, TridiagonalBisection.CountBelow(d, e, 0.5 * (exact[k] + exact[k + 1])));
        Assert.Equal(0, TridiagonalBisection.CountBelow(d, e, 0));
        Assert.Equal(n, TridiagonalBisection.CountBelow(d, e, 4));
        var inside = TridiagonalBisection.EigenvaluesIn(d, e, 1, 3);
        var want = exact.Where(x => x >= 1 && x < 3).ToArray();
        Assert.Equal(want.Length, inside.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], inside[i], 1e-13);
    }

    [Fact]
    public void ZeroOffDiagonalsAndZeroPivotsAreHandled()
    {
        // Block diagonal with a zero coupling and a zero pivot at x = 1 (d_0 - x = 0): eigenvalues {1, 3} and of [[1, 2], [2, 1]] = {-1, 3}.
        double[] d = [1, 3, 1, 1], e = [0, 0, 2];
        Assert.Equal(1, TridiagonalBisection.CountBelow(d, e, 0.5));
        Assert.Equal(new[] { -1.0, 1.0, 3.0, 3.0 }, Enumerable.Range(0, 4).Select(k => Math.Round(TridiagonalBisection.Eigenvalue(d, e, k), 12)).ToArray());
        Assert.Throws<ArgumentException>(() => TridiagonalBisection.CountBelow([1, double.NaN], [0], 0));
        Assert.Throws<ArgumentException>(() => TridiagonalBisection.CountBelow([1, 2, 3], [0], 0));
    }

    [Fact]
    public void GramRankAgreesWithTheFullRouteOnPlantedSpectra()
    {
        const double tol = 1e-6;
        int decided = 0, cases = 0;
        var rng = new Rng(91);
        foreach (double factor in new[] { 0.0, 0.3, 0.9, 0.99, 1.0, 1.01, 1.1, 3.0 })
            foreach (var (rows, cols) in new[] { (30, 50), (50, 30), (40, 40) })
            {
                int r = Math.Min(rows, cols);
                var s = Enumerable.Range(0, r).Select(i => Math.Pow(10, -2.0 * i / r)).ToArray();
                s[0] = 1;
                s[r - 1] = factor * tol;              // planted at / around the threshold tol * s_1
                s[r - 2] = factor * tol * 0.5;
                var w = Planted(rows, cols, s, rng);
                var gram = GramSpectrum.Of(w);
                int full = NumericalRank.FromSpectrum(SingularSpectrum.Of(w), tol);
                cases++;
                if (gram.NumericalRank(tol) is int g) { decided++; Assert.True(g == full, $"{rows}x{cols}, factor {factor}: Gram {g}, SVD {full}"); }
                // far from the threshold (factor 0: exact zeros are below the floor; factor 3: 9x the threshold in s^2, but the floor
                // of a 40-wide product is ~1e-14, far below 1e-12) the Gram route decides by itself
                if (factor == 3.0 || factor == 0.3) Assert.NotNull(gram.NumericalRank(tol));
            }
        Assert.True(decided >= cases / 2, $"{decided} of {cases} decided");
    }

    private static WeightMatrix Planted(int rows, int cols, double[] s, Rng rng)
    {
        var u = Matrix<double>.Build.Dense(rows, rows, (_, _) => rng.NextNormal()).QR().Q;
        var v = Matrix<double>.Build.Dense(cols, cols, (_, _) => rng.NextNormal()).QR().Q;
        var sig = Matrix<double>.Build.Dense(rows, cols);
        for (int i = 0; i < s.Length; i++) sig[i, i] = s[i];
        var m = u * sig * v.Transpose();
        var data = new double[rows * cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) data[i * cols + j] = m[i, j];
        return new WeightMatrix("planted", 0, rows, cols, data);
    }
}
