using Gradscope.Data;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Algorithms;

public class AdaBoostTests
{
    /// <summary>Every distinct stump (constant ones, and thresholds at midpoints of distinct values, both signs).</summary>
    internal static List<DecisionStump> AllStumps(Dataset data)
    {
        var list = new List<DecisionStump> { new(0, double.NegativeInfinity, 1), new(0, double.NegativeInfinity, -1) };
        for (int j = 0; j < data.D; j++)
        {
            var v = Enumerable.Range(0, data.N).Select(i => data.X[i * data.D + j]).Distinct().OrderBy(x => x).ToArray();
            for (int k = 0; k + 1 < v.Length; k++)
                foreach (int s in new[] { 1, -1 }) list.Add(new DecisionStump(j, 0.5 * (v[k] + v[k + 1]), s));
        }
        return list;
    }

    private static double Y(Dataset data, int i) => data.Y[i] == 1 ? 1 : -1;

    /// <summary>Points in [-1, 1]^dim labelled by sign(sum_j x_j + 0.3 sin(3 x1)): no single stump separates them, sums of stumps do.</summary>
    internal static Dataset Diagonal(int n, ulong seed, int dim = 2)
    {
        var rng = new Rng(seed);
        var x = new double[dim * n]; var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            double s;
            do
            {
                for (int j = 0; j < dim; j++) x[dim * i + j] = 2 * rng.NextDouble() - 1;
                s = 0.3 * Math.Sin(3 * x[dim * i]);
                for (int j = 0; j < dim; j++) s += x[dim * i + j];
            } while (Math.Abs(s) < 0.15);
            y[i] = s > 0 ? 1 : 0;
        }
        return new Dataset("diagonal", x, y, [dim], 2);
    }

    [Fact]
    public void ExactStumpSearchMatchesBruteForce()
    {
        var data = Diagonal(30, 71);
        var boost = new AdaBoost(data);
        var stumps = AllStumps(data);
        var rng = new Rng(72);
        for (int trial = 0; trial < 20; trial++)
        {
            var w = Enumerable.Range(0, data.N).Select(_ => rng.NextDouble()).ToArray();
            double sum = w.Sum(); for (int i = 0; i < w.Length; i++) w[i] /= sum;
            double brute = stumps.Max(h => Enumerable.Range(0, data.N).Sum(i => w[i] * Y(data, i) * h.Predict(data.Row(i))));
            var (stump, edge) = boost.BestStump(w);
            double check = Enumerable.Range(0, data.N).Sum(i => w[i] * Y(data, i) * stump.Predict(data.Row(i)));
            Assert.Equal(brute, edge, 12);
            Assert.Equal(brute, check, 12);
        }
    }

    [Fact]
    public void RoundFollowsTheAdaBoostFormulas()
    {
        var data = Diagonal(30, 77);
        var boost = new AdaBoost(data);
        for (int t = 0; t < 5; t++)
        {
            var r = boost.Round();
            Assert.True(r.WeightedError > 0.01, $"round {t}: eps = {r.WeightedError}, edge {r.Edge}, {r.Stump}");
            Assert.Equal(0.5 * Math.Log((1 - r.WeightedError) / r.WeightedError), r.Alpha, 12);
            // After the reweighting the chosen stump has edge exactly 0 (exponential-loss line search).
            var d = boost.Distribution;
            double edge = 0;
            for (int i = 0; i < data.N; i++) edge += d[i] * Y(data, i) * r.Stump.Predict(data.Row(i));
            Assert.True(Math.Abs(edge) < 1e-12, $"round {t}: edge of the last stump under the new D is {edge}");
            double minM = Enumerable.Range(0, data.N).Min(i => Y(data, i) * boost.Predict(data.Row(i)));
            Assert.Equal(minM / boost.Ensemble.Sum(e => e.Alpha), r.Margin, 12);
        }
    }

    [Theory]
    [InlineData(2, 24, 74)]
    [InlineData(3, 40, 75)]
    public void BoostingMarginClaim(int dim, int n, ulong seed)
    {
        // THEORY claim "boosting-margin": with gamma_bar = max over convex stump combinations of the min l1 margin
        // (= min over distributions of the best edge, von Neumann), AdaBoost reaches margin >= gamma_bar/4 within
        // 8 ln n / gamma_bar^2 rounds. gamma_bar comes from an independent LP (simplex) on the game matrix.
        var data = Diagonal(n, seed, dim);
        var stumps = AllStumps(data);
        double gammaBar = GameValue(data, stumps);
        Assert.InRange(gammaBar, 0.01, 0.99);
        int rounds = (int)Math.Floor(8 * Math.Log(data.N) / (gammaBar * gammaBar));
        var boost = new AdaBoost(data);
        boost.Run(rounds);
        double best = boost.Rounds.Max(r => r.Margin);
        Console.WriteLine($"boosting-margin: gamma_bar = {gammaBar:g4}, rounds = {rounds}, best margin {best:g4}, final {boost.Rounds[^1].Margin:g4}");
        Assert.True(best >= gammaBar / 4, $"best l1 margin {best} < gamma_bar/4 = {gammaBar / 4} in {rounds} rounds");
        Assert.True(best <= gammaBar + 1e-9, $"margin {best} exceeds the max-margin value {gammaBar}");
    }

    /// <summary>
    /// Value of the zero-sum game M[i, j] = y_i h_j(x_i): with A = M + 2 &gt; 0, max 1^T p s.t. A^T p &lt;= 1, p &gt;= 0
    /// has optimum 1/v(A), and v(M) = v(A) - 2. Dense tableau simplex with Bland's rule.
    /// </summary>
    internal static double GameValue(Dataset data, List<DecisionStump> stumps)
    {
        int n = data.N, m = stumps.Count, cols = n + m + 1;
        var tab = new double[m + 1, cols];   // rows 0..m-1 constraints, row m objective (reduced costs)
        var basis = new int[m];
        for (int j = 0; j < m; j++)
        {
            for (int i = 0; i < n; i++) tab[j, i] = Y(data, i) * stumps[j].Predict(data.Row(i)) + 2;
            tab[j, n + j] = 1; tab[j, cols - 1] = 1; basis[j] = n + j;
        }
        for (int i = 0; i < n; i++) tab[m, i] = -1;
        while (true)
        {
            int enter = -1;
            for (int c = 0; c < n + m; c++) if (tab[m, c] < -1e-12) { enter = c; break; }
            if (enter < 0) break;
            int leave = -1; double bestRatio = double.PositiveInfinity;
            for (int r = 0; r < m; r++)
                if (tab[r, enter] > 1e-12)
                {
                    double ratio = tab[r, cols - 1] / tab[r, enter];
                    if (ratio < bestRatio - 1e-15 || (Math.Abs(ratio - bestRatio) <= 1e-15 && basis[r] < basis[leave])) { bestRatio = ratio; leave = r; }
                }
            Assert.True(leave >= 0, "LP unbounded");
            double piv = tab[leave, enter];
            for (int c = 0; c < cols; c++) tab[leave, c] /= piv;
            for (int r = 0; r <= m; r++)
                if (r != leave && tab[r, enter] != 0)
                {
                    double f = tab[r, enter];
                    for (int c = 0; c < cols; c++) tab[r, c] -= f * tab[leave, c];
                }
            basis[leave] = enter;
        }
        return 1 / tab[m, cols - 1] - 2;
    }

    [Fact]
    public void RejectsMulticlassData()
    {
        var data = new Dataset("three", [0.0, 1.0, 2.0], [0, 1, 2], [1], 3);
        Assert.Contains("3 classes", Assert.Throws<ArgumentException>(() => new AdaBoost(data)).Message);
    }
}
