using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Autodiff;

/// <summary>y = a - b elementwise; b may broadcast (same shape, scalar, or trailing dimensions of a).</summary>
public sealed class SubNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _a = null!, _b = null!;

    internal void Setup(Node<T> a, Node<T> b)
    {
        int m = Broadcast.Period(a.Value, b.Value, "Sub");
        _a = a; _b = b;
        var y = EnsureValue(a.Value.Shape).Span;
        var av = a.Value.Span; var bv = b.Value.Span;
        if (m == 1) TP.Subtract(av, bv[0], y);
        else for (int o = 0; o < av.Length; o += m) TP.Subtract(av.Slice(o, m), bv, y.Slice(o, m));
        RequiresGrad = a.RequiresGrad || b.RequiresGrad;
    }

    // da += gy; db -= gy summed over the copies of b
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        var gy = Grad!.Span;
        if (_a.RequiresGrad) TP.Add(_a.Grad!.Span, gy, _a.Grad!.Span);
        if (_b.RequiresGrad)
        {
            var gb = _b.Grad!.Span;
            TP.Negate(gb, gb);
            Broadcast.AddReduced<T>(gy, gb);
            TP.Negate(gb, gb);
        }
    }
}

public static partial class Ops
{
    /// <summary>a - b (b broadcasts: same shape, scalar, or the trailing dimensions of a).</summary>
    /// <exception cref="ArgumentException">b cannot broadcast to a.</exception>
    public static Node<T> Sub<T>(this Tape<T> tape, Node<T> a, Node<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<SubNode<T>>();
        n.Setup(a, b);
        return n;
    }
}
