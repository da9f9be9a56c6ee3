namespace Gradscope.Training;

/// <summary>Step-size schedule kinds (config key schedule.kind).</summary>
public enum ScheduleKind
{
    /// <summary>eta_k = eta.</summary>
    Constant,
    /// <summary>Step decay: eta_k = eta * factor^floor(k / every).</summary>
    Step,
    /// <summary>Cosine annealing: eta_k = min + (eta - min) (1 + cos(pi min(k, total) / total)) / 2.</summary>
    Cosine,
    /// <summary>
    /// Loss-scaled step eta_k = eta / L(W_k) for exponential-type losses. Since
    /// (eta / L) grad L = eta grad log L, the trainer realizes it as a constant eta on grad log L
    /// (the loss-scaled mode of <see cref="Gd{T}"/>), which never underflows.
    /// </summary>
    LossScaled,
}

/// <summary>
/// A step-size schedule eta_k as a pure function of the step index k (0-based), so that a resumed
/// run recomputes exactly the same step sizes.
/// </summary>
public sealed class Schedule
{
    /// <summary>Creates a schedule; throws <see cref="ArgumentException"/> naming the bad value.</summary>
    public Schedule(ScheduleKind kind, double eta, double factor = 0.1, long every = 1, long total = 1, double minEta = 0)
    {
        if (!(eta > 0) || !double.IsFinite(eta)) throw new ArgumentException($"Schedule: eta must be > 0, got {eta}.");
        if (kind == ScheduleKind.Step)
        {
            if (!(factor > 0) || !double.IsFinite(factor)) throw new ArgumentException($"Schedule: factor must be > 0, got {factor}.");
            if (every < 1) throw new ArgumentException($"Schedule: every must be >= 1, got {every}.");
        }
        if (kind == ScheduleKind.Cosine)
        {
            if (total < 1) throw new ArgumentException($"Schedule: total must be >= 1, got {total}.");
            if (!(minEta >= 0) || minEta > eta) throw new ArgumentException($"Schedule: min_eta must lie in [0, eta = {eta}], got {minEta}.");
        }
        Kind = kind; Eta = eta; Factor = factor; Every = every; Total = total; MinEta = minEta;
    }

    /// <summary>The kind.</summary>
    public ScheduleKind Kind { get; }
    /// <summary>Base step size eta.</summary>
    public double Eta { get; }
    /// <summary>Decay factor of the step schedule.</summary>
    public double Factor { get; }
    /// <summary>Steps between decays of the step schedule.</summary>
    public long Every { get; }
    /// <summary>Length of the cosine schedule (eta stays at min after it).</summary>
    public long Total { get; }
    /// <summary>Final step size of the cosine schedule.</summary>
    public double MinEta { get; }

    /// <summary>Whether the algorithm must step along grad log L (loss-scaled schedule).</summary>
    public bool StepsOnLogLoss => Kind == ScheduleKind.LossScaled;

    /// <summary>The step size used by step <paramref name="k"/> (0-based): the closed forms of <see cref="ScheduleKind"/>.</summary>
    public double At(long k) => Kind switch
    {
        ScheduleKind.Step => Eta * Math.Pow(Factor, k / Every),
        ScheduleKind.Cosine => MinEta + (Eta - MinEta) * (1 + Math.Cos(Math.PI * Math.Min(k, Total) / Total)) / 2,
        _ => Eta,
    };
}
