using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gradscope.Tensors;

/// <summary>
/// Packing of op(A) and op(B) into the contiguous micro-panels the micro-kernels read; the
/// transposes are absorbed here. Rows/columns beyond the matrix edge are zero-padded, so the
/// kernel always runs on full tiles and the padding adds exact zeros to lanes that are discarded.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs op(A)[ic..ic+mr, pc..pc+kc] as one MR x kc micro-panel: element (i, p) at dst[p*MR + i].
    /// </summary>
    public static void PackA<T>(in GemmArgs<T> g, T* a, int ic, int mr, int pc, int kc, T* dst, int MR)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint lda = g.Lda;
        if (!g.TransA)
        {
            // A(i, p) = a[i*lda + p]: read rows, write with stride MR
            for (int i = 0; i < mr; i++)
            {
                T* src = a + (ic + i) * lda + pc;
                T* d = dst + i;
                for (int p = 0; p < kc; p++) d[p * MR] = src[p];
            }
            for (int i = mr; i < MR; i++)
                for (int p = 0; p < kc; p++) dst[p * MR + i] = T.Zero;
        }
        else
        {
            // A(i, p) = a[p*lda + i]: each p is a contiguous run of mr values
            for (int p = 0; p < kc; p++)
            {
                T* src = a + (pc + p) * lda + ic;
                T* d = dst + p * MR;
                Unsafe.CopyBlockUnaligned(d, src, (uint)(mr * sizeof(T)));
                for (int i = mr; i < MR; i++) d[i] = T.Zero;
            }
        }
    }

    /// <summary>
    /// Packs op(B)[pc..pc+kc, jc..jc+nc] as ceil(nc/NR) micro-panels of kc x NR:
    /// element (p, j) of panel q at dst[q*kc*NR + p*NR + j].
    /// </summary>
    public static void PackB<T>(in GemmArgs<T> g, T* b, int pc, int kc, int jc, int nc, T* dst, int NR)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint ldb = g.Ldb;
        for (int q = 0; q * NR < nc; q++)
        {
            int j0 = jc + q * NR, nr = Math.Min(NR, nc - q * NR);
            T* panel = dst + (nint)q * kc * NR;
            if (!g.TransB)
            {
                // B(p, j) = b[p*ldb + j]: each p is a contiguous run of nr values
                for (int p = 0; p < kc; p++)
                {
                    T* d = panel + p * NR;
                    Unsafe.CopyBlockUnaligned(d, b + (pc + p) * ldb + j0, (uint)(nr * sizeof(T)));
                    for (int j = nr; j < NR; j++) d[j] = T.Zero;
                }
            }
            else
            {
                // B(p, j) = b[j*ldb + p]: read rows of the stored B, write with stride NR
                for (int j = 0; j < nr; j++)
                {
                    T* src = b + (j0 + j) * ldb + pc;
                    T* d = panel + j;
                    for (int p = 0; p < kc; p++) d[p * NR] = src[p];
                }
                for (int j = nr; j < NR; j++)
                    for (int p = 0; p < kc; p++) panel[p * NR + j] = T.Zero;
            }
        }
    }
}
