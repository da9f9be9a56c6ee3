using System.Numerics;

namespace Gradscope.Training;

using Gradscope.Losses;

/// <summary>
/// Maps algorithm.name to an <see cref="Algorithm{T}"/> (THEORY.md section 4). Algorithm-specific
/// keys are read through <see cref="TrainerOptions"/>, so unknown ones are rejected by name and line.
/// </summary>
public static class TrainerAlgorithms
{
    /// <summary>Names the factory knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gd", "sgd", "loss_scaled_gd"];

    /// <summary>Whether the algorithm takes minibatches (batch_size &gt; 0).</summary>
    public static bool IsMinibatch(TrainConfig c) => c.Algorithm.BatchSize > 0;

    /// <summary>Creates the algorithm of <paramref name="c"/>; throws <see cref="TrainConfigException"/> for unknown names or keys.</summary>
    public static Algorithm<T> Create<T>(TrainConfig c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = c.Algorithm;
        var o = new TrainerOptions(c, "algorithm", a.Options);
        bool expType = Loss.IsExponentialType(Loss.Parse(c.Loss.Kind));
        bool logSchedule = c.Schedule.Kind == ScheduleKind.LossScaled;
        if (logSchedule && !expType) throw c.Error("schedule.kind", $"loss_scaled needs an exponential-type loss (exponential, logistic, cross_entropy), got {c.Loss.Kind}");
        Algorithm<T> result;
        switch (a.Name)
        {
            case "gd":
                if (a.BatchSize != 0) throw c.Error("algorithm.batch_size", $"must be 0 for gd (full batch); use name: sgd for minibatches, got {a.BatchSize}");
                result = new Gd<T>(lossScaled: logSchedule);
                break;
            case "sgd":
                if (a.BatchSize < 1) throw c.Error("algorithm.batch_size", $"must be >= 1 for sgd, got {a.BatchSize}");
                result = new Gd<T>(lossScaled: logSchedule);
                break;
            case "loss_scaled_gd":
                if (!expType) throw c.Error("algorithm.name", $"loss_scaled_gd needs an exponential-type loss (exponential, logistic, cross_entropy), got {c.Loss.Kind}");
                result = new Gd<T>(lossScaled: true);
                break;
            default:
                throw c.Error("algorithm.name", $"is not a known algorithm, got '{a.Name}' (known: {string.Join(", ", Names)})");
        }
        if (logSchedule && a.Name is not ("gd" or "sgd" or "loss_scaled_gd"))
            throw c.Error("schedule.kind", $"loss_scaled is realized by stepping on grad log L and is available for gd and sgd; use the algorithm's own loss-scaled variant for '{a.Name}'");
        o.RejectUnknown($"algorithm '{a.Name}'");
        return result;
    }
}
