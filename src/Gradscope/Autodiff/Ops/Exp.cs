using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Autodiff;

/// <summary>y = exp(x) elementwise.</summary>
public sealed class ExpNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;

    internal void Setup(Node<T> x)
    {
        _x = x;
        TP.Exp(x.Value.Span, EnsureValue(x.Value.Shape).Span);
        RequiresGrad = x.RequiresGrad;
    }

    // dx += gy exp(x) = gy y
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (_x.RequiresGrad) TP.MultiplyAdd(Grad!.Span, Value.Span, _x.Grad!.Span, _x.Grad!.Span);
    }
}

public static partial class Ops
{
    /// <summary>exp(x) elementwise (overflows to +inf past ~709 in float64, ~88 in float32).</summary>
    public static Node<T> Exp<T>(this Tape<T> tape, Node<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<ExpNode<T>>();
        n.Setup(x);
        return n;
    }
}
