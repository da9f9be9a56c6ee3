using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Autodiff;

/// <summary>y = x^2 elementwise.</summary>
public sealed class SquareNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;

    internal void Setup(Node<T> x)
    {
        _x = x;
        TP.Multiply(x.Value.Span, x.Value.Span, EnsureValue(x.Value.Shape).Span);
        RequiresGrad = x.RequiresGrad;
    }

    // dx += 2 x gy
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        var x = _x.Value.Span; var gy = Grad!.Span; var gx = _x.Grad!.Span;
        T two = T.One + T.One;
        for (int i = 0; i < x.Length; i++) gx[i] += two * x[i] * gy[i];
    }
}

public static partial class Ops
{
    /// <summary>x^2 elementwise.</summary>
    public static Node<T> Square<T>(this Tape<T> tape, Node<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<SquareNode<T>>();
        n.Setup(x);
        return n;
    }
}
