namespace Gradscope.Training;

/// <summary>
/// When a run ends (config section stop). Any rule that is set can end the run; the first one met
/// is reported. Steps and time are checked after every step; loss and accuracy thresholds are
/// checked on the full-batch loss the step computed at W_k (full batch) or on a full evaluation at
/// check steps (minibatch); margin thresholds need a forward pass and are checked at check steps.
/// </summary>
public sealed record StoppingRules
{
    /// <summary>Maximum number of steps (null: none).</summary>
    public long? Steps { get; init; }
    /// <summary>Maximum continuous time t = sum of step times (eta per GD step; flow time for flows).</summary>
    public double? Time { get; init; }
    /// <summary>
    /// Stop once the training loss L &lt;= this (compared as log L &lt;= log(value) for exponential-type losses, which
    /// never underflows). With full-batch GD or loss-scaled GD the run ends where the loss crosses the target: the last
    /// step is shortened (bisection on its length, <see cref="LossTargetLanding{T}"/>) so the final loss is at most the
    /// target and within 0.01% of it; final.json records the fraction as <c>last_step_fraction</c>. Other algorithms stop
    /// after the step that started at or below the target.
    /// </summary>
    public double? Loss { get; init; }
    /// <summary>Stop once training accuracy &gt;= this (in [0, 1]).</summary>
    public double? TrainAccuracy { get; init; }
    /// <summary>Stop once the minimum raw margin min_i m_i &gt;= this.</summary>
    public double? Margin { get; init; }
    /// <summary>Stop once the minimum normalized margin gamma = min_i m_i / rho &gt;= this.</summary>
    public double? Gamma { get; init; }
    /// <summary>Steps between evaluations of thresholds that need a full forward pass (default 1).</summary>
    public long CheckEvery { get; init; } = 1;

    /// <summary>Whether some rule bounds the run's length (steps or time).</summary>
    public bool IsBounded => Steps is not null || Time is not null;

    /// <summary>Whether a loss/accuracy rule is set.</summary>
    public bool NeedsLoss => Loss is not null || TrainAccuracy is not null;

    /// <summary>Whether a margin rule is set (needs the network outputs).</summary>
    public bool NeedsMargin => Margin is not null || Gamma is not null;

    /// <summary>The reason to stop after <paramref name="steps"/> steps at time <paramref name="time"/>, or null.</summary>
    public string? CheckBudget(long steps, double time)
    {
        if (Steps is long s && steps >= s) return "steps";
        if (Time is double t && time >= t) return "time";
        return null;
    }

    /// <summary>The reason to stop given the training loss (L, log L) and accuracy, or null.</summary>
    public string? CheckLoss(double l, double logL, double accuracy, bool exponentialType)
    {
        if (Loss is double target && (exponentialType ? logL <= Math.Log(target) : l <= target)) return "loss";
        if (TrainAccuracy is double a && accuracy >= a) return "train_acc";
        return null;
    }

    /// <summary>Whether the loss target is met by <paramref name="measured"/> (log L for exponential-type losses, else L).</summary>
    public bool LossReached(double measured, bool exponentialType) =>
        Loss is double target && measured <= (exponentialType ? Math.Log(target) : target);

    /// <summary>The reason to stop given the minimum raw and normalized margins, or null.</summary>
    public string? CheckMargin(double minMargin, double gamma)
    {
        if (Margin is double m && minMargin >= m) return "margin";
        if (Gamma is double g && gamma >= g) return "gamma";
        return null;
    }
}
