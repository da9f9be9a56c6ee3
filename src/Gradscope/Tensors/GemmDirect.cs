using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

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
