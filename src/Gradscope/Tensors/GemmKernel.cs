using System.Numerics;

namespace Gradscope.Tensors;

/// <summary>
/// A register-tiled GEMM micro-kernel: acc = sum_p A(:,p) B(p,:) over one packed MR x kc
/// micro-panel of A (element (i,p) at a[p*MR + i]) and one packed kc x NR micro-panel of B
/// (element (p,j) at b[p*NR + j]), then the MR x NR tile of C (row stride ldc) is updated by
/// <see cref="GemmMode"/>. Also carries the blocking sizes of the driver that feeds it.
/// </summary>
internal unsafe interface IGemmKernel<T> where T : unmanaged
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int MR { get; }
    /// <summary>Columns of the register tile.</summary>
    static abstract int NR { get; }
    /// <summary>Depth of a packed block (k elements per pass over C).</summary>
    static abstract int KC { get; }
    /// <summary>Columns of a packed B panel (a multiple of NR).</summary>
    static abstract int NC { get; }
    /// <summary>Computes the tile product and updates C as <paramref name="mode"/> says.</summary>
    static abstract void Run(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta, int mode);
}

/// <summary>How a micro-kernel writes its tile into C.</summary>
internal static class GemmMode
{
    /// <summary>C = alpha acc (C is not read: NaN in C is ignored).</summary>
    public const int Overwrite = 0;
    /// <summary>C = fma(alpha, acc, C): later k blocks, or beta = 1.</summary>
    public const int Accumulate = 1;
    /// <summary>C = fma(alpha, acc, beta C): first k block with beta not 0 or 1.</summary>
    public const int Scale = 2;
}

/// <summary>Portable scalar micro-kernel (4 x 4 tile, fused multiply-add): the fallback without AVX2/FMA.</summary>
internal readonly unsafe struct ScalarKernel<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 4;
    public static int NR => 4;
    public static int KC => 256;
    public static int NC => 256;

    public static void Run(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta, int mode)
    {
        T* acc = stackalloc T[16];
        for (int i = 0; i < 16; i++) acc[i] = T.Zero;
        for (int p = 0; p < kc; p++, a += 4, b += 4)
            for (int i = 0; i < 4; i++)
            {
                T ai = a[i];
                for (int j = 0; j < 4; j++) acc[i * 4 + j] = T.FusedMultiplyAdd(ai, b[j], acc[i * 4 + j]);
            }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                ref T cij = ref c[i * ldc + j];
                T s = acc[i * 4 + j];
                cij = mode == GemmMode.Overwrite ? alpha * s
                    : mode == GemmMode.Accumulate ? T.FusedMultiplyAdd(alpha, s, cij)
                    : T.FusedMultiplyAdd(alpha, s, beta * cij);
            }
    }
}
