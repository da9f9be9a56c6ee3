using System.Numerics;

namespace Gradscope.Training;

using Gradscope.Nn;

/// <summary>
/// A probe: named scalar metrics measured at probe steps. Higher layers (Measures, Claims) plug
/// in their own probes through this interface; the trainer does not know them.
/// </summary>
public interface IProbe<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The metric names this probe writes, known before the run starts (they form the metrics.csv header).</summary>
    IReadOnlyList<string> Keys { get; }

    /// <summary>Measures at the context's step and writes values into <paramref name="row"/>.</summary>
    void Measure(ProbeContext<T> context, MetricRow row);
}

/// <summary>
/// Creates extra probes for a run whose element type is only known at run time (f32/f64 configs):
/// how a higher layer (Measures, Claims, the CLI) adds its probes to <see cref="TrainerRunner"/> runs.
/// </summary>
public interface IProbeProvider
{
    /// <summary>The probes to add to <paramref name="trainer"/> (called once, before the run starts).</summary>
    IEnumerable<IProbe<T>> Create<T>(Trainer<T> trainer) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Whether this provider records the config's <c>probes.measures</c> (the measure registry's provider does).</summary>
    bool ProvidesMeasures => false;
}

/// <summary>What a probe sees: the step, time, model and full evaluations of the train (and test) sets at the current weights.</summary>
public sealed class ProbeContext<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal ProbeContext(Sequential<T> model, ProbeEvaluation<T> train, ProbeEvaluation<T>? test)
    {
        Model = model; Train = train; Test = test;
    }

    /// <summary>Steps taken so far (the weights are W_step).</summary>
    public long Step { get; internal set; }
    /// <summary>Continuous time t.</summary>
    public double Time { get; internal set; }
    /// <summary>Wall-clock seconds of training so far (summed over resumes).</summary>
    public double WallSeconds { get; internal set; }
    /// <summary>Whether this is the final probe of the run.</summary>
    public bool IsLast { get; internal set; }
    /// <summary>The model.</summary>
    public Sequential<T> Model { get; }
    /// <summary>Evaluation of the training set at the current weights (already run).</summary>
    public ProbeEvaluation<T> Train { get; }
    /// <summary>Evaluation of the test set (already run), or null without a test set.</summary>
    public ProbeEvaluation<T>? Test { get; }
}

/// <summary>One row of named metrics, in insertion order; reused between probe steps.</summary>
public sealed class MetricRow
{
    private readonly List<string> _keys = [];
    private readonly Dictionary<string, double> _values = [];

    /// <summary>Sets metric <paramref name="key"/>.</summary>
    public void Set(string key, double value)
    {
        if (!_values.ContainsKey(key)) _keys.Add(key);
        _values[key] = value;
    }

    /// <summary>The value of <paramref name="key"/>, or null when unset.</summary>
    public double? Get(string key) => _values.TryGetValue(key, out var v) ? v : null;

    /// <summary>Keys in insertion order.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>Removes every metric.</summary>
    public void Clear() { _keys.Clear(); _values.Clear(); }
}
