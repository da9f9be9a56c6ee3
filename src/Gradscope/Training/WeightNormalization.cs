using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Training;

using Gradscope.Losses;

/// <summary>Granularity of the weight-normalization gain g_k.</summary>
public enum WeightNormMode
{
    /// <summary>One scalar g_k per layer, W_k = g_k V_k / ||V_k||_F.</summary>
    PerLayer,
    /// <summary>One g per output unit (row r), W_k[r,:] = g_k[r] V_k[r,:] / ||V_k[r,:]||.</summary>
    PerUnit,
}

/// <summary>
/// Weight normalization (Salimans &amp; Kingma 2016; THEORY.md section 4): every weight matrix is
/// reparameterized as W_k = g_k V_k / ||V_k|| (per layer, Frobenius norm, or per output unit, row norms) and
/// gradient steps are taken on (g, V) with the chain rule
/// dL/dg = &lt;dL/dW, V&gt;/||V||,  dL/dV = (g/||V||) (dL/dW - (dL/dg) V/||V||).
/// Weight decay lambda acts on the effective W (F = L + lambda/2 ||W||^2); other parameters (biases) take
/// plain GD steps. The model's <c>Flat</c> always holds the effective W. State: g and V.
/// </summary>
public sealed class WeightNormalization<T>(WeightNormMode mode = WeightNormMode.PerLayer, bool lossScaled = false) : Algorithm<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private WeightSegment[] _segments = [];
    private bool[] _isWeight = [];
    private T[] _v = [], _gradV = [], _gradW = [];
    private T[] _g = [], _gradG = [];
    private int[] _gOffset = [];
    private IReadOnlyDictionary<string, double[]>? _pending;

    /// <summary>Per layer or per output unit.</summary>
    public WeightNormMode Mode { get; } = mode;
    /// <summary>Whether the steps use grad log L instead of grad L (exponential-type losses; THEORY.md section 4's loss scaling).</summary>
    public bool LossScaled { get; } = lossScaled;
    /// <inheritdoc/>
    public override string Name => Mode == WeightNormMode.PerLayer ? "weight_norm" : "weight_norm_per_unit";
    /// <summary>The direction parameters V (aligned with Flat; only weight entries are used).</summary>
    public Span<T> V => _v;
    /// <summary>The gains g (per layer: one per weight matrix; per unit: one per row, layers concatenated).</summary>
    public Span<T> G => _g;
    /// <summary>dF/dV from the last <see cref="ChainRule"/>.</summary>
    public ReadOnlySpan<T> GradV => _gradV;
    /// <summary>dF/dg from the last <see cref="ChainRule"/>.</summary>
    public ReadOnlySpan<T> GradG => _gradG;

    private int UnitRows(WeightSegment s) => Mode == WeightNormMode.PerLayer ? 1 : s.Rows;

    /// <inheritdoc/>
    public override void Initialize(Objective<T> objective)
    {
        var model = objective.Model;
        if (_v.Length == model.ParameterCount && _pending is null) return;
        _segments = WeightSegment.Of(model, out _isWeight);
        _gOffset = new int[_segments.Length];
        int gCount = 0;
        for (int k = 0; k < _segments.Length; k++) { _gOffset[k] = gCount; gCount += UnitRows(_segments[k]); }
        int p = model.ParameterCount;
        _v = new T[p]; _gradV = new T[p]; _gradW = new T[p];
        _g = new T[gCount]; _gradG = new T[gCount];
        if (_pending is not null) { Apply(_pending); _pending = null; return; }
        // At initialization V = W and g = ||W|| (per layer or per row), so the WN net equals the given net.
        model.Flat.CopyTo(_v, 0);
        ForEachUnit((k, u, span) => _g[_gOffset[k] + u] = T.Sqrt(TensorPrimitives.Dot<T>(_v.AsSpan(span.Start, span.Length), _v.AsSpan(span.Start, span.Length))));
    }

    private delegate void UnitAction(int layer, int unit, (int Start, int Length) span);

    private void ForEachUnit(UnitAction action)
    {
        for (int k = 0; k < _segments.Length; k++)
        {
            var s = _segments[k];
            int units = UnitRows(s), len = s.Length / units;
            for (int u = 0; u < units; u++) action(k, u, (s.Offset + u * len, len));
        }
    }

    /// <summary>Writes the effective weights W = g V/||V|| into <paramref name="flat"/> (other entries untouched).</summary>
    public void Reparameterize(Span<T> flat)
    {
        for (int k = 0; k < _segments.Length; k++)
        {
            var s = _segments[k];
            int units = UnitRows(s), len = s.Length / units;
            for (int u = 0; u < units; u++)
            {
                var v = _v.AsSpan(s.Offset + u * len, len);
                T norm = T.Sqrt(TensorPrimitives.Dot<T>(v, v));
                TensorPrimitives.Multiply(v, _g[_gOffset[k] + u] / norm, flat.Slice(s.Offset + u * len, len));
            }
        }
    }

    /// <summary>Fills <see cref="GradG"/> and <see cref="GradV"/> from dF/dW (<paramref name="gradW"/>, aligned with Flat) by the chain rule.</summary>
    public void ChainRule(ReadOnlySpan<T> gradW)
    {
        for (int k = 0; k < _segments.Length; k++)
        {
            var s = _segments[k];
            int units = UnitRows(s), len = s.Length / units;
            for (int u = 0; u < units; u++)
            {
                int o = s.Offset + u * len;
                var v = _v.AsSpan(o, len);
                var gw = gradW.Slice(o, len);
                T norm = T.Sqrt(TensorPrimitives.Dot<T>(v, v));
                T gg = TensorPrimitives.Dot(gw, v) / norm;             // dL/dg = <dL/dW, V>/||V||
                _gradG[_gOffset[k] + u] = gg;
                T scale = _g[_gOffset[k] + u] / norm;
                // dL/dV = (g/||V||) (dL/dW - (dL/dg) V/||V||)
                TensorPrimitives.MultiplyAdd(v, -gg / norm, gw, _gradV.AsSpan(o, len));
                TensorPrimitives.Multiply(_gradV.AsSpan(o, len), scale, _gradV.AsSpan(o, len));
            }
        }
    }

    /// <inheritdoc/>
    public override StepResult Step(Objective<T> objective, ReadOnlySpan<int> batch, in StepContext context)
    {
        Initialize(objective);
        var eval = objective.Evaluate(batch, LossScaled ? LossOutput.Log : LossOutput.Value);
        var model = objective.Model;
        var w = model.Flat.AsSpan();
        T eta = T.CreateChecked(context.Eta), lam = T.CreateChecked(context.WeightDecay);
        TensorPrimitives.MultiplyAdd(w, lam, model.FlatGrad, _gradW);   // dF/dW = grad L + lambda W
        ChainRule(_gradW);
        TensorPrimitives.MultiplyAdd(_gradG, -eta, _g, _g);
        foreach (var s in _segments)
            TensorPrimitives.MultiplyAdd(_gradV.AsSpan(s.Offset, s.Length), -eta, _v.AsSpan(s.Offset, s.Length), _v.AsSpan(s.Offset, s.Length));
        for (int i = 0; i < w.Length; i++)
            if (!_isWeight[i]) w[i] -= eta * _gradW[i];
        Reparameterize(w);
        return new StepResult(eval, context.Eta);
    }

    /// <inheritdoc/>
    public override void SaveState(IDictionary<string, double[]> state)
    {
        AlgorithmState.Put<T>(state, "wn.g", _g);
        AlgorithmState.Put<T>(state, "wn.v", _v);
    }

    /// <inheritdoc/>
    public override void LoadState(IReadOnlyDictionary<string, double[]> state)
    {
        if (_v.Length == 0) { _pending = state; AlgorithmState.Get(state, Name, "wn.g"); AlgorithmState.Get(state, Name, "wn.v"); return; }
        Apply(state);
    }

    private void Apply(IReadOnlyDictionary<string, double[]> state)
    {
        AlgorithmState.CopyTo<T>(AlgorithmState.Get(state, Name, "wn.g", _g.Length), _g);
        AlgorithmState.CopyTo<T>(AlgorithmState.Get(state, Name, "wn.v", _v.Length), _v);
    }
}
