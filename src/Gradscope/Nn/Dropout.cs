using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;
using Gradscope.Tensors;

/// <summary>
/// Inverted dropout (Srivastava et al. 2014, JMLR 15; PyTorch's nn.Dropout): at evaluation the identity; in training
/// y = x * m with m_i = 1/(1 - p) with probability 1 - p and 0 with probability p, independently per element, so that
/// E[y] = x. The backward pass multiplies by the same mask. p lies in [0, 1).
/// <para>
/// Determinism: the mask is a pure function of (seed, layer index, step, draw), where the trainer sets the seed and the step
/// before each step (<see cref="Sequential{T}.SetMaskClock"/>) and draw counts the training forward passes since then (a
/// line search evaluates more than once per step). So the same seed gives the same masks for any thread count, and a run
/// resumed from a checkpoint at step k draws exactly the masks the uninterrupted run drew from step k on.
/// </para>
/// </summary>
public sealed class Dropout<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _mask;
    private ulong _seed;
    private int _index;
    private long _step;
    private long _draw;

    /// <summary>Creates a dropout layer; throws ArgumentException unless 0 &lt;= <paramref name="p"/> &lt; 1.</summary>
    public Dropout(double p)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentException($"dropout probability p must be in [0, 1), got {p}.");
        P = p;
    }

    /// <summary>The probability of zeroing an element in training.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override string Kind => "dropout";

    /// <summary>True when p &gt; 0: training multiplies by a random mask, so the training map is not plain GD on a fixed net.</summary>
    public override bool IsStochastic => P > 0;

    /// <summary>The mask of the last training forward pass (null before one), for tests and diagnostics.</summary>
    public Tensor<T>? LastMask => _mask;

    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape) => (int[])inputShape.Clone();

    /// <summary>Sets the mask clock: masks from now on derive from (seed, layer index, step, draw = 0, 1, ...).</summary>
    public void SetClock(ulong seed, int layerIndex, long step) { _seed = seed; _index = layerIndex; _step = step; _draw = 0; }

    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training)
    {
        if (!training || P == 0) return x;
        if (_mask is null || !_mask.HasShape(x.Value.Shape)) _mask = new Tensor<T>(x.Value.Shape);
        // NOTE: a fresh mask buffer per layer is rewritten on every training pass; the tape's Mul node reads it during the
        // backward pass of the same evaluation, before the next forward pass overwrites it.
        var rng = new Rng(Mix(_seed, (ulong)_index, (ulong)_step, (ulong)_draw++));
        T keep = T.CreateChecked(1.0 / (1.0 - P));
        var m = _mask.Span;
        for (int i = 0; i < m.Length; i++) m[i] = rng.NextDouble() < P ? T.Zero : keep;
        return tape.Mul(x, tape.Input(_mask));
    }

    // SplitMix64 finalizer over the four coordinates, so that nearby (step, draw) pairs give unrelated generator seeds.
    private static ulong Mix(ulong a, ulong b, ulong c, ulong d)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (ulong v in (ReadOnlySpan<ulong>)[a, b, c, d])
        {
            h ^= v + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
            h ^= h >> 31;
        }
        return h;
    }
}
