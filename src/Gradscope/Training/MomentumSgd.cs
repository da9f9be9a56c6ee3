using System.Numerics;
using System.Numerics.Tensors;
using Gradscope.Losses;

namespace Gradscope.Training;

/// <summary>
/// GD/SGD with heavy-ball or Nesterov momentum, exactly PyTorch's <c>torch.optim.SGD</c> update (outside
/// THEORY.md section 4's algorithms: the claims use plain GD/SGD):
/// g = grad L + lambda W;  b = g at the first step, else b = mu b + (1 - dampening) g;
/// d = g + mu b (Nesterov) or d = b;  W &lt;- W - eta d.
/// The buffer b round-trips through <see cref="SaveState"/> for bit-identical resume.
/// </summary>
public sealed class MomentumSgd<T> : Algorithm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _buffer = [];
    private T[] _direction = [];
    private bool _started;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="momentum">mu in (0, 1).</param>
    /// <param name="dampening">In [0, 1); PyTorch's default 0.</param>
    /// <param name="nesterov">Nesterov's variant (needs dampening 0, as in PyTorch).</param>
    /// <exception cref="ArgumentException">A value outside its range, or Nesterov with dampening.</exception>
    public MomentumSgd(double momentum, double dampening = 0, bool nesterov = false)
    {
        if (!(momentum > 0 && momentum < 1)) throw new ArgumentException($"momentum must be in (0, 1), got {momentum}");
        if (!(dampening >= 0 && dampening < 1)) throw new ArgumentException($"dampening must be in [0, 1), got {dampening}");
        if (nesterov && dampening != 0) throw new ArgumentException($"nesterov momentum needs dampening 0 (as in PyTorch), got {dampening}");
        Momentum = momentum; Dampening = dampening; Nesterov = nesterov;
    }

    /// <summary>mu.</summary>
    public double Momentum { get; }
    /// <summary>The dampening of the gradient's share of the buffer.</summary>
    public double Dampening { get; }
    /// <summary>Whether the step follows Nesterov's look-ahead direction.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    public override string Name => Nesterov ? "sgd_nesterov" : "sgd_momentum";

    /// <inheritdoc/>
    public override void Initialize(Objective<T> objective)
    {
        int p = objective.Model.Flat.Length;
        if (_buffer.Length != p) { _buffer = new T[p]; _started = false; }
        if (_direction.Length != p) _direction = new T[p];
    }

    /// <inheritdoc/>
    public override StepResult Step(Objective<T> objective, ReadOnlySpan<int> batch, in StepContext context)
    {
        var eval = objective.Evaluate(batch, LossOutput.Value);
        var w = objective.Model.Flat.AsSpan();
        var g = objective.Model.FlatGrad.AsSpan();
        var b = _buffer.AsSpan();
        var d = _direction.AsSpan();
        T mu = T.CreateChecked(Momentum);
        if (context.WeightDecay != 0) TensorPrimitives.MultiplyAdd(w, T.CreateChecked(context.WeightDecay), g, g);   // g += lambda W
        if (!_started) { g.CopyTo(b); _started = true; }                                                            // b = g
        else
        {
            TensorPrimitives.Multiply(b, mu, b);                                                                     // b = mu b + (1 - dampening) g
            TensorPrimitives.MultiplyAdd(g, T.One - T.CreateChecked(Dampening), b, b);
        }
        if (Nesterov) TensorPrimitives.MultiplyAdd(b, mu, g, d);                                                    // d = g + mu b
        else b.CopyTo(d);
        TensorPrimitives.MultiplyAdd(d, -T.CreateChecked(context.Eta), w, w);
        return new StepResult(eval, context.Eta);
    }

    /// <inheritdoc/>
    public override void SaveState(IDictionary<string, double[]> state)
    {
        var b = new double[_buffer.Length];
        for (int i = 0; i < b.Length; i++) b[i] = double.CreateChecked(_buffer[i]);
        state["momentum_buffer"] = b;
        state["momentum_started"] = [_started ? 1 : 0];
    }

    /// <inheritdoc/>
    public override void LoadState(IReadOnlyDictionary<string, double[]> state)
    {
        if (!state.TryGetValue("momentum_buffer", out var b) || !state.TryGetValue("momentum_started", out var s) || s.Length != 1)
            throw new InvalidDataException("the checkpoint has no momentum buffer (was it written by another algorithm?)");
        if (_buffer.Length != 0 && b.Length != _buffer.Length)
            throw new InvalidDataException($"the checkpoint's momentum buffer has {b.Length} entries, the model {_buffer.Length} parameters");
        _buffer = new T[b.Length];
        for (int i = 0; i < b.Length; i++) _buffer[i] = T.CreateChecked(b[i]);
        if (_direction.Length != b.Length) _direction = new T[b.Length];
        _started = s[0] != 0;
    }
}
