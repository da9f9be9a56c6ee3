using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// y = log sum_k exp(x[..., k]) over the last axis (that axis removed; a vector gives shape (1)),
/// computed as m + log sum_k exp(x_k - m) with m the row maximum.
/// </summary>
public sealed class LogSumExpNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;

    internal void Setup(Node<T> x)
    {
        _x = x;
        var xs = x.Value;
        if (xs.Rank <= 1) EnsureValue(1);
        else EnsureValue(xs.Shape.AsSpan(0, xs.Rank - 1));
        TensorOps.LogSumExp<T>(xs.Span, xs.Dim(-1), Value.Span);
        RequiresGrad = x.RequiresGrad;
    }

    // dx[r, k] += gy[r] softmax(x)[r, k] = gy[r] exp(x[r, k] - y[r])
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        int cols = _x.Value.Dim(-1);
        var x = _x.Value.Span; var y = Value.Span; var gy = Grad!.Span; var gx = _x.Grad!.Span;
        for (int r = 0; r < y.Length; r++)
            for (int k = 0; k < cols; k++) gx[r * cols + k] += gy[r] * T.Exp(x[r * cols + k] - y[r]);
    }
}

public static partial class Ops
{
    /// <summary>Log-sum-exp over the last axis (no overflow: the row maximum is factored out).</summary>
    public static Node<T> LogSumExp<T>(this Tape<T> tape, Node<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<LogSumExpNode<T>>();
        n.Setup(x);
        return n;
    }
}
