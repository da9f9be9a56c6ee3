using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Tensors;

/// <summary>
/// The direct path of <see cref="Gemm"/> for tiny and matrix-vector shapes, where packing
/// would cost as much as the product: C = alpha op(A) op(B) + beta C without copies, one row of
/// C at a time (single-threaded). Each element is sum_p A(i,p) B(p,j) in increasing p order
/// (dot form when both operands are contiguous along k, else axpy form into a row accumulator).
/// </summary>
internal static class GemmDirect
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if ((m == 1 || n == 1) && (typeof(T) == typeof(float) || typeof(T) == typeof(double))) { MatrixVector(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); return; }
        if (!transA && transB)
        {
            // rows of A and rows of the stored B (n x k) are both contiguous along k
            for (int i = 0; i < m; i++)
            {
                var ai = a.Slice(i * lda, k);
                var ci = c.Slice(i * ldc, n);
                for (int j = 0; j < n; j++)
                {
                    T s = TensorPrimitives.Dot(ai, b.Slice(j * ldb, k));
                    ci[j] = beta == T.Zero ? alpha * s : alpha * s + beta * ci[j];
                }
            }
            return;
        }

        var acc = RowBuffer<T>.Get(n);
        for (int i = 0; i < m; i++)
        {
            acc.Clear();
            for (int p = 0; p < k; p++)
            {
                T aip = transA ? a[p * lda + i] : a[i * lda + p];
                if (!transB) TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), aip, acc, acc);
                else for (int j = 0; j < n; j++) acc[j] += aip * b[j * ldb + p];
            }
            var ci = c.Slice(i * ldc, n);
            if (beta == T.Zero) TensorPrimitives.Multiply(acc, alpha, ci);
            else for (int j = 0; j < n; j++) ci[j] = alpha * acc[j] + beta * ci[j];
        }
    }

    /// <summary>
    /// m = 1 or n = 1: the vector operand is made contiguous (copied into a scratch row when strided), then
    /// each element of C is a dot product with a contiguous row of the matrix operand, or C accumulates
    /// vector element times contiguous matrix row (axpy) in increasing p. Both are vectorized with
    /// Vector512 (emulated where not accelerated) in an order that depends only on the shape.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MatrixVector<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // as m = 1: c[j*cs] = sum_p x[p] M(p, j), x = op(A) row 0 (or op(B)^T column 0 when n = 1, with C^T)
        bool rowVector = m == 1;
        int len = rowVector ? n : m;
        nint cs = rowVector ? 1 : ldc;
        var x = RowBuffer<T>.Get(k + len);
        var vec = x[..k];
        var acc = x.Slice(k, len);
        if (rowVector) { if (transA) for (int p = 0; p < k; p++) vec[p] = a[p * lda]; else a[..k].CopyTo(vec); }
        else { if (!transB) for (int p = 0; p < k; p++) vec[p] = b[p * ldb]; else b[..k].CopyTo(vec); }
        // the matrix operand M(p, j): contiguous along p (dot form) or along j (axpy form)
        ReadOnlySpan<T> mat = rowVector ? b : a;
        int ldm = rowVector ? ldb : lda;
        bool dotForm = rowVector ? transB : !transA;
        if (dotForm)
            for (int j = 0; j < len; j++) acc[j] = Dot(vec, mat.Slice(j * ldm, k));
        else
        {
            acc.Clear();
            for (int p = 0; p < k; p++) Axpy(vec[p], mat.Slice(p * ldm, len), acc);
        }
        for (int j = 0; j < len; j++)
        {
            ref T cj = ref c[(int)(j * cs)];
            cj = beta == T.Zero ? alpha * acc[j] : alpha * acc[j] + beta * cj;
        }
    }

    /// <summary>sum_p x[p] y[p]: four vector accumulators over blocks of 4 vectors, then one vector, then a scalar tail (a fixed order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector512<T>.Count, k = x.Length, p = 0;
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T ry = ref MemoryMarshal.GetReference(y);
        T s = T.Zero;
        if (k >= w)
        {
            Vector512<T> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; p <= k - 4 * w; p += 4 * w)
            {
                s0 = Fma(Vector512.LoadUnsafe(ref rx, (nuint)p), Vector512.LoadUnsafe(ref ry, (nuint)p), s0);
                s1 = Fma(Vector512.LoadUnsafe(ref rx, (nuint)(p + w)), Vector512.LoadUnsafe(ref ry, (nuint)(p + w)), s1);
                s2 = Fma(Vector512.LoadUnsafe(ref rx, (nuint)(p + 2 * w)), Vector512.LoadUnsafe(ref ry, (nuint)(p + 2 * w)), s2);
                s3 = Fma(Vector512.LoadUnsafe(ref rx, (nuint)(p + 3 * w)), Vector512.LoadUnsafe(ref ry, (nuint)(p + 3 * w)), s3);
            }
            for (; p <= k - w; p += w)
                s0 = Fma(Vector512.LoadUnsafe(ref rx, (nuint)p), Vector512.LoadUnsafe(ref ry, (nuint)p), s0);
            s = Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        for (; p < k; p++) s = T.FusedMultiplyAdd(x[p], y[p], s);
        return s;
    }

    /// <summary>acc[j] += alpha row[j] (fused multiply-add per element).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy<T>(T alpha, ReadOnlySpan<T> row, Span<T> acc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector512<T>.Count, n = acc.Length, j = 0;
        ref T rr = ref MemoryMarshal.GetReference(row);
        ref T ra = ref MemoryMarshal.GetReference(acc);
        var va = Vector512.Create(alpha);
        for (; j <= n - w; j += w)
            Fma(va, Vector512.LoadUnsafe(ref rr, (nuint)j), Vector512.LoadUnsafe(ref ra, (nuint)j)).StoreUnsafe(ref ra, (nuint)j);
        for (; j < n; j++) acc[j] = T.FusedMultiplyAdd(alpha, row[j], acc[j]);
    }

    /// <summary>x * y + z rounded once, per lane (float or double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        throw new NotSupportedException($"Gemm: no vector fused multiply-add for {typeof(T).Name}.");
    }

    /// <summary>A per-thread scratch row, grown on demand and reused.</summary>
    private static class RowBuffer<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? _buffer;

        public static Span<T> Get(int n)
        {
            if (_buffer is null || _buffer.Length < n) _buffer = new T[Math.Max(n, 256)];
            return _buffer.AsSpan(0, n);
        }
    }
}
