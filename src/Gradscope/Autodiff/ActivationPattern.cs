using System.Numerics;

namespace Gradscope.Autodiff;

/// <summary>How the ReLU ops of a tape use an <see cref="ActivationPattern{T}"/>.</summary>
public enum PatternMode
{
    /// <summary>Each ReLU sets its mask from the sign of its input (mask = 1 iff u &gt; 0) and applies it: ordinary ReLU.</summary>
    Sync,
    /// <summary>Each ReLU applies its stored mask whatever the sign of its input: y = mask * u, a linear map.</summary>
    Frozen,
}

/// <summary>
/// The activation pattern of a network on a batch: for the k-th ReLU op of a forward pass, one 0/1 mask
/// entry per element of its input (the pre-activation u_k(x_i) of every unit at every sample), and the
/// pre-activations that pass recorded. With the pattern frozen, ReLU becomes y = D u for a fixed diagonal D,
/// so the network, its loss and its gradient are smooth (polynomial) in the weights: the vector field of
/// gradient flow on one piece of the piecewise-smooth ReLU landscape, extended past the piece's boundary.
/// An event-locating integrator integrates that smooth field and switches the mask where a pre-activation
/// crosses 0 (Du, Hu and Lee 2018 use the same per-piece view of the ReLU flow).
/// </summary>
public sealed class ActivationPattern<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<T[]> _masks = [];
    private readonly List<T[]> _pre = [];
    private int _cursor;

    /// <summary>Sync (ordinary ReLU, masks follow the signs) or Frozen (stored masks).</summary>
    public PatternMode Mode { get; set; } = PatternMode.Sync;

    /// <summary>Number of ReLU ops recorded so far (after one forward pass: the number of ReLU layers).</summary>
    public int Count => _masks.Count;

    /// <summary>The mask of the k-th ReLU op (1 = active, 0 = inactive), one entry per pre-activation.</summary>
    public T[] Mask(int k) => _masks[k];

    /// <summary>The pre-activations the k-th ReLU op saw in the last forward pass.</summary>
    public T[] PreActivations(int k) => _pre[k];

    /// <summary>Total number of mask entries (units x samples over every ReLU op).</summary>
    public long Entries { get { long s = 0; foreach (var m in _masks) s += m.Length; return s; } }

    /// <summary>Called by <see cref="Tape{T}.Reset"/>: the next ReLU op is op 0 again.</summary>
    internal void Rewind() => _cursor = 0;

    /// <summary>
    /// Records the pre-activations <paramref name="u"/> of the next ReLU op and returns its mask (set from the
    /// signs in Sync mode). Throws when a frozen pattern meets an op of another size (the batch changed).
    /// </summary>
    internal T[] Next(ReadOnlySpan<T> u)
    {
        int k = _cursor++;
        if (k == _masks.Count)
        {
            if (Mode == PatternMode.Frozen) throw new InvalidOperationException($"Activation pattern: ReLU op {k} has no frozen mask (the pattern holds {_masks.Count} ops).");
            _masks.Add(new T[u.Length]); _pre.Add(new T[u.Length]);
        }
        var mask = _masks[k];
        if (mask.Length != u.Length)
        {
            if (Mode == PatternMode.Frozen) throw new InvalidOperationException($"Activation pattern: ReLU op {k} has {u.Length} inputs, its frozen mask {mask.Length}.");
            _masks[k] = mask = new T[u.Length]; _pre[k] = new T[u.Length];
        }
        u.CopyTo(_pre[k]);
        if (Mode == PatternMode.Sync)
            for (int i = 0; i < u.Length; i++) mask[i] = u[i] > T.Zero ? T.One : T.Zero;
        return mask;
    }
}
