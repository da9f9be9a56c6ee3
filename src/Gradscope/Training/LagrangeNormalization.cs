using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Training;

using Gradscope.Losses;

/// <summary>
/// Lagrange-multiplier (LM) normalization (THEORY.md section 4): W_k = rho_k V_k with ||V_k||_F = 1. A step
/// follows the flow dV_k = -rho_k (I - v_k v_k^T) g_k, drho_k = -&lt;V_k, g_k&gt; - lambda rho_k (g_k = dL/dW_k),
/// then renormalizes V_k to unit norm. The "global" variant keeps one scalar rho = prod_k rho_k with
/// f = rho f(x; V) (homogeneous nets only): W_k = c V_k with c = rho^(1/L), dV_k = -c (I - v v^T) g_k and
/// drho = -(1/(L c^(L-1))) sum_k &lt;V_k, g_k&gt; - lambda rho (the chain rule of L(rho f(V))).
/// Other parameters (biases) take plain GD steps. State: rho and V.
/// Options: <see cref="LossScaled"/> steps on g_k = d log L / dW_k (exponential-type losses; THEORY.md section 4's loss
/// scaling); <see cref="MatchedStep"/> replaces the direction step eta c_k by eta / c_k, the step of GD's direction
/// (for W = c V, GD moves V by -(eta / c_k) (I - v v^T) g_k to first order; the GD and LM flows of V_k differ by the
/// factor rho_k^2, Theory III, Banburski et al. 2019), so that LM and (loss-scaled) GD run at the same effective step. <see cref="Initialize"/> writes W = c V into
/// the model, which in the global variant rebalances the layers without changing f.
/// </summary>
public sealed class LagrangeNormalization<T> : Algorithm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private WeightSegment[] _segments = [];
    private bool[] _isWeight = [];
    private T[] _v = [];
    private double[] _rho = [];
    private IReadOnlyDictionary<string, double[]>? _pending;

    /// <summary>
    /// Creates the algorithm; <paramref name="global"/> selects the single-rho variant and <paramref name="directionRate"/>
    /// multiplies the step of the directions V_k (1: the LM flow; 0: only rho moves, an ablation with frozen directions).
    /// </summary>
    public LagrangeNormalization(bool global = false, double directionRate = 1, bool lossScaled = false, bool matchedStep = false)
    {
        if (!(directionRate >= 0)) throw new ArgumentException($"LagrangeNormalization: direction_rate must be >= 0, got {directionRate}.");
        Global = global; DirectionRate = directionRate; LossScaled = lossScaled; MatchedStep = matchedStep;
    }

    /// <summary>Whether the step uses g = grad log L instead of grad L.</summary>
    public bool LossScaled { get; }

    /// <summary>Whether the direction step is eta / c_k (GD's effective step on the sphere) instead of the LM flow's eta c_k.</summary>
    public bool MatchedStep { get; }

    /// <summary>The factor on the direction step (1 = the LM flow).</summary>
    public double DirectionRate { get; }

    /// <summary>Whether one global rho = prod rho_k is used.</summary>
    public bool Global { get; }
    /// <inheritdoc/>
    public override string Name => Global ? "lagrange_norm_global" : "lagrange_norm";
    /// <summary>The unit-norm directions V_k (aligned with Flat; only weight entries used).</summary>
    public ReadOnlySpan<T> V => _v;
    /// <summary>rho_k per layer, or the single global rho.</summary>
    public ReadOnlySpan<double> Rho => _rho;
    /// <summary>The weight segments W_k.</summary>
    public IReadOnlyList<WeightSegment> Segments => _segments;

    /// <inheritdoc/>
    public override void Initialize(Objective<T> objective)
    {
        var model = objective.Model;
        if (_v.Length == model.ParameterCount && _pending is null) return;
        if (Global && !model.IsHomogeneous)
            throw new ArgumentException($"{Name}: the global variant needs a homogeneous network (f = rho f(x; V)); this model has biases or batch norm.");
        _segments = WeightSegment.Of(model, out _isWeight);
        if (_segments.Length == 0) throw new ArgumentException($"{Name}: the model has no weight matrices.");
        _v = new T[model.ParameterCount];
        _rho = new double[Global ? 1 : _segments.Length];
        if (_pending is not null) { Apply(_pending); _pending = null; return; }
        model.Flat.CopyTo(_v, 0);
        double prod = 1;
        for (int k = 0; k < _segments.Length; k++)
        {
            var v = Seg(k);
            double n = Norm(v);
            if (!(n > 0)) throw new ArgumentException($"{Name}: weight matrix {k} is zero; V_k = W_k/||W_k|| is undefined.");
            TensorPrimitives.Multiply(v, T.CreateChecked(1 / n), v);
            if (Global) prod *= n; else _rho[k] = n;
        }
        if (Global) _rho[0] = prod;
        // NOTE: the global variant rebalances the layers (W_k = rho^(1/L) V_k): the same function f, new W.
        WriteWeights(model.Flat);
    }

    private Span<T> Seg(int k) => _v.AsSpan(_segments[k].Offset, _segments[k].Length);
    private static double Norm(ReadOnlySpan<T> v) => Math.Sqrt(double.CreateChecked(TensorPrimitives.Dot(v, v)));

    /// <summary>The scale c_k with W_k = c_k V_k: rho_k, or rho^(1/L) in the global variant.</summary>
    public double LayerScale(int k) => Global ? Math.Pow(_rho[0], 1.0 / _segments.Length) : _rho[k];

    /// <inheritdoc/>
    public override StepResult Step(Objective<T> objective, ReadOnlySpan<int> batch, in StepContext context)
    {
        Initialize(objective);
        var eval = objective.Evaluate(batch, LossScaled ? LossOutput.Log : LossOutput.Value);
        var model = objective.Model;
        var w = model.Flat.AsSpan();
        var grad = model.FlatGrad.AsSpan();
        double eta = context.Eta, lambda = context.WeightDecay;
        int layers = _segments.Length;
        double dotSum = 0;
        for (int k = 0; k < layers; k++)
        {
            var s = _segments[k];
            var v = Seg(k);
            var g = grad.Slice(s.Offset, s.Length);
            double c = LayerScale(k);
            double dot = double.CreateChecked(TensorPrimitives.Dot(v, g));   // <V_k, g_k>
            dotSum += dot;
            // V_k <- V_k - eta c (g_k - <v, g> v): the gradient projected on the sphere's tangent space
            // (matched step: eta / c, the first-order move of GD's direction V = W / ||W||).
            double etaV = (MatchedStep ? eta / c : eta * c) * DirectionRate;
            TensorPrimitives.MultiplyAdd(v, T.CreateChecked(etaV * dot), v, v);
            TensorPrimitives.MultiplyAdd(g, T.CreateChecked(-etaV), v, v);
            if (!Global) _rho[k] -= eta * (dot + lambda * _rho[k]);
        }
        if (Global)
        {
            double c = LayerScale(0);
            _rho[0] -= eta * (dotSum / (layers * Math.Pow(c, layers - 1)) + lambda * _rho[0]);
            if (!(_rho[0] > 0)) throw new InvalidOperationException($"{Name}: the global rho became {_rho[0]} (step size {eta} too large); rho^(1/L) is undefined.");
        }
        for (int k = 0; k < layers; k++)
        {
            var v = Seg(k);
            TensorPrimitives.Multiply(v, T.CreateChecked(1 / Norm(v)), v);   // back onto the unit sphere
        }
        T teta = T.CreateChecked(eta), tlam = T.CreateChecked(lambda);
        for (int i = 0; i < w.Length; i++)
            if (!_isWeight[i]) w[i] -= teta * (grad[i] + tlam * w[i]);
        WriteWeights(w);
        return new StepResult(eval, eta);
    }

    /// <summary>Writes W_k = c_k V_k into <paramref name="flat"/>.</summary>
    public void WriteWeights(Span<T> flat)
    {
        for (int k = 0; k < _segments.Length; k++)
            TensorPrimitives.Multiply(Seg(k), T.CreateChecked(LayerScale(k)), flat.Slice(_segments[k].Offset, _segments[k].Length));
    }

    /// <inheritdoc/>
    public override void SaveState(IDictionary<string, double[]> state)
    {
        AlgorithmState.Put(state, "lm.rho", _rho);
        AlgorithmState.Put<T>(state, "lm.v", _v);
    }

    /// <inheritdoc/>
    public override void LoadState(IReadOnlyDictionary<string, double[]> state)
    {
        if (_v.Length == 0) { _pending = state; AlgorithmState.Get(state, Name, "lm.rho"); AlgorithmState.Get(state, Name, "lm.v"); return; }
        Apply(state);
    }

    private void Apply(IReadOnlyDictionary<string, double[]> state)
    {
        AlgorithmState.Get(state, Name, "lm.rho", _rho.Length).CopyTo(_rho, 0);
        AlgorithmState.CopyTo<T>(AlgorithmState.Get(state, Name, "lm.v", _v.Length), _v);
    }
}
