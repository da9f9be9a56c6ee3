using System.Numerics;

namespace Gradscope.Autodiff;

/// <summary>y = max(x, 0) elementwise.</summary>
public sealed class ReluNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;

    internal void Setup(Node<T> x)
    {
        _x = x;
        var y = EnsureValue(x.Value.Shape);
        System.Numerics.Tensors.TensorPrimitives.Max(x.Value.Span, T.Zero, y.Span);
        RequiresGrad = x.RequiresGrad;
    }

    // NOTE: the derivative at exactly 0 is 0 (THEORY.md section 6 conventions).
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        var x = _x.Value.Span; var gy = Grad!.Span; var gx = _x.Grad!.Span;
        for (int i = 0; i < x.Length; i++)
            if (x[i] > T.Zero) gx[i] += gy[i];
    }
}

public static partial class Ops
{
    /// <summary>ReLU: y = max(x, 0); derivative 0 at exactly 0.</summary>
    public static Node<T> Relu<T>(this Tape<T> tape, Node<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<ReluNode<T>>();
        n.Setup(x);
        return n;
    }
}
