using System.Numerics;

namespace Gradscope.Tensors;

/// <summary>
/// The geometry of a 2-d convolution window over one (C, H, W) sample: kernel kh x kw, stride s,
/// zero padding p on every side; output size outH = (H + 2p - kh) / s + 1 (floor), likewise outW.
/// K = C kh kw is the patch length, P = outH outW the number of output positions.
/// </summary>
public readonly record struct ConvGeometry(int Channels, int Height, int Width, int KernelH, int KernelW, int Stride, int Padding)
{
    /// <summary>Output height (H + 2p - kh) / s + 1.</summary>
    public int OutH => (Height + 2 * Padding - KernelH) / Stride + 1;
    /// <summary>Output width (W + 2p - kw) / s + 1.</summary>
    public int OutW => (Width + 2 * Padding - KernelW) / Stride + 1;
    /// <summary>Patch length K = C kh kw (rows of the im2col matrix).</summary>
    public int PatchLength => Channels * KernelH * KernelW;
    /// <summary>Output positions P = outH outW (columns of the im2col matrix).</summary>
    public int Positions => OutH * OutW;
    /// <summary>Elements of one input sample C H W.</summary>
    public int InputLength => Channels * Height * Width;

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="op"/> when the window does not fit.</summary>
    public void Validate(string op)
    {
        if (Channels <= 0 || Height <= 0 || Width <= 0 || KernelH <= 0 || KernelW <= 0 || Stride <= 0 || Padding < 0)
            throw new ArgumentException($"{op}: invalid geometry input (C={Channels}, H={Height}, W={Width}), kernel {KernelH}x{KernelW}, stride {Stride}, padding {Padding}.");
        // NOTE: in 64-bit arithmetic, so a huge padding is reported as such rather than wrapping to a negative size.
        if ((long)Height + 2L * Padding > int.MaxValue || (long)Width + 2L * Padding > int.MaxValue)
            throw new ArgumentException($"{op}: the padded input {(long)Height + 2L * Padding}x{(long)Width + 2L * Padding} exceeds {int.MaxValue} per side.");
        if (Height + 2 * Padding < KernelH || Width + 2 * Padding < KernelW)
            throw new ArgumentException($"{op}: kernel {KernelH}x{KernelW} is larger than the padded input {Height + 2 * Padding}x{Width + 2 * Padding}.");
    }
}

public static partial class TensorOps
{
    /// <summary>
    /// im2col of one sample: col[(c kh + u) kw + v, i outW + j] = x[c, i s - p + u, j s - p + v]
    /// (0 outside the input). x is (C, H, W), col is (K, P) row-major.
    /// </summary>
    /// <exception cref="ArgumentException">x or col has the wrong length.</exception>
    public static void Im2Col<T>(ReadOnlySpan<T> x, in ConvGeometry g, Span<T> col) where T : unmanaged, IFloatingPointIeee754<T>
        => Im2Col(x, g, col, g.Positions);

    /// <summary>
    /// <see cref="Im2Col{T}(ReadOnlySpan{T}, in ConvGeometry, Span{T})"/> into a (K, P) block of a wider
    /// row-major matrix with row stride <paramref name="ldcol"/> &gt;= P: row r starts at col[r ldcol]
    /// (used to lay several samples side by side, columns n P .. n P + P - 1 for sample n).
    /// </summary>
    /// <exception cref="ArgumentException">x or col has the wrong length, or ldcol &lt; P.</exception>
    public static void Im2Col<T>(ReadOnlySpan<T> x, in ConvGeometry g, Span<T> col, int ldcol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckIm2Col(x.Length, col.Length, ldcol, g, "Im2Col");
        int oh = g.OutH, ow = g.OutW, P = oh * ow, s = g.Stride, p = g.Padding;
        for (int c = 0; c < g.Channels; c++)
            for (int u = 0; u < g.KernelH; u++)
                for (int v = 0; v < g.KernelW; v++)
                {
                    var dst = col.Slice(((c * g.KernelH + u) * g.KernelW + v) * ldcol, P);
                    var (j0, j1) = ValidRange(ow, g.Width, s, p, v);
                    for (int i = 0; i < oh; i++)
                    {
                        var seg = dst.Slice(i * ow, ow);
                        int hi = i * s - p + u;
                        if (hi < 0 || hi >= g.Height) { seg.Clear(); continue; }
                        seg[..j0].Clear();
                        seg[j1..].Clear();
                        var src = x.Slice((c * g.Height + hi) * g.Width, g.Width);
                        if (s == 1) src.Slice(j0 - p + v, j1 - j0).CopyTo(seg.Slice(j0, j1 - j0));
                        else for (int j = j0; j < j1; j++) seg[j] = src[j * s - p + v];
                    }
                }
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col{T}(ReadOnlySpan{T}, in ConvGeometry, Span{T})"/>: gx[c, i s - p + u, j s - p + v] += col[(c kh + u) kw + v, i outW + j]
    /// (entries that fall in the padding are dropped). Accumulates into gx.
    /// </summary>
    /// <exception cref="ArgumentException">gx or col has the wrong length.</exception>
    public static void Col2ImAdd<T>(ReadOnlySpan<T> col, in ConvGeometry g, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
        => Col2ImAdd(col, g, gx, g.Positions);

    /// <summary>
    /// <see cref="Col2ImAdd{T}(ReadOnlySpan{T}, in ConvGeometry, Span{T})"/> from a (K, P) block of a wider
    /// row-major matrix with row stride <paramref name="ldcol"/> &gt;= P (row r starts at col[r ldcol]).
    /// </summary>
    /// <exception cref="ArgumentException">gx or col has the wrong length, or ldcol &lt; P.</exception>
    public static void Col2ImAdd<T>(ReadOnlySpan<T> col, in ConvGeometry g, Span<T> gx, int ldcol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckIm2Col(gx.Length, col.Length, ldcol, g, "Col2ImAdd");
        int oh = g.OutH, ow = g.OutW, P = oh * ow, s = g.Stride, p = g.Padding;
        for (int c = 0; c < g.Channels; c++)
            for (int u = 0; u < g.KernelH; u++)
                for (int v = 0; v < g.KernelW; v++)
                {
                    var src = col.Slice(((c * g.KernelH + u) * g.KernelW + v) * ldcol, P);
                    var (j0, j1) = ValidRange(ow, g.Width, s, p, v);
                    for (int i = 0; i < oh; i++)
                    {
                        int hi = i * s - p + u;
                        if (hi < 0 || hi >= g.Height) continue;
                        var dst = gx.Slice((c * g.Height + hi) * g.Width, g.Width);
                        var seg = src.Slice(i * ow, ow);
                        if (s == 1)
                        {
                            var d = dst.Slice(j0 - p + v, j1 - j0);
                            System.Numerics.Tensors.TensorPrimitives.Add(d, seg.Slice(j0, j1 - j0), d);
                        }
                        else for (int j = j0; j < j1; j++) dst[j * s - p + v] += seg[j];
                    }
                }
    }

    // Output columns j with 0 <= j s - p + v < width: j in [j0, j1).
    private static (int, int) ValidRange(int outW, int width, int s, int p, int v)
    {
        int j0 = Math.Max(0, CeilDiv(p - v, s));
        int j1 = Math.Min(outW, FloorDiv(width - 1 + p - v, s) + 1);
        return (j0, Math.Max(j0, j1));
    }

    private static int CeilDiv(int a, int b) => a <= 0 ? -(-a / b) : (a + b - 1) / b;
    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static void CheckIm2Col(int xLength, int colLength, int ldcol, in ConvGeometry g, string op)
    {
        g.Validate(op);
        if (xLength != g.InputLength)
            throw new ArgumentException($"{op}: the sample has {xLength} elements, expected C*H*W = {g.InputLength}.");
        if (ldcol < g.Positions)
            throw new ArgumentException($"{op}: the column row stride {ldcol} is smaller than P = {g.Positions}.");
        long need = (long)(g.PatchLength - 1) * ldcol + g.Positions;
        if (colLength < need)
            throw new ArgumentException(ldcol == g.Positions
                ? $"{op}: the column buffer has {colLength} elements, expected at least K*P = {need}."
                : $"{op}: the column buffer has {colLength} elements, expected at least (K-1)*ldcol + P = {need}.");
    }
}
