using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// y = x + b broadcast over channels: x (B, C) or (B, C, ...spatial), b (C).
/// </summary>
public sealed class AddBiasNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!, _b = null!;

    internal void Setup(Node<T> x, Node<T> b)
    {
        if (x.Value.Rank < 2 || b.Value.Rank != 1 || x.Value.Shape[1] != b.Value.Shape[0])
            throw new ArgumentException($"AddBias: input {Tensor<T>.ShapeString(x.Value.Shape)} does not match bias {Tensor<T>.ShapeString(b.Value.Shape)}; expected (B, {b.Value.Length}, ...).");
        _x = x; _b = b;
        var y = EnsureValue(x.Value.Shape);
        int batch = x.Value.Shape[0], c = x.Value.Shape[1], inner = x.Value.Length / Math.Max(1, batch * c);
        var xs = x.Value.Span; var bs = b.Value.Span; var ys = y.Span;
        for (int n = 0; n < batch; n++)
            for (int ch = 0; ch < c; ch++)
            {
                int o = (n * c + ch) * inner;
                System.Numerics.Tensors.TensorPrimitives.Add(xs.Slice(o, inner), bs[ch], ys.Slice(o, inner));
            }
        RequiresGrad = x.RequiresGrad || b.RequiresGrad;
    }

    /// <inheritdoc/>
    protected internal override void Backward()
    {
        var gy = Grad!.Span;
        if (_x.RequiresGrad) System.Numerics.Tensors.TensorPrimitives.Add(_x.Grad!.Span, gy, _x.Grad!.Span);
        if (_b.RequiresGrad)
        {
            int batch = _x.Value.Shape[0], c = _x.Value.Shape[1], inner = _x.Value.Length / Math.Max(1, batch * c);
            var gb = _b.Grad!.Span;
            for (int n = 0; n < batch; n++)
                for (int ch = 0; ch < c; ch++)
                    gb[ch] += System.Numerics.Tensors.TensorPrimitives.Sum<T>(gy.Slice((n * c + ch) * inner, inner));
        }
    }
}

public static partial class Ops
{
    /// <summary>Adds a per-channel bias (dimension 1) to x.</summary>
    public static Node<T> AddBias<T>(this Tape<T> tape, Node<T> x, Node<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<AddBiasNode<T>>();
        n.Setup(x, b);
        return n;
    }
}
