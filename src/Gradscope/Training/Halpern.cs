using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Training;

using Gradscope.Losses;

/// <summary>The Halpern weights a_t = scale / (t + offset)^power (default 1/(t+2)); a_t -&gt; 0 and sum a_t = infinity need 0 &lt; power &lt;= 1.</summary>
public readonly record struct HalpernSchedule(double Scale = 1.0, double Offset = 2.0, double Power = 1.0)
{
    /// <summary>a_t for iteration t = 0, 1, ...; throws if it leaves [0, 1].</summary>
    public double At(long t)
    {
        double a = Scale / Math.Pow(t + Offset, Power);
        if (!(a >= 0 && a <= 1)) throw new InvalidOperationException($"Halpern schedule: a_{t} = {a} is outside [0, 1] (scale={Scale}, offset={Offset}, power={Power}).");
        return a;
    }
}

/// <summary>
/// The Halpern iteration on the GD map (THEORY.md section 4, NMGD): w_{t+1} = a_t u + (1 - a_t) T(w_t) with
/// T(w) = w - eta (grad L(w) + lambda w), anchor u and schedule a_t. It converges to the fixed point of T
/// nearest u (for u = 0: the minimum-norm minimizer). State: the anchor and the iteration counter t.
/// </summary>
public class Halpern<T> : Algorithm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[]? _anchor;
    private readonly double[]? _initialAnchor;

    /// <summary>Creates the iteration with anchor <paramref name="anchor"/> (null = 0) and schedule (default 1/(t+2)).</summary>
    public Halpern(double[]? anchor = null, HalpernSchedule? schedule = null)
    {
        _initialAnchor = anchor is null ? null : (double[])anchor.Clone();
        Schedule = schedule ?? new HalpernSchedule();
        if (!(Schedule.Power > 0 && Schedule.Power <= 1) || !(Schedule.Scale > 0))
            throw new ArgumentException($"{Name}: schedule needs scale > 0 and 0 < power <= 1 (a_t -> 0, sum a_t = infinity), got scale={Schedule.Scale}, power={Schedule.Power}.");
    }

    /// <summary>The schedule a_t.</summary>
    public HalpernSchedule Schedule { get; }
    /// <summary>Iterations taken (the t of the next a_t).</summary>
    public long Iteration { get; private set; }
    /// <summary>The anchor u (null before <see cref="Initialize"/>).</summary>
    public ReadOnlySpan<T> Anchor => _anchor;

    /// <inheritdoc/>
    public override string Name => "halpern";

    /// <inheritdoc/>
    public override void Initialize(Objective<T> objective)
    {
        int p = objective.Model.ParameterCount;
        if (_anchor is not null && _anchor.Length == p) return;
        if (_initialAnchor is not null && _initialAnchor.Length != p)
            throw new ArgumentException($"{Name}: anchor has {_initialAnchor.Length} values, the model has {p} parameters.");
        _anchor = new T[p];
        if (_initialAnchor is not null) AlgorithmState.CopyTo<T>(_initialAnchor, _anchor);
    }

    /// <inheritdoc/>
    public override StepResult Step(Objective<T> objective, ReadOnlySpan<int> batch, in StepContext context)
    {
        Initialize(objective);
        var eval = objective.Evaluate(batch, LossOutput.Value);
        var w = objective.Model.Flat.AsSpan();
        var g = objective.Model.FlatGrad.AsSpan();
        T eta = T.CreateChecked(context.Eta);
        if (context.WeightDecay != 0)
            TensorPrimitives.Multiply(w, T.One - eta * T.CreateChecked(context.WeightDecay), w);
        TensorPrimitives.MultiplyAdd(g, -eta, w, w);                 // w <- T(w)
        T a = T.CreateChecked(Schedule.At(Iteration));
        TensorPrimitives.Multiply(w, T.One - a, w);                  // w <- (1 - a) T(w) + a u
        TensorPrimitives.MultiplyAdd(_anchor!, a, w, w);
        Iteration++;
        return new StepResult(eval, context.Eta);
    }

    /// <inheritdoc/>
    public override void SaveState(IDictionary<string, double[]> state)
    {
        AlgorithmState.Put(state, "halpern.iteration", Iteration);
        if (_anchor is not null) AlgorithmState.Put<T>(state, "halpern.anchor", _anchor);
    }

    /// <inheritdoc/>
    public override void LoadState(IReadOnlyDictionary<string, double[]> state)
    {
        Iteration = (long)AlgorithmState.Get(state, Name, "halpern.iteration", 1)[0];
        var u = AlgorithmState.Get(state, Name, "halpern.anchor");
        if (_anchor is not null && _anchor.Length != u.Length)
            throw new ArgumentException($"{Name} state: entry 'halpern.anchor' has {u.Length} values, expected {_anchor.Length}.");
        _anchor ??= new T[u.Length];
        AlgorithmState.CopyTo<T>(u, _anchor);
    }
}
