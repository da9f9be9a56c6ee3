using System.Numerics;

namespace Gradscope.Tensors;

/// <summary>
/// General matrix multiply C = alpha op(A) op(B) + beta C on row-major storage, where
/// op(A) is m x k and op(B) is k x n; lda, ldb, ldc are row strides (elements).
/// TEMPORARY naive reference implementation; the blocked kernel replaces it.
/// </summary>
public static class Gemm
{
    /// <summary>C = alpha op(A) op(B) + beta C (beta = 0 ignores C's previous contents, NaN included).</summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T s = T.Zero;
                for (int p = 0; p < k; p++)
                    s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = alpha * s + (beta == T.Zero ? T.Zero : beta * c[i * ldc + j]);
            }
    }
}
