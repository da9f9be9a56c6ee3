namespace Gradscope.Measures.PacBayes;

/// <summary>
/// Every number of one PAC-Bayes bound computation (see <see cref="PacBayesComputation"/>). The bound holds
/// with probability at least 1 - Delta - DeltaPrime over the training sample and the Monte Carlo draws.
/// </summary>
public sealed record PacBayesReport
{
    /// <summary>The bound on the stochastic classifier's error: kl^-1(TrainErrorMcBound, (Kl + UnionCost + ConfidenceTerm) / N).</summary>
    public required double Bound { get; init; }
    /// <summary>KL(Q || N(w0, lambda_j I)) at the chosen grid point.</summary>
    public required double Kl { get; init; }
    /// <summary>Monte Carlo estimate of the posterior's training error.</summary>
    public required double TrainErrorMc { get; init; }
    /// <summary>Langford-Caruana bound kl^-1(TrainErrorMc, ln(2/delta') / M) on the posterior's training error.</summary>
    public required double TrainErrorMcBound { get; init; }
    /// <summary>Number of Monte Carlo trials M (examples times passes, each with a fresh weight draw).</summary>
    public required long M { get; init; }
    /// <summary>Training error of the trained (deterministic) net.</summary>
    public required double TrainErrorDeterministic { get; init; }
    /// <summary>Test error of the stochastic net (one fresh weight draw per test example); NaN without a test set.</summary>
    public required double TestErrorStochastic { get; init; }
    /// <summary>Test error of the trained (deterministic) net; NaN without a test set.</summary>
    public required double TestErrorDeterministic { get; init; }
    /// <summary>Chosen grid index j.</summary>
    public required int J { get; init; }
    /// <summary>Prior variance lambda_j = c exp(-j/b) used in the bound.</summary>
    public required double Lambda { get; init; }
    /// <summary>The optimizer's continuous prior variance before rounding to the grid.</summary>
    public required double LambdaContinuous { get; init; }
    /// <summary>ln(pi^2 j^2 / 6).</summary>
    public required double UnionCost { get; init; }
    /// <summary>ln(2 sqrt(n) / delta).</summary>
    public required double ConfidenceTerm { get; init; }
    /// <summary>(Kl + UnionCost + ConfidenceTerm) / N.</summary>
    public required double Budget { get; init; }
    /// <summary>Training set size n.</summary>
    public required int N { get; init; }
    /// <summary>Number of parameters.</summary>
    public required int Parameters { get; init; }
    /// <summary>Confidence of the PAC-Bayes step.</summary>
    public required double Delta { get; init; }
    /// <summary>Confidence of the Monte Carlo step.</summary>
    public required double DeltaPrime { get; init; }
    /// <summary>||w - w0||_2 of the optimized posterior mean.</summary>
    public required double DistanceFromInit { get; init; }
    /// <summary>Mean posterior standard deviation.</summary>
    public required double MeanSigma { get; init; }
    /// <summary>Final surrogate objective.</summary>
    public required double FinalObjective { get; init; }
    /// <summary>Optimizer steps.</summary>
    public required int Steps { get; init; }
    /// <summary>Seconds of the posterior optimization and the final bound.</summary>
    public double Seconds { get; init; }

    /// <summary>
    /// The report's numbers under stable dotted keys, the registry's <c>pacbayes.*</c> entries (one row each: key, symbol,
    /// definition, value): the one table both the registry and <c>gradscope bound pac-bayes</c>'s bound.json read.
    /// </summary>
    public static IReadOnlyList<(string Key, string Symbol, string Formula, Func<PacBayesReport, double> Value)> Keys { get; } =
    [
        ("pacbayes.bound", "kl^-1(e_bar, B)", "PAC-Bayes-kl bound on the error of the stochastic net Q: kl^-1(pacbayes.train_error_mc_bound, pacbayes.budget), holding with probability >= 1 - delta - delta' (Dziugaite & Roy 2017)", r => r.Bound),
        ("pacbayes.kl", "KL(Q || P_j)", "KL divergence of the optimized posterior N(w, diag s^2) from the prior N(w0, lambda_j I)", r => r.Kl),
        ("pacbayes.train_error_mc", "e_hat(Q)", "Monte Carlo estimate of Q's training error: one fresh weight draw per example and pass, M trials", r => r.TrainErrorMc),
        ("pacbayes.train_error_mc_bound", "e_bar(Q)", "Langford-Caruana bound kl^-1(e_hat, ln(2 / delta') / M) on Q's training error", r => r.TrainErrorMcBound),
        ("pacbayes.mc_trials", "M", "Monte Carlo trials of e_hat (training examples times passes)", r => r.M),
        ("pacbayes.test_error_stochastic", "err_test(Q)", "test error of Q, one fresh weight draw per test example (with a test split)", r => r.TestErrorStochastic),
        ("pacbayes.grid_index", "j", "grid index of the prior variance chosen (the better of the two grid points around the optimized lambda)", r => r.J),
        ("pacbayes.lambda", "lambda_j", "prior variance c exp(-j / b) of the bound", r => r.Lambda),
        ("pacbayes.lambda_continuous", "lambda", "the optimized prior variance before rounding to the grid", r => r.LambdaContinuous),
        ("pacbayes.union_cost", "ln(pi^2 j^2 / 6)", "cost of the union bound over the grid", r => r.UnionCost),
        ("pacbayes.confidence_term", "ln(2 sqrt(n) / delta)", "confidence term of the PAC-Bayes-kl bound", r => r.ConfidenceTerm),
        ("pacbayes.budget", "B", "(KL + union cost + confidence term) / n, the second argument of kl^-1", r => r.Budget),
        ("pacbayes.confidence", "1 - delta - delta'", "probability with which pacbayes.bound holds (over the sample and the Monte Carlo draws)", r => 1 - r.Delta - r.DeltaPrime),
        ("pacbayes.distance_from_init", "||w - w0||", "distance of the posterior mean from the prior mean (the weights at initialization)", r => r.DistanceFromInit),
        ("pacbayes.mean_sigma", "mean_i s_i", "mean posterior standard deviation", r => r.MeanSigma),
        ("pacbayes.objective", "R + surrogate", "final surrogate objective of the posterior optimization", r => r.FinalObjective),
        ("pacbayes.steps", "steps", "posterior optimization steps taken", r => r.Steps),
    ];

    /// <summary>
    /// Every finite number of the report under its key: the <see cref="Keys"/>, and the deterministic net's <c>train_error</c>,
    /// <c>test_error</c> and <c>n_params</c> under the registry's keys for those quantities.
    /// </summary>
    public IReadOnlyDictionary<string, double> Measures()
    {
        var d = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, _, _, value) in Keys) d[key] = value(this);
        d["train_error"] = TrainErrorDeterministic;
        d["test_error"] = TestErrorDeterministic;
        d["n_params"] = Parameters;
        foreach (var k in d.Where(p => !double.IsFinite(p.Value)).Select(p => p.Key).ToList()) d.Remove(k);
        return d;
    }
}
