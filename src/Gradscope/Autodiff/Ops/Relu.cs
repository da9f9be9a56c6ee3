using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>y = max(x, 0) elementwise.</summary>
public sealed class ReluNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;
    private T[]? _mask;   // the activation pattern's mask (y = mask * x), or null for the ordinary ReLU

    internal void Setup(Node<T> x, ActivationPattern<T>? pattern)
    {
        _x = x;
        var y = EnsureValue(x.Value.Shape);
        _mask = pattern?.Next(x.Value.Span);
        if (_mask is null) System.Numerics.Tensors.TensorPrimitives.Max(x.Value.Span, T.Zero, y.Span);
        else System.Numerics.Tensors.TensorPrimitives.Multiply(x.Value.Span, _mask, y.Span);
        RequiresGrad = x.RequiresGrad;
    }

    // NOTE: the derivative at exactly 0 is 0 (THEORY.md section 6 conventions). Under an activation pattern the
    // derivative is the mask, whatever the sign of x (in Sync mode the two agree).
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        var x = _x.Value.Span; var gy = Grad!.Span; var gx = _x.Grad!.Span;
        if (_mask is { } mask) TensorOps.MaskBackward<T>(mask.AsSpan(0, x.Length), gy, gx);
        else TensorOps.ReluBackward<T>(x, gy, gx);
    }
}

public static partial class Ops
{
    /// <summary>ReLU: y = max(x, 0); derivative 0 at exactly 0. With the tape's <see cref="Tape{T}.Pattern"/> set, y = mask * x.</summary>
    public static Node<T> Relu<T>(this Tape<T> tape, Node<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<ReluNode<T>>();
        n.Setup(x, tape.Pattern);
        return n;
    }
}
