using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Autodiff;

/// <summary>y = log(x) elementwise (natural log).</summary>
public sealed class LogNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;

    internal void Setup(Node<T> x)
    {
        _x = x;
        TP.Log(x.Value.Span, EnsureValue(x.Value.Shape).Span);
        RequiresGrad = x.RequiresGrad;
    }

    // dx += gy / x
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        var x = _x.Value.Span; var gy = Grad!.Span; var gx = _x.Grad!.Span;
        for (int i = 0; i < x.Length; i++) gx[i] += gy[i] / x[i];
    }
}

public static partial class Ops
{
    /// <summary>log(x) elementwise (NaN for x &lt; 0, -inf at 0). For log of a sum of exponentials use <see cref="LogSumExp{T}"/>.</summary>
    public static Node<T> Log<T>(this Tape<T> tape, Node<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<LogNode<T>>();
        n.Setup(x);
        return n;
    }
}
