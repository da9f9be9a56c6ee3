namespace Gradscope.Measures.PacBayes;

/// <summary>The step rule of the posterior optimization.</summary>
public enum PosteriorOptimizerKind
{
    /// <summary>RMSprop (TensorFlow 1 form), the paper's optimizer.</summary>
    RmsProp,
    /// <summary>Adam (Kingma &amp; Ba 2015).</summary>
    Adam,
}

/// <summary>
/// Settings of the PAC-Bayes posterior optimization and final bound, with the defaults of Dziugaite &amp; Roy 2017
/// (section 4) and their released code (gkdziugaite/pacbayes-opt): delta = 0.025, delta' = 0.01, grid c = 0.1,
/// b = 100, prior variance initialized at e^-6 (log prior std -3), posterior standard deviations initialized at
/// 2|w| (log_post_std = log(2|w|)), RMSprop at learning rate 1e-3 dropped to 1e-4 after a quarter of the run
/// (the released command: 1000 epochs, drop after 250).
/// </summary>
public sealed record PosteriorOptions
{
    /// <summary>Optimizer steps on the surrogate objective (default: the paper's 1000 epochs of 600 minibatches).</summary>
    public int Iterations { get; init; } = 600_000;
    /// <summary>Minibatch size of the surrogate loss.</summary>
    public int BatchSize { get; init; } = 100;
    /// <summary>The step rule (RMSprop as in the paper, or Adam).</summary>
    public PosteriorOptimizerKind Optimizer { get; init; } = PosteriorOptimizerKind.RmsProp;
    /// <summary>Learning rate of (w, log s, log lambda) before the drop.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Learning rate of log s and log lambda before the drop; null: <see cref="LearningRate"/> (the paper uses one rate).</summary>
    public double? SigmaLearningRate { get; init; }
    /// <summary>Fraction of the steps after which the learning rate is multiplied by <see cref="LearningRateDropFactor"/> (1: never).</summary>
    public double LearningRateDropAt { get; init; } = 0.25;
    /// <summary>The learning-rate drop factor (the released command: 0.1).</summary>
    public double LearningRateDropFactor { get; init; } = 0.1;
    /// <summary>Confidence of the PAC-Bayes step (0 &lt; delta &lt; 1).</summary>
    public double Delta { get; init; } = 0.025;
    /// <summary>Confidence of the Monte Carlo error bound (0 &lt; delta' &lt; 1).</summary>
    public double DeltaPrime { get; init; } = 0.01;
    /// <summary>Grid scale c in lambda = c exp(-j/b).</summary>
    public double GridC { get; init; } = 0.1;
    /// <summary>Grid resolution b in lambda = c exp(-j/b).</summary>
    public double GridB { get; init; } = 100;
    /// <summary>Largest grid index.</summary>
    public int GridMaxJ { get; init; } = 100_000;
    /// <summary>Initial prior variance lambda.</summary>
    public double InitialLambda { get; init; } = Math.Exp(-6);
    /// <summary>Initial posterior standard deviation = this times |w_i| (floored at 1e-6).</summary>
    public double InitialSigmaScale { get; init; } = 2.0;
    /// <summary>When set, every posterior standard deviation starts at this value instead of <see cref="InitialSigmaScale"/> |w_i|.</summary>
    public double? InitialSigma { get; init; }
    /// <summary>Monte Carlo passes over the training set for the final error estimate (each example gets a fresh weight draw); default 3: M = 180,000 trials on MNIST, at least the paper's m' = 150,000.</summary>
    public int McPasses { get; init; } = 3;
    /// <summary>A trained net whose training error exceeds this is refused (the bound needs a fitted net).</summary>
    public double MaxTrainError { get; init; } = 0.05;
    /// <summary>Seed of the weight noise (optimization and final Monte Carlo use independent streams).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws ArgumentOutOfRangeException naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!(Delta > 0 && Delta < 1)) throw new ArgumentOutOfRangeException(nameof(Delta), Delta, "PAC-Bayes: delta must lie in (0, 1).");
        if (!(DeltaPrime > 0 && DeltaPrime < 1)) throw new ArgumentOutOfRangeException(nameof(DeltaPrime), DeltaPrime, "PAC-Bayes: delta' must lie in (0, 1).");
        if (Iterations < 0) throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "PAC-Bayes: iterations must be >= 0.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "PAC-Bayes: batch size must be >= 1.");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "PAC-Bayes: learning rate must be positive.");
        if (SigmaLearningRate is double sl && !(sl > 0)) throw new ArgumentOutOfRangeException(nameof(SigmaLearningRate), sl, "PAC-Bayes: the sigma learning rate must be positive.");
        if (!(LearningRateDropAt >= 0 && LearningRateDropAt <= 1)) throw new ArgumentOutOfRangeException(nameof(LearningRateDropAt), LearningRateDropAt, "PAC-Bayes: the learning-rate drop point is a fraction of the steps in [0, 1].");
        if (!(LearningRateDropFactor > 0 && LearningRateDropFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(LearningRateDropFactor), LearningRateDropFactor, "PAC-Bayes: the learning-rate drop factor must lie in (0, 1].");
        if (!(InitialLambda > 0)) throw new ArgumentOutOfRangeException(nameof(InitialLambda), InitialLambda, "PAC-Bayes: the initial prior variance must be positive.");
        if (!(InitialSigmaScale > 0)) throw new ArgumentOutOfRangeException(nameof(InitialSigmaScale), InitialSigmaScale, "PAC-Bayes: the initial sigma scale must be positive.");
        if (InitialSigma is double s0 && !(s0 > 0 && double.IsFinite(s0))) throw new ArgumentOutOfRangeException(nameof(InitialSigma), s0, "PAC-Bayes: the initial sigma must be positive and finite.");
        if (McPasses < 1) throw new ArgumentOutOfRangeException(nameof(McPasses), McPasses, "PAC-Bayes: at least one Monte Carlo pass is needed.");
        _ = new LambdaGrid(GridC, GridB, GridMaxJ);
    }
}
