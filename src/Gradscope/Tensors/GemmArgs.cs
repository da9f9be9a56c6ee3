using System.Numerics;

namespace Gradscope.Tensors;

/// <summary>The scalar arguments of one GEMM call C = alpha op(A) op(B) + beta C (row-major, op(A) m x k, op(B) k x n).</summary>
internal readonly record struct GemmArgs<T>(bool TransA, bool TransB, int M, int N, int K, T Alpha, int Lda, int Ldb, T Beta, int Ldc)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Bundles the arguments.</summary>
    public static GemmArgs<T> Create(bool transA, bool transB, int m, int n, int k, T alpha, int lda, int ldb, T beta, int ldc)
        => new(transA, transB, m, n, k, alpha, lda, ldb, beta, ldc);

    /// <summary>The kernel mode for the first k block (later blocks accumulate).</summary>
    public int FirstMode => Beta == T.Zero ? GemmMode.Overwrite : Beta == T.One ? GemmMode.Accumulate : GemmMode.Scale;
}
