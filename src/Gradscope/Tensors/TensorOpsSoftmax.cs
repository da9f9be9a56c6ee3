using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Tensors;

public static partial class TensorOps
{
    // NOTE: every routine subtracts the row maximum m before exp, so exp never overflows:
    // log sum_k exp(x_k) = m + log sum_k exp(x_k - m), and the largest term is exp(0) = 1.

    /// <summary>Row-wise log-sum-exp over rows of length <paramref name="cols"/>: dst[r] = log sum_k exp(x[r, k]).</summary>
    /// <exception cref="ArgumentException">cols is not positive or does not divide x.Length, or dst has fewer than rows elements.</exception>
    public static void LogSumExp<T>(ReadOnlySpan<T> x, int cols, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = Rows(x.Length, cols, "LogSumExp");
        if (dst.Length < rows) throw new ArgumentException($"LogSumExp: destination has {dst.Length} elements, expected at least {rows} (one per row).", nameof(dst));
        for (int r = 0; r < rows; r++) dst[r] = RowLogSumExp(x.Slice(r * cols, cols));
    }

    /// <summary>Row-wise softmax: dst[r, k] = exp(x[r, k] - lse_r).</summary>
    /// <exception cref="ArgumentException">cols does not divide x.Length, or dst is shorter than x.</exception>
    public static void Softmax<T>(ReadOnlySpan<T> x, int cols, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = Rows(x.Length, cols, "Softmax");
        CheckUnary(x.Length, dst.Length, "Softmax");
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols); var d = dst.Slice(r * cols, cols);
            T m = TP.Max(xr);
            TP.Subtract(xr, m, d);
            TP.Exp(d, d);
            TP.Divide(d, TP.Sum<T>(d), d);
        }
    }

    /// <summary>Row-wise log-softmax: dst[r, k] = x[r, k] - lse_r (never log of an underflowed softmax).</summary>
    /// <exception cref="ArgumentException">cols does not divide x.Length, or dst is shorter than x.</exception>
    public static void LogSoftmax<T>(ReadOnlySpan<T> x, int cols, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = Rows(x.Length, cols, "LogSoftmax");
        CheckUnary(x.Length, dst.Length, "LogSoftmax");
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            TP.Subtract(xr, RowLogSumExp(xr), dst.Slice(r * cols, cols));
        }
    }

    private static T RowLogSumExp<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T m = TP.Max(row);
        if (T.IsInfinity(m)) return m; // all -inf gives -inf; any +inf gives +inf
        T s = T.Zero;
        for (int k = 0; k < row.Length; k++) s += T.Exp(row[k] - m);
        return m + T.Log(s);
    }

    private static int Rows(int length, int cols, string op)
    {
        if (cols <= 0 || length % cols != 0)
            throw new ArgumentException($"{op}: {length} elements are not a whole number of rows of length {cols}.");
        return length / cols;
    }
}
