namespace Gradscope.Training;

using Gradscope.Data;

/// <summary>
/// AdaBoost with decision stumps (THEORY.md sections 3-4): coordinate descent on the exponential loss
/// sum_i exp(-y_i f(x_i)) over stumps, f = sum_t alpha_t h_t. Each round finds the stump of largest weighted
/// edge gamma = sum_i D_i y_i h(x_i) exactly (every feature, every threshold between distinct values, both
/// signs; each feature is sorted once), sets eps = (1 - gamma)/2, alpha = 1/2 ln((1 - eps)/eps) and
/// D_i proportional to exp(-y_i f(x_i)). Tracks the l1-normalized margin min_i y_i f(x_i) / ||alpha||_1.
/// Works on a binary <see cref="Dataset"/> (labels 0/1 used as y = -1/+1) directly, not on a network.
/// </summary>
public sealed class AdaBoost
{
    // NOTE: a perfect stump (eps = 0) would get alpha = infinity; its edge is capped at 1 - 1e-12 (alpha ~ 14).
    private const double MaxEdge = 1 - 1e-12;
    private readonly Dataset _data;
    private readonly int[][] _order;          // per feature: sample indices sorted by that feature
    private readonly double[] _y, _f, _d;
    private readonly List<AdaBoostRound> _rounds = [];
    private readonly List<(DecisionStump Stump, double Alpha)> _ensemble = [];

    /// <summary>Prepares boosting on <paramref name="data"/>; throws unless it is binary and non-empty.</summary>
    public AdaBoost(Dataset data)
    {
        if (data.Classes != 2) throw new ArgumentException($"AdaBoost: dataset '{data.Name}' has {data.Classes} classes; boosting needs binary labels 0/1.");
        if (data.N == 0) throw new ArgumentException($"AdaBoost: dataset '{data.Name}' is empty.");
        _data = data;
        int n = data.N, dim = data.D;
        _y = new double[n]; _f = new double[n]; _d = new double[n];
        for (int i = 0; i < n; i++) { _y[i] = data.Y[i] == 1 ? 1 : -1; _d[i] = 1.0 / n; }
        _order = new int[dim][];
        var keys = new double[n];
        for (int j = 0; j < dim; j++)
        {
            var idx = new int[n];
            for (int i = 0; i < n; i++) { idx[i] = i; keys[i] = data.X[i * dim + j]; }
            Array.Sort((double[])keys.Clone(), idx);
            _order[j] = idx;
        }
    }

    /// <summary>The rounds so far.</summary>
    public IReadOnlyList<AdaBoostRound> Rounds => _rounds;
    /// <summary>The weighted stumps (h_t, alpha_t).</summary>
    public IReadOnlyList<(DecisionStump Stump, double Alpha)> Ensemble => _ensemble;
    /// <summary>The current distribution D over samples.</summary>
    public ReadOnlySpan<double> Distribution => _d;
    /// <summary>f(x_i) on the training samples.</summary>
    public ReadOnlySpan<double> Scores => _f;
    /// <summary>||alpha||_1.</summary>
    public double AlphaL1 { get; private set; }

    /// <summary>
    /// The stump of largest weighted edge sum_i w_i y_i h(x_i) under weights <paramref name="weights"/>, and that edge
    /// (thresholds at midpoints between distinct sorted values, or below the minimum for a constant stump).
    /// </summary>
    public (DecisionStump Stump, double Edge) BestStump(ReadOnlySpan<double> weights)
    {
        int n = _data.N, dim = _data.D;
        var x = _data.X;
        double total = 0;
        for (int i = 0; i < n; i++) total += weights[i] * _y[i];
        var best = new DecisionStump(0, double.NegativeInfinity, total >= 0 ? 1 : -1);
        double bestEdge = Math.Abs(total);
        for (int j = 0; j < dim; j++)
        {
            var order = _order[j];
            double left = 0;   // sum over samples at or below the threshold of w_i y_i
            for (int r = 0; r < n; r++)
            {
                int i = order[r];
                left += weights[i] * _y[i];
                double xi = x[i * dim + j];
                if (r + 1 < n && x[order[r + 1] * dim + j] == xi) continue;   // only between distinct values
                if (r + 1 == n) break;
                double edge = total - 2 * left;   // edge of "+1 above threshold"; the other sign has -edge
                if (Math.Abs(edge) > bestEdge)
                {
                    bestEdge = Math.Abs(edge);
                    best = new DecisionStump(j, 0.5 * (xi + x[order[r + 1] * dim + j]), edge >= 0 ? 1 : -1);
                }
            }
        }
        return (best, bestEdge);
    }

    /// <summary>One boosting round; returns it.</summary>
    public AdaBoostRound Round()
    {
        int n = _data.N;
        var (stump, edge) = BestStump(_d);
        double e = Math.Min(edge, MaxEdge);
        double eps = (1 - e) / 2;
        double alpha = 0.5 * Math.Log((1 - eps) / eps);
        AlphaL1 += alpha;
        _ensemble.Add((stump, alpha));
        double minU = double.PositiveInfinity;
        int wrong = 0;
        for (int i = 0; i < n; i++)
        {
            _f[i] += alpha * stump.Predict(_data.Row(i));
            double u = _y[i] * _f[i];
            minU = Math.Min(minU, u);
            if (u <= 0) wrong++;
        }
        // D_i = exp(-u_i) / sum_j exp(-u_j), shifted by min u so it never underflows to all zeros.
        double z = 0;
        for (int i = 0; i < n; i++) { _d[i] = Math.Exp(-(_y[i] * _f[i] - minU)); z += _d[i]; }
        for (int i = 0; i < n; i++) _d[i] /= z;
        var round = new AdaBoostRound(stump, edge, (1 - edge) / 2, alpha, AlphaL1 > 0 ? minU / AlphaL1 : 0, (double)wrong / n);
        _rounds.Add(round);
        return round;
    }

    /// <summary>Runs <paramref name="rounds"/> rounds.</summary>
    public void Run(int rounds)
    {
        for (int t = 0; t < rounds; t++) Round();
    }

    /// <summary>f(x) = sum_t alpha_t h_t(x) for one sample's features.</summary>
    public double Predict(ReadOnlySpan<double> x)
    {
        if (x.Length != _data.D) throw new ArgumentException($"AdaBoost.Predict: {x.Length} features, expected {_data.D}.");
        double s = 0;
        foreach (var (stump, alpha) in _ensemble) s += alpha * stump.Predict(x);
        return s;
    }
}
