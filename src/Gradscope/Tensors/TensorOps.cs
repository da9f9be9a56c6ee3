using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Tensors;

/// <summary>
/// Span kernels on row-major data: elementwise arithmetic (TensorPrimitives underneath),
/// row broadcasting, reductions along an axis, and numerically stable softmax / log-softmax /
/// log-sum-exp over the last axis. Every entry point checks lengths and throws an
/// <see cref="ArgumentException"/> naming the op and both lengths or shapes.
/// </summary>
public static partial class TensorOps
{
    /// <summary>dst[i] = x[i] + y[i].</summary>
    /// <exception cref="ArgumentException">x and y differ in length, or dst is shorter.</exception>
    public static void Add<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    { CheckBinary(x.Length, y.Length, dst.Length, "Add"); TP.Add(x, y, dst[..x.Length]); }

    /// <summary>dst[i] = x[i] - y[i].</summary>
    /// <exception cref="ArgumentException">x and y differ in length, or dst is shorter.</exception>
    public static void Subtract<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    { CheckBinary(x.Length, y.Length, dst.Length, "Subtract"); TP.Subtract(x, y, dst[..x.Length]); }

    /// <summary>dst[i] = x[i] y[i].</summary>
    /// <exception cref="ArgumentException">x and y differ in length, or dst is shorter.</exception>
    public static void Multiply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    { CheckBinary(x.Length, y.Length, dst.Length, "Multiply"); TP.Multiply(x, y, dst[..x.Length]); }

    /// <summary>dst[i] = a x[i].</summary>
    /// <exception cref="ArgumentException">dst is shorter than x.</exception>
    public static void Scale<T>(ReadOnlySpan<T> x, T a, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    { CheckUnary(x.Length, dst.Length, "Scale"); TP.Multiply(x, a, dst[..x.Length]); }

    /// <summary>dst[i] = exp(x[i]).</summary>
    /// <exception cref="ArgumentException">dst is shorter than x.</exception>
    public static void Exp<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    { CheckUnary(x.Length, dst.Length, "Exp"); TP.Exp(x, dst[..x.Length]); }

    /// <summary>dst[i] = log(x[i]) (NaN for x &lt; 0, -inf at 0).</summary>
    /// <exception cref="ArgumentException">dst is shorter than x.</exception>
    public static void Log<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    { CheckUnary(x.Length, dst.Length, "Log"); TP.Log(x, dst[..x.Length]); }

    /// <summary>Row broadcasting: dst[r m + k] = x[r m + k] + row[k] with m = row.Length.</summary>
    /// <exception cref="ArgumentException">x.Length is not a multiple of row.Length, or dst is shorter than x.</exception>
    public static void AddRow<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> row, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckRow(x.Length, row.Length, dst.Length, "AddRow");
        for (int o = 0; o < x.Length; o += row.Length) TP.Add(x.Slice(o, row.Length), row, dst.Slice(o, row.Length));
    }

    /// <summary>Row broadcasting: dst[r m + k] = x[r m + k] row[k] with m = row.Length.</summary>
    /// <exception cref="ArgumentException">x.Length is not a multiple of row.Length, or dst is shorter than x.</exception>
    public static void MultiplyRow<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> row, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckRow(x.Length, row.Length, dst.Length, "MultiplyRow");
        for (int o = 0; o < x.Length; o += row.Length) TP.Multiply(x.Slice(o, row.Length), row, dst.Slice(o, row.Length));
    }

    private static void CheckUnary(int x, int dst, string op)
    {
        if (dst < x) throw new ArgumentException($"{op}: destination has {dst} elements, expected at least {x}.", "destination");
    }

    private static void CheckBinary(int x, int y, int dst, string op)
    {
        if (x != y) throw new ArgumentException($"{op}: operands have lengths {x} and {y}; they must be equal.");
        CheckUnary(x, dst, op);
    }

    private static void CheckRow(int x, int row, int dst, string op)
    {
        if (row == 0 ? x != 0 : x % row != 0) throw new ArgumentException($"{op}: input of length {x} is not a whole number of rows of length {row}.");
        CheckUnary(x, dst, op);
    }
}
