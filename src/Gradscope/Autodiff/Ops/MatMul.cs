using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>y = a b: a (m, k), b (k, n), y (m, n).</summary>
public sealed class MatMulNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _a = null!, _b = null!;

    internal void Setup(Node<T> a, Node<T> b)
    {
        var av = a.Value; var bv = b.Value;
        if (av.Rank != 2 || bv.Rank != 2 || av.Shape[1] != bv.Shape[0])
            throw new ArgumentException($"MatMul: {Tensor<T>.ShapeString(av.Shape)} times {Tensor<T>.ShapeString(bv.Shape)}; expected (m, k) times (k, n).");
        _a = a; _b = b;
        int m = av.Shape[0], k = av.Shape[1], n = bv.Shape[1];
        var y = EnsureValue(m, n);
        Gemm.Multiply(false, false, m, n, k, T.One, av.Span, k, bv.Span, n, T.Zero, y.Span, n);
        RequiresGrad = a.RequiresGrad || b.RequiresGrad;
    }

    /// <inheritdoc/>
    protected internal override void Backward()
    {
        int m = _a.Value.Shape[0], k = _a.Value.Shape[1], n = _b.Value.Shape[1];
        var gy = Grad!.Span;
        // da (m, k) += gy (m, n) b^T (n, k)
        if (_a.RequiresGrad) Gemm.Multiply(false, true, m, k, n, T.One, gy, n, _b.Value.Span, n, T.One, _a.Grad!.Span, k);
        // db (k, n) += a^T (k, m) gy (m, n)
        if (_b.RequiresGrad) Gemm.Multiply(true, false, k, n, m, T.One, _a.Value.Span, k, gy, n, T.One, _b.Grad!.Span, n);
    }
}

public static partial class Ops
{
    /// <summary>Matrix product a (m, k) b (k, n) -> (m, n).</summary>
    /// <exception cref="ArgumentException">The operands are not matrices with matching inner dimension.</exception>
    public static Node<T> MatMul<T>(this Tape<T> tape, Node<T> a, Node<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<MatMulNode<T>>();
        n.Setup(a, b);
        return n;
    }
}
