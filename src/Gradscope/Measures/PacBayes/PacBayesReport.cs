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
}
