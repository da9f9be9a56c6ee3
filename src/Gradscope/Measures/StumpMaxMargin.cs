namespace Gradscope.Measures;

using Gradscope.Data;
using Gradscope.Training;

/// <summary>
/// gamma_bar, the largest l1 margin any convex combination of decision stumps reaches on a binary dataset
/// (THEORY.md section 3, the "maximum possible margin" of the boosting-margin claim):
/// gamma_bar = max_{a in simplex} min_i y_i sum_j a_j h_j(x_i) = min_{D in simplex} max_h sum_i D_i y_i h(x_i),
/// the value of the game between samples and stumps. Solved by column generation: the game restricted to a
/// set S of stumps (<see cref="MatrixGame"/>, warm-started as S grows) gives a lower bound min_i (M_S a)_i and a distribution D; the
/// exact best stump under D (<see cref="AdaBoost.BestStump"/>) gives the upper bound max_h edge_D(h) and
/// joins S until the bounds meet within the tolerance.
/// </summary>
public static class StumpMaxMargin
{
    /// <summary>Computes gamma_bar with certified bounds; throws unless the dataset is binary.</summary>
    /// <param name="data">A binary dataset (labels 0/1 used as y = -1/+1).</param>
    /// <param name="tolerance">Stop when upper - lower &lt;= tolerance.</param>
    /// <param name="maxStumps">Largest restricted game; reaching it returns the bounds found so far.</param>
    /// <param name="progress">Receives the bounds after each restricted game (optional).</param>
    public static StumpMaxMarginResult Of(Dataset data, double tolerance = 1e-9, int maxStumps = 2000, Action<string>? progress = null)
    {
        var oracle = new AdaBoost(data);
        int n = data.N;
        var y = new double[n];
        for (int i = 0; i < n; i++) y[i] = data.Y[i] == 1 ? 1 : -1;
        var uniform = Enumerable.Repeat(1.0 / n, n).ToArray();
        var stumps = new List<DecisionStump> { oracle.BestStump(uniform).Stump };
        var columns = new List<double[]> { Column(stumps[0], data, y) };
        var game = new MatrixGame(n, 2);   // entries y_i h(x_i) are +-1, so A = M + 2 >= 1
        var solved = game.AddColumn(columns[0])!;
        double bestLower = double.NegativeInfinity, bestUpper = double.PositiveInfinity;
        double[] weights = [1.0];
        bool cold = false;
        while (true)
        {
            var (best, edge) = oracle.BestStump(solved.RowStrategy);
            if (solved.Lower > bestLower) { bestLower = solved.Lower; weights = solved.ColumnStrategy; }
            bestUpper = Math.Min(bestUpper, edge);
            progress?.Invoke($"gamma_bar in [{bestLower:G6}, {bestUpper:G6}] with {stumps.Count} stumps");
            bool known = stumps.Contains(best);
            if (bestUpper - bestLower <= tolerance || (known && cold) || stumps.Count >= maxStumps)
                return new StumpMaxMarginResult(bestLower, bestUpper, stumps.Take(weights.Length).ToArray(), weights);
            if (known)
            {
                // The warm-started tableau has drifted (its optimum is not exact): rebuild the restricted game from scratch.
                game = new MatrixGame(n, 2);
                foreach (var c in columns) game.AddColumn(c, optimize: false);
                solved = game.Optimize();
                cold = true;
                continue;
            }
            cold = false;
            stumps.Add(best);
            columns.Add(Column(best, data, y));
            solved = game.AddColumn(columns[^1])!;
        }
    }

    // M[i, j] = y_i h_j(x_i)
    private static double[] Column(DecisionStump h, Dataset data, double[] y)
    {
        var c = new double[data.N];
        for (int i = 0; i < c.Length; i++) c[i] = y[i] * h.Predict(data.Row(i));
        return c;
    }
}

/// <summary>
/// gamma_bar bracketed by certificates: <see cref="Lower"/> = min_i y_i sum_j a_j h_j(x_i) of the convex combination
/// (<see cref="Stumps"/>, <see cref="Weights"/>), and <see cref="Upper"/> = the best stump edge under the last distribution D.
/// </summary>
public sealed record StumpMaxMarginResult(double Lower, double Upper, DecisionStump[] Stumps, double[] Weights)
{
    /// <summary>The estimate of gamma_bar: the certified lower bound (the margin a combination actually reaches).</summary>
    public double Value => Lower;
}
