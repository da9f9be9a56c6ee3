using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Tensors;

/// <summary>Which reduction <see cref="TensorOps.Reduce{T}"/> computes.</summary>
public enum Reduction
{
    /// <summary>Sum of the elements.</summary>
    Sum,
    /// <summary>Mean of the elements.</summary>
    Mean,
    /// <summary>Maximum of the elements (NaN propagates).</summary>
    Max,
}

public static partial class TensorOps
{
    /// <summary>
    /// Reduces x (row-major, <paramref name="shape"/>) along <paramref name="axis"/> (negative counts from the end):
    /// dst has the shape with that axis removed, dst[a, c] = reduce_k x[a, k, c].
    /// </summary>
    /// <exception cref="ArgumentException">x does not fill the shape, the axis is out of range, the axis is empty for Max, or dst is too short.</exception>
    public static void Reduce<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> shape, int axis, Reduction kind, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (outer, n, inner) = Split(x.Length, shape, axis, "Reduce");
        if (dst.Length < outer * inner)
            throw new ArgumentException($"Reduce: destination has {dst.Length} elements, expected at least {outer * inner} for shape {Tensor<T>.ShapeString(shape)} reduced over axis {axis}.", nameof(dst));
        if (n == 0 && kind == Reduction.Max) throw new ArgumentException($"Reduce: the maximum over an empty axis {axis} of {Tensor<T>.ShapeString(shape)} is undefined.");
        for (int a = 0; a < outer; a++)
        {
            var d = dst.Slice(a * inner, inner);
            var block = x.Slice(a * n * inner, n * inner);
            if (inner == 1)
            {
                d[0] = kind switch { Reduction.Max => TP.Max(block), _ => TP.Sum(block) };
            }
            else
            {
                if (n == 0) { d.Clear(); continue; }
                block[..inner].CopyTo(d);
                for (int k = 1; k < n; k++)
                {
                    var s = block.Slice(k * inner, inner);
                    if (kind == Reduction.Max) TP.Max(d, s, d); else TP.Add(d, s, d);
                }
            }
            if (kind == Reduction.Mean) TP.Divide(d, T.CreateChecked(n), d);
        }
    }

    /// <summary>Splits a shape around an axis into (outer, axis length, inner) element counts.</summary>
    internal static (int Outer, int N, int Inner) Split(int length, ReadOnlySpan<int> shape, int axis, string op)
    {
        long total = 1; foreach (int s in shape) total *= s;
        if (total != length) throw new ArgumentException($"{op}: {length} elements do not fill shape {ShapeOf(shape)}.");
        int ax = axis < 0 ? axis + shape.Length : axis;
        if (ax < 0 || ax >= shape.Length) throw new ArgumentException($"{op}: axis {axis} is out of range for shape {ShapeOf(shape)}.");
        int outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= shape[i];
        for (int i = ax + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[ax], inner);
    }

    private static string ShapeOf(ReadOnlySpan<int> shape) => "(" + string.Join(", ", shape.ToArray()) + ")";
}
