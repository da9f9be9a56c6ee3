using System.Numerics;

namespace Gradscope.Training;

using Gradscope.Autodiff;
using Gradscope.Losses;
using Gradscope.Nn;

/// <summary>
/// Gradient flow (THEORY.md section 4): dW/dt = -(grad L + lambda W), or with <see cref="LossScaled"/> the
/// loss-scaled flow dW/dt = -(grad log L + lambda W), integrated by the adaptive <see cref="DormandPrince{T}"/>
/// RK45 solver on the full batch. One <see cref="Step"/> is one accepted RK step;
/// <see cref="StepResult.TimeAdvanced"/> is the dt it took. The FSAL derivative, the next dt and the loss at
/// the current point are part of the saved state, so a resumed run is bit-identical.
/// For a network with ReLU layers the field is piecewise smooth: the solver steps on the smooth field of the
/// current activation pattern and <see cref="ReluEvents{T}"/> locates the times where a pre-activation crosses 0,
/// ends the step there and switches the pattern (chattering entries take a reported fallback step); nets
/// without ReLU take the plain RK45 path.
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
    private ReluEvents<T>? _events;

    /// <summary>Creates the flow with the solver's tolerances and the event location settings of ReLU nets.</summary>
    public GradientFlow(OdeTolerances tolerances, bool lossScaled = false, EventSettings? events = null)
    {
        Tolerances = tolerances; LossScaled = lossScaled;
        Events = events ?? new EventSettings();
        if (!(Events.TimeTolerance > 0) || !(Events.MinSeparation >= 0) || !(Events.FallbackMaxDt > 0))
            throw new ArgumentException($"GradientFlow: need event_tol > 0, event_min_gap >= 0 and fallback_max_dt > 0, got {Events.TimeTolerance}, {Events.MinSeparation}, {Events.FallbackMaxDt}.");
        _ = new DormandPrince<T>(0, tolerances);   // validates the settings now, naming the bad one
    }

    /// <summary>Creates the flow with default tolerances (atol = rtol = 1e-8).</summary>
    public GradientFlow(bool lossScaled = false) : this(new OdeTolerances(), lossScaled) { }

    /// <summary>Whether the field is -grad log L (loss-scaled flow).</summary>
    public bool LossScaled { get; }
    /// <summary>Solver tolerances.</summary>
    public OdeTolerances Tolerances { get; }
    /// <summary>Event location settings (used when the net has ReLU layers).</summary>
    public EventSettings Events { get; }
    /// <summary>Located pattern-change events so far (0 for nets without ReLU).</summary>
    public long EventCount => _events?.Events ?? 0;
    /// <summary>Fallback steps so far (chattering pre-activations; see <see cref="ReluEvents{T}"/>).</summary>
    public long FallbackSteps => _events?.FallbackSteps ?? 0;
    /// <summary>Largest estimated extra local error of a fallback step (solver error norm, 1 = at tolerance).</summary>
    public double MaxFallbackError => _events?.MaxFallbackError ?? 0;
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
        if (objective.Model.Layers.Any(l => l is Relu<T>)) _events ??= new ReluEvents<T>(Events);
        if (!objective.Model.Flat.AsSpan().SequenceEqual(_y)) { objective.Model.Flat.CopyTo(_y, 0); _ode.Invalidate(); if (_events is not null) _events.NeedsSync = true; }
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
        bool moved = !flat.AsSpan().SequenceEqual(_y);
        if (moved || context.WeightDecay != _lambda)
        {
            ode.Invalidate();
            flat.CopyTo(_y, 0);
            _lambda = context.WeightDecay;
            if (moved && _events is not null) _events.NeedsSync = true;
        }
        var events = _events;
        objective.Pattern = events?.Pattern;
        try
        {
            if (events is { NeedsSync: true }) { events.Resync(ode, _field!, Time, _y, 0); _current = _lastEval; }
            if (!ode.HasDerivative) { ode.EnsureDerivative(_field!, Time, _y); _current = _lastEval; }
            var before = _current;
            double t0 = Time;
            double dt = ode.Step(_field!, t0, _y);
            if (events is not null)
            {
                dt = events.AfterStep(ode, objective, _field!, t0, _y);
                if (events.NeedsSync) events.Resync(ode, _field!, t0 + dt, _y, dt);
            }
            Time += dt;
            _current = _lastEval;   // the last evaluation of an accepted step is at the new point (FSAL stage)
            _y.CopyTo(flat, 0);
            return new StepResult(before, dt);
        }
        finally { objective.Pattern = null; }
    }

    /// <inheritdoc/>
    public override void AddDiagnostics(IDictionary<string, double> final)
    {
        if (_ode is null) return;
        final["flow_max_step_error"] = _ode.MaxError;
        final["flow_rejected_steps"] = _ode.Rejections;
        final["flow_field_evaluations"] = _ode.Evaluations;
        if (_events is null) return;
        final["flow_events"] = _events.Events;
        final["flow_pattern_switches"] = _events.Switches;
        final["flow_fallback_steps"] = _events.FallbackSteps;
        final["flow_max_fallback_error"] = _events.MaxFallbackError;
        final["flow_locator_passes"] = _events.LocatorPasses;
    }

    /// <inheritdoc/>
    public override void SaveState(IDictionary<string, double[]> state)
    {
        if (_ode is null) return;
        AlgorithmState.Put(state, "flow.time", Time, _ode.Dt, _lambda, _ode.HasDerivative ? 1 : 0);
        AlgorithmState.Put(state, "flow.loss", _current.L, _current.LogL, _current.Correct, _current.Count);
        AlgorithmState.Put<T>(state, "flow.w", _y);
        AlgorithmState.Put<T>(state, "flow.derivative", _ode.Derivative);
        AlgorithmState.Put(state, "flow.solver", _ode.MaxError);
        _events?.Save(state);
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
        if (state.TryGetValue("flow.solver", out var solver) && solver.Length == 1) ode.MaxError = solver[0];
        if (_events is not null && state.ContainsKey("flow.events"))
        {
            // The pattern's layout comes from one Sync-mode forward pass at the saved point; the masks are then the saved ones.
            var obj = _objective!;
            _y.CopyTo(obj.Model.Flat, 0);
            obj.Pattern = _events.Pattern;
            try { _events.Pattern.Mode = PatternMode.Sync; obj.Evaluate(ReadOnlySpan<int>.Empty, gradient: false); }
            finally { _events.Pattern.Mode = PatternMode.Frozen; obj.Pattern = null; }
            _events.Layout();
            _events.Load(state, Name);
        }
        else if (_events is not null) _events.NeedsSync = true;
        if (s[3] != 0) { var tmp = new T[d.Length]; AlgorithmState.CopyTo<T>(d, tmp); ode.SetDerivative(tmp); }
        else ode.Invalidate();
    }
}
