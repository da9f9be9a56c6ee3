using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Autodiff;

/// <summary>y = c x for a constant c.</summary>
public sealed class ScaleNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;
    private T _c;

    internal void Setup(Node<T> x, T c)
    {
        _x = x; _c = c;
        TP.Multiply(x.Value.Span, c, EnsureValue(x.Value.Shape).Span);
        RequiresGrad = x.RequiresGrad;
    }

    // dx += c gy
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (_x.RequiresGrad) TP.MultiplyAdd(Grad!.Span, _c, _x.Grad!.Span, _x.Grad!.Span);
    }
}

public static partial class Ops
{
    /// <summary>c x for a constant c.</summary>
    public static Node<T> Scale<T>(this Tape<T> tape, Node<T> x, T c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<ScaleNode<T>>();
        n.Setup(x, c);
        return n;
    }
}
