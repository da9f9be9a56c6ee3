using Gradscope.Measures;
using Gradscope.Tensors;
using Gradscope.Tests.Training.Algorithms;

namespace Gradscope.Tests.Measures;

public class StumpMaxMarginTests
{
    [Fact]
    public void MatrixGameMatchesClosedForms()
    {
        // matching pennies: value 0, both players uniform
        var pennies = MatrixGame.Solve(new double[,] { { 1, -1 }, { -1, 1 } });
        Assert.Equal(0, pennies.Value, 12);
        Assert.Equal(0.5, pennies.RowStrategy[0], 12);
        Assert.Equal(0.5, pennies.ColumnStrategy[0], 12);
        // 2 x 2 without a saddle point: v = (ad - bc) / (a + d - b - c)
        var g = MatrixGame.Solve(new double[,] { { 3, -1 }, { -2, 4 } });
        Assert.Equal((3.0 * 4 - (-1.0) * (-2)) / (3 + 4 + 1 + 2), g.Value, 12);
        // a saddle point: the column player's pure strategy 0 guarantees min(5, 4) = 4; the row player's row 1 caps at 4
        var s = MatrixGame.Solve(new double[,] { { 5, 1 }, { 4, 2 } });
        Assert.Equal(4, s.Value, 12);
    }

    [Fact]
    public void MatrixGameMatchesBruteForceOnTwoRowGames()
    {
        var rng = new Rng(5);
        for (int trial = 0; trial < 20; trial++)
        {
            int m = 2 + trial % 5;
            var a = new double[2, m];
            for (int j = 0; j < m; j++) { a[0, j] = rng.NextNormal(); a[1, j] = rng.NextNormal(); }
            // v = min over q in [0, 1] of max_j q a0j + (1 - q) a1j: convex piecewise linear, minimum at an end or a crossing
            double Upper(double q) => Enumerable.Range(0, m).Max(j => q * a[0, j] + (1 - q) * a[1, j]);
            var candidates = new List<double> { 0, 1 };
            for (int j = 0; j < m; j++)
                for (int k = j + 1; k < m; k++)
                {
                    double den = (a[0, j] - a[1, j]) - (a[0, k] - a[1, k]);
                    if (den != 0) { double q = (a[1, k] - a[1, j]) / den; if (q > 0 && q < 1) candidates.Add(q); }
                }
            double brute = candidates.Min(Upper);
            var r = MatrixGame.Solve(a);
            Assert.Equal(brute, r.Value, 10);
            Assert.Equal(brute, r.Lower, 10);
            Assert.Equal(brute, r.Upper, 10);
        }
    }

    [Fact]
    public void WarmStartedColumnsMatchSolvingFromScratch()
    {
        var rng = new Rng(9);
        for (int trial = 0; trial < 10; trial++)
        {
            int n = 30 + trial, k = 40;
            var m = new double[n, k];
            for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) m[i, j] = rng.NextDouble() < 0.55 ? 1 : -1;
            var game = new MatrixGame(n, 2);
            for (int j = 0; j < k; j++)
            {
                var col = Enumerable.Range(0, n).Select(i => m[i, j]).ToArray();
                var warm = game.AddColumn(col)!;
                var sub = new double[n, j + 1];
                for (int i = 0; i < n; i++) for (int c = 0; c <= j; c++) sub[i, c] = m[i, c];
                var cold = MatrixGame.Solve(sub);
                Assert.Equal(cold.Value, warm.Value, 9);
                Assert.Equal(cold.Value, warm.Lower, 9);
                Assert.Equal(cold.Value, warm.Upper, 9);
            }
        }
    }

    [Fact]
    public void MatrixGameRejectsEmptyAndNonFinite()
    {
        Assert.Throws<ArgumentException>(() => MatrixGame.Solve(new double[0, 3]));
        Assert.Throws<ArgumentException>(() => MatrixGame.Solve(new double[,] { { 1, double.NaN } }));
    }

    [Theory]
    [InlineData(2, 24, 74)]
    [InlineData(3, 30, 81)]
    public void ColumnGenerationMatchesTheFullStumpGame(int dim, int n, ulong seed)
    {
        // The reference: the game over every distinct stump, solved by the AdaBoost tests' own simplex.
        var data = AdaBoostTests.Diagonal(n, seed, dim);
        double full = AdaBoostTests.GameValue(data, AdaBoostTests.AllStumps(data));
        var r = StumpMaxMargin.Of(data);
        Assert.Equal(full, r.Value, 9);
        Assert.True(r.Upper - r.Lower <= 1e-9, $"certificates {r.Lower} .. {r.Upper}");
        // the lower certificate is the margin of the returned combination, recomputed here
        double min = double.PositiveInfinity;
        for (int i = 0; i < data.N; i++)
        {
            double f = 0;
            for (int j = 0; j < r.Stumps.Length; j++) f += r.Weights[j] * r.Stumps[j].Predict(data.Row(i));
            min = Math.Min(min, (data.Y[i] == 1 ? 1 : -1) * f);
        }
        Assert.Equal(r.Lower, min, 12);
        Assert.Equal(1, r.Weights.Sum(), 12);
    }
}
