using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// The broadcasting rule of the elementwise binary ops: b has a's shape, or b is a scalar (one element),
/// or b's shape (leading 1s dropped) equals the trailing dimensions of a's shape (a row, a (C, H, W) block).
/// Then a is a whole number of copies of b laid end to end, and b's gradient sums over the copies.
/// </summary>
internal static class Broadcast
{
    /// <summary>Checks the rule and returns b.Length (the period of b along a); throws naming the op and both shapes.</summary>
    public static int Period<T>(Tensor<T> a, Tensor<T> b, string op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (b.Length == 1 || a.HasShape(b.Shape)) return b.Length;
        int lead = 0;
        while (lead < b.Rank && b.Shape[lead] == 1) lead++;
        var bs = b.Shape.AsSpan(lead);
        if (bs.Length <= a.Rank && a.Shape.AsSpan(a.Rank - bs.Length).SequenceEqual(bs)) return b.Length;
        throw new ArgumentException($"{op}: cannot broadcast {Tensor<T>.ShapeString(b.Shape)} to {Tensor<T>.ShapeString(a.Shape)}; the second operand must have the same shape, one element, or the trailing dimensions of the first.");
    }

    /// <summary>gb[k] += sum over copies r of g[r m + k] (m = gb.Length).</summary>
    public static void AddReduced<T>(ReadOnlySpan<T> g, Span<T> gb) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = gb.Length;
        if (m == 1) { gb[0] += System.Numerics.Tensors.TensorPrimitives.Sum(g); return; }
        for (int o = 0; o < g.Length; o += m) System.Numerics.Tensors.TensorPrimitives.Add(gb, g.Slice(o, m), gb);
    }
}
