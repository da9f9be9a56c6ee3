using System.Numerics;

namespace Gradscope.Training;

using Gradscope.Losses;

/// <summary>
/// Gradient flow (THEORY.md section 4): dW/dt = -(grad L + lambda W), or with <see cref="LossScaled"/> the
/// loss-scaled flow dW/dt = -(grad log L + lambda W), integrated by the adaptive <see cref="DormandPrince{T}"/>
/// RK45 solver on the full batch. One <see cref="Step"/> is one accepted RK step;
/// <see cref="StepResult.TimeAdvanced"/> is the dt it took. The FSAL derivative, the next dt and the loss at
/// the current point are part of the saved state, so a resumed run is bit-identical.
/// </summary>
public sealed class GradientFlow<T> : Algorithm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private DormandPrince<T>? _ode;
    private Objective<T>? _objective;
    private VectorField<T>? _field;
    private T[] _y = [];
    private double _lambda;
    private LossEval _current;        // loss at _y, from the evaluation that produced the FSAL derivative
    private LossEval _lastEval;
    private IReadOnlyDictionary<string, double[]>? _pending;

    /// <summary>Creates the flow with the solver's tolerances.</summary>
    public GradientFlow(OdeTolerances tolerances, bool lossScaled = false)
    {
        Tolerances = tolerances; LossScaled = lossScaled;
        _ = new DormandPrince<T>(0, tolerances);   // validates the settings now, naming the bad one
    }

    /// <summary>Creates the flow with default tolerances (atol = rtol = 1e-8).</summary>
    public GradientFlow(bool lossScaled = false) : this(new OdeTolerances(), lossScaled) { }

    /// <summary>Whether the field is -grad log L (loss-scaled flow).</summary>
    public bool LossScaled { get; }
    /// <summary>Solver tolerances.</summary>
    public OdeTolerances Tolerances { get; }
    /// <summary>Continuous time t integrated so far.</summary>
    public double Time { get; private set; }
    /// <summary>The integrator (null before <see cref="Initialize"/>).</summary>
    public DormandPrince<T>? Solver => _ode;

    /// <inheritdoc/>
    public override string Name => LossScaled ? "loss_scaled_flow" : "flow";

    /// <inheritdoc/>
    public override void Initialize(Objective<T> objective)
    {
        _objective = objective;
        int p = objective.Model.ParameterCount;
        if (_ode is null || _ode.Dimension != p)
        {
            _ode = new DormandPrince<T>(p, Tolerances);
            _y = new T[p];
        }
        _field ??= Field;
        if (!objective.Model.Flat.AsSpan().SequenceEqual(_y)) { objective.Model.Flat.CopyTo(_y, 0); _ode.Invalidate(); }
        if (_pending is not null) { Apply(_pending); _pending = null; }
    }

    private void Field(double t, ReadOnlySpan<T> w, Span<T> dwdt)
    {
        var obj = _objective!;
        w.CopyTo(obj.Model.Flat);
        _lastEval = obj.Evaluate(ReadOnlySpan<int>.Empty, LossScaled ? LossOutput.Log : LossOutput.Value);
        var g = obj.Model.FlatGrad;
        T lam = T.CreateChecked(_lambda);
        for (int i = 0; i < dwdt.Length; i++) dwdt[i] = -(g[i] + lam * w[i]);
    }

    /// <inheritdoc/>
    public override StepResult Step(Objective<T> objective, ReadOnlySpan<int> batch, in StepContext context)
    {
        if (_ode is null || !ReferenceEquals(objective, _objective)) Initialize(objective);
        if (!batch.IsEmpty && batch.Length != objective.Data.N)
            throw new ArgumentException($"{Name}: gradient flow is full-batch, got a batch of {batch.Length} of {objective.Data.N} samples.");
        var ode = _ode!;
        var flat = objective.Model.Flat;
        // The FSAL derivative belongs to (_y, lambda): recompute when the trainer moved W or changed lambda.
        if (!flat.AsSpan().SequenceEqual(_y) || context.WeightDecay != _lambda)
        {
            ode.Invalidate();
            flat.CopyTo(_y, 0);
            _lambda = context.WeightDecay;
        }
        if (!ode.HasDerivative) { ode.EnsureDerivative(_field!, Time, _y); _current = _lastEval; }
        var before = _current;
        double dt = ode.Step(_field!, Time, _y);
        Time += dt;
        _current = _lastEval;   // the last evaluation of an accepted step is at the new point (FSAL stage)
        _y.CopyTo(flat, 0);
        return new StepResult(before, dt);
    }

    /// <inheritdoc/>
    public override void SaveState(IDictionary<string, double[]> state)
    {
        if (_ode is null) return;
        AlgorithmState.Put(state, "flow.time", Time, _ode.Dt, _lambda, _ode.HasDerivative ? 1 : 0);
        AlgorithmState.Put(state, "flow.loss", _current.L, _current.LogL, _current.Correct, _current.Count);
        AlgorithmState.Put<T>(state, "flow.w", _y);
        AlgorithmState.Put<T>(state, "flow.derivative", _ode.Derivative);
    }

    /// <inheritdoc/>
    public override void LoadState(IReadOnlyDictionary<string, double[]> state)
    {
        if (_ode is null) { _pending = state; AlgorithmState.Get(state, Name, "flow.time", 4); return; }
        Apply(state);
    }

    private void Apply(IReadOnlyDictionary<string, double[]> state)
    {
        var ode = _ode!;
        var s = AlgorithmState.Get(state, Name, "flow.time", 4);
        var loss = AlgorithmState.Get(state, Name, "flow.loss", 4);
        var w = AlgorithmState.Get(state, Name, "flow.w", ode.Dimension);
        var d = AlgorithmState.Get(state, Name, "flow.derivative", ode.Dimension);
        Time = s[0]; ode.Dt = s[1]; _lambda = s[2];
        AlgorithmState.CopyTo<T>(w, _y);
        _current = new LossEval(loss[0], loss[1], (int)loss[2], (int)loss[3]);
        if (s[3] != 0) { var tmp = new T[d.Length]; AlgorithmState.CopyTo<T>(d, tmp); ode.SetDerivative(tmp); }
        else ode.Invalidate();
    }
}
