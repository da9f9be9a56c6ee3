using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// y = sum of x over all elements (shape (1)), or along one axis (that axis removed):
/// y[a, c] = sum_k x[a, k, c].
/// </summary>
public sealed class SumNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;
    private int _outer, _n, _inner;

    internal void Setup(Node<T> x, int? axis)
    {
        _x = x;
        var xs = x.Value;
        if (axis is null)
        {
            (_outer, _n, _inner) = (1, xs.Length, 1);
            EnsureValue(1);
        }
        else
        {
            (_outer, _n, _inner) = TensorOps.Split(xs.Length, xs.Shape, axis.Value, "Sum");
            int ax = axis.Value < 0 ? axis.Value + xs.Rank : axis.Value;
            Span<int> shape = stackalloc int[Math.Max(1, xs.Rank - 1)];
            if (xs.Rank == 1) shape[0] = 1;
            else for (int i = 0, j = 0; i < xs.Rank; i++) if (i != ax) shape[j++] = xs.Shape[i];
            EnsureValue(shape);
        }
        var flat = xs.Span; var y = Value.Span;
        for (int a = 0; a < _outer; a++)
        {
            var d = y.Slice(a * _inner, _inner);
            d.Clear();
            for (int k = 0; k < _n; k++) TP.Add(d, flat.Slice((a * _n + k) * _inner, _inner), d);
        }
        RequiresGrad = x.RequiresGrad;
    }

    // dx[a, k, c] += gy[a, c] for every k
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        var gy = Grad!.Span; var gx = _x.Grad!.Span;
        for (int a = 0; a < _outer; a++)
        {
            var g = gy.Slice(a * _inner, _inner);
            for (int k = 0; k < _n; k++)
            {
                var d = gx.Slice((a * _n + k) * _inner, _inner);
                TP.Add(d, g, d);
            }
        }
    }
}

public static partial class Ops
{
    /// <summary>Sum over all elements (a (1)-shaped node), or along <paramref name="axis"/> (negative counts from the end).</summary>
    /// <exception cref="ArgumentException">The axis is out of range.</exception>
    public static Node<T> Sum<T>(this Tape<T> tape, Node<T> x, int? axis = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<SumNode<T>>();
        n.Setup(x, axis);
        return n;
    }

    /// <summary>Mean over all elements, or along <paramref name="axis"/>: the sum scaled by 1/count.</summary>
    /// <exception cref="ArgumentException">The axis is out of range.</exception>
    public static Node<T> Mean<T>(this Tape<T> tape, Node<T> x, int? axis = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = axis is null ? x.Value.Length : x.Value.Dim(axis.Value);
        return tape.Scale(tape.Sum(x, axis), T.One / T.CreateChecked(Math.Max(1, count)));
    }
}
