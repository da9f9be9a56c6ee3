using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>y = x W^T: x (B, in), W (out, in) as in PyTorch, y (B, out).</summary>
public sealed class LinearNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!, _w = null!;

    internal void Setup(Node<T> x, Node<T> w)
    {
        var xs = x.Value; var ws = w.Value;
        if (xs.Rank != 2 || ws.Rank != 2 || xs.Shape[1] != ws.Shape[1])
            throw new ArgumentException($"Linear: input {Tensor<T>.ShapeString(xs.Shape)} does not match weight {Tensor<T>.ShapeString(ws.Shape)}; expected input (B, {(ws.Rank == 2 ? ws.Shape[1] : -1)}).");
        _x = x; _w = w;
        int b = xs.Shape[0], din = xs.Shape[1], dout = ws.Shape[0];
        var y = EnsureValue(b, dout);
        // y (B, out) = x (B, in) . W^T (in, out)
        Gemm.Multiply(false, true, b, dout, din, T.One, xs.Span, din, ws.Span, din, T.Zero, y.Span, dout);
        RequiresGrad = x.RequiresGrad || w.RequiresGrad;
    }

    /// <inheritdoc/>
    protected internal override void Backward()
    {
        int b = _x.Value.Shape[0], din = _x.Value.Shape[1], dout = _w.Value.Shape[0];
        var gy = Grad!.Span;
        // dW (out, in) += gy^T (out, B) . x (B, in)
        if (_w.RequiresGrad)
            Gemm.Multiply(true, false, dout, din, b, T.One, gy, dout, _x.Value.Span, din, T.One, _w.Grad!.Span, din);
        // dx (B, in) += gy (B, out) . W (out, in)
        if (_x.RequiresGrad)
            Gemm.Multiply(false, false, b, din, dout, T.One, gy, dout, _w.Value.Span, din, T.One, _x.Grad!.Span, din);
    }
}

public static partial class Ops
{
    /// <summary>y = x W^T (a dense layer without bias).</summary>
    public static Node<T> Linear<T>(this Tape<T> tape, Node<T> x, Node<T> w) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<LinearNode<T>>();
        n.Setup(x, w);
        return n;
    }
}
