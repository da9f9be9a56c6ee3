using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>y = softmax(x) over the last axis: y[r, k] = exp(x[r, k] - lse_r) (max-shifted, never overflows).</summary>
public sealed class SoftmaxNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;

    internal void Setup(Node<T> x)
    {
        _x = x;
        TensorOps.Softmax<T>(x.Value.Span, x.Value.Dim(-1), EnsureValue(x.Value.Shape).Span);
        RequiresGrad = x.RequiresGrad;
    }

    // dx[r, k] += y[r, k] (gy[r, k] - sum_j gy[r, j] y[r, j])
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        int cols = Value.Dim(-1);
        var y = Value.Span; var gy = Grad!.Span; var gx = _x.Grad!.Span;
        for (int o = 0; o < y.Length; o += cols)
        {
            var yr = y.Slice(o, cols); var gr = gy.Slice(o, cols);
            T dot = TP.Dot(yr, gr);
            for (int k = 0; k < cols; k++) gx[o + k] += yr[k] * (gr[k] - dot);
        }
    }
}

public static partial class Ops
{
    /// <summary>Softmax over the last axis.</summary>
    public static Node<T> Softmax<T>(this Tape<T> tape, Node<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<SoftmaxNode<T>>();
        n.Setup(x);
        return n;
    }
}
