using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>A view of x with another shape (same element count); the gradient is reshaped back.</summary>
public sealed class ReshapeNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;
    private readonly int[] _shape = new int[8];
    private int _rank;

    internal void Setup(Node<T> x, ReadOnlySpan<int> shape)
    {
        _x = x;
        long n = 1;
        foreach (int s in shape) n *= s;
        if (n != x.Value.Length)
            throw new ArgumentException($"Reshape: cannot view {Tensor<T>.ShapeString(x.Value.Shape)} as {Tensor<T>.ShapeString(shape)}.");
        if (Value is null || Value.Buffer != x.Value.Buffer || Value.Offset != x.Value.Offset || !Value.HasShape(shape))
            Value = new Tensor<T>(x.Value.Buffer, x.Value.Offset, shape.ToArray());
        _rank = shape.Length;
        shape.CopyTo(_shape);
        RequiresGrad = x.RequiresGrad;
    }

    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        System.Numerics.Tensors.TensorPrimitives.Add(_x.Grad!.Span, Grad!.Span, _x.Grad!.Span);
    }
}

public static partial class Ops
{
    /// <summary>Views x with another shape (no copy).</summary>
    public static Node<T> Reshape<T>(this Tape<T> tape, Node<T> x, params ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<ReshapeNode<T>>();
        n.Setup(x, shape);
        return n;
    }
}
