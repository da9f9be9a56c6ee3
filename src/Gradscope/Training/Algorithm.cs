using System.Numerics;

namespace Gradscope.Training;

/// <summary>What one iteration of an algorithm reports: the loss before the step, and how far continuous time advanced.</summary>
public readonly record struct StepResult(LossEval Before, double TimeAdvanced);

/// <summary>Per-step settings the trainer hands to an algorithm.</summary>
public readonly record struct StepContext(long Step, double Eta, double WeightDecay);

/// <summary>
/// One training algorithm of THEORY.md section 4 (GD, SGD, loss-scaled GD, gradient flow, WN, LM,
/// NMGD, ...). An algorithm updates <see cref="Nn.Sequential{T}.Flat"/> in place from the gradients
/// an <see cref="Objective{T}"/> computes; its extra state (momenta, rho/V, anchors, counters)
/// round-trips through <see cref="SaveState"/> / <see cref="LoadState"/> for bit-identical resume.
/// </summary>
public abstract class Algorithm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The config name ("gd", "sgd", "loss_scaled_gd", "flow", ...).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Whether one step moves the weights along the straight segment from W_k to W_k+1 and keeps no state of its own
    /// (GD, loss-scaled GD): then every point of the segment is the iterate of a shorter step, and a run with a loss
    /// target can end exactly where the loss crosses it (see <see cref="Trainer{T}"/>).
    /// </summary>
    public virtual bool StepsAlongSegment => false;

    /// <summary>Called once before the first step (or after a resume's LoadState) with the objective.</summary>
    public virtual void Initialize(Objective<T> objective) { }

    /// <summary>One iteration on the samples at <paramref name="batch"/> (all when empty).</summary>
    public abstract StepResult Step(Objective<T> objective, ReadOnlySpan<int> batch, in StepContext context);

    /// <summary>Adds the algorithm's own diagnostics (e.g. the flow's solver and event counts) to the run's final metrics (final.json).</summary>
    public virtual void AddDiagnostics(IDictionary<string, double> final) { }

    /// <summary>Writes extra state as named vectors (double precision, bit-exact for float and double).</summary>
    public virtual void SaveState(IDictionary<string, double[]> state) { }

    /// <summary>Restores what <see cref="SaveState"/> wrote; throws naming a missing or mis-sized entry.</summary>
    public virtual void LoadState(IReadOnlyDictionary<string, double[]> state) { }
}
