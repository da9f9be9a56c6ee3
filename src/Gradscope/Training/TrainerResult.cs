namespace Gradscope.Training;

/// <summary>How a run ended.</summary>
public enum TrainerStatus
{
    /// <summary>A stopping rule ended the run.</summary>
    Completed,
    /// <summary>The session stopped early on request (<see cref="TrainerRunOptions.StopAfterSteps"/> or cancellation) after writing a checkpoint; resume continues it.</summary>
    Interrupted,
    /// <summary>NaN or Inf appeared in the loss, weights or gradients; the last good checkpoint is kept.</summary>
    NonFinite,
}

/// <summary>Options of one training session.</summary>
public sealed record TrainerRunOptions
{
    /// <summary>Run directory for config copy, metrics, checkpoints, log and final files; null keeps everything in memory.</summary>
    public string? RunDirectory { get; init; }
    /// <summary>Continue from the run directory's latest checkpoint.</summary>
    public bool Resume { get; init; }
    /// <summary>End this session (with a checkpoint) once this many total steps are done, as if interrupted.</summary>
    public long? StopAfterSteps { get; init; }
    /// <summary>Called with progress every <see cref="ProgressEvery"/> steps and at probe steps.</summary>
    public Action<TrainerProgress>? Progress { get; init; }
    /// <summary>Steps between progress calls (0: only at probes).</summary>
    public long ProgressEvery { get; init; }
    /// <summary>Extra probes (e.g. from Measures) added by <see cref="TrainerRunner"/> after the built-in ones; their keys join the metrics.csv header.</summary>
    public IReadOnlyList<IProbeProvider> ProbeProviders { get; init; } = [];
    /// <summary>Cancels the session at the next step; a checkpoint is written and the status is Interrupted.</summary>
    public CancellationToken Cancellation { get; init; }
    /// <summary>Where the config came from (the file and its command-line overrides), recorded as comment lines at the top of the run's config.yaml.</summary>
    public IReadOnlyList<string> ConfigProvenance { get; init; } = [];
}

/// <summary>A progress report: steps done, the step budget (if any), time t and the last minibatch/full-batch loss.</summary>
public readonly record struct TrainerProgress(long Step, long? TotalSteps, double Time, double? TotalTime, double Loss, double LogLoss, double Accuracy);

/// <summary>The outcome of a session.</summary>
public sealed record TrainerResult
{
    /// <summary>How the run ended.</summary>
    public TrainerStatus Status { get; init; }
    /// <summary>The stopping rule met (steps, time, loss, train_acc, margin, gamma), or a message for other statuses.</summary>
    public string? Reason { get; init; }
    /// <summary>Steps taken.</summary>
    public long Steps { get; init; }
    /// <summary>Continuous time t.</summary>
    public double Time { get; init; }
    /// <summary>Wall-clock seconds (summed over sessions).</summary>
    public double WallSeconds { get; init; }
    /// <summary>The final metrics (final.json) under registry keys: train_loss, train_log_loss, train_error, test_error, steps, time, wall_s and every last-probe metric.</summary>
    public IReadOnlyDictionary<string, double> Final { get; init; } = new Dictionary<string, double>();
    /// <summary>Accuracy on the training set at the final weights (correct / n; final.json records the registry's train_error = 1 - it).</summary>
    public double TrainAccuracy { get; init; }
    /// <summary>Accuracy on the test set at the final weights (final.json: test_error = 1 - it), or null without a test set.</summary>
    public double? TestAccuracy { get; init; }
    /// <summary>Every probe row of this session, in order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Rows { get; init; } = [];
}

/// <summary>NaN or Inf in the loss, weights or gradients: the message names the step and the tensor.</summary>
public sealed class TrainerNonFiniteException(string message, long step, string tensor) : Exception(message)
{
    /// <summary>The step whose update produced the value.</summary>
    public long Step { get; } = step;
    /// <summary>"loss", or "weight 0.weight" / "gradient 2.weight".</summary>
    public string Tensor { get; } = tensor;
}
