using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>y = log softmax(x) over the last axis: y[r, k] = x[r, k] - lse_r, computed without forming softmax.</summary>
public sealed class LogSoftmaxNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;

    internal void Setup(Node<T> x)
    {
        _x = x;
        TensorOps.LogSoftmax<T>(x.Value.Span, x.Value.Dim(-1), EnsureValue(x.Value.Shape).Span);
        RequiresGrad = x.RequiresGrad;
    }

    // dx[r, k] += gy[r, k] - exp(y[r, k]) sum_j gy[r, j]
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        int cols = Value.Dim(-1);
        var y = Value.Span; var gy = Grad!.Span; var gx = _x.Grad!.Span;
        for (int o = 0; o < y.Length; o += cols)
        {
            T s = System.Numerics.Tensors.TensorPrimitives.Sum<T>(gy.Slice(o, cols));
            for (int k = 0; k < cols; k++) gx[o + k] += gy[o + k] - T.Exp(y[o + k]) * s;
        }
    }
}

public static partial class Ops
{
    /// <summary>Log-softmax over the last axis.</summary>
    public static Node<T> LogSoftmax<T>(this Tape<T> tape, Node<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<LogSoftmaxNode<T>>();
        n.Setup(x);
        return n;
    }
}
