using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(in GemmArgs<T> g, T* a, int ic, int mr, int pc, int kc, T* dst, int MR)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint lda = g.Lda;
        if (!g.TransA)
        {
            // A(i, p) = a[i*lda + p]: read rows, write with stride MR (a transpose)
            Transpose(a + (ic * lda) + pc, lda, mr, kc, dst, MR);
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(in GemmArgs<T> g, T* b, int pc, int kc, int jc, int nc, T* dst, int NR)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint ldb = g.Ldb;
        if (!g.TransB)
        {
            // B(p, j) = b[p*ldb + j]: read each row of the block once, front to back, and deal it into the panels
            int full = nc / NR, rem = nc - full * NR;
            nint panelStride = (nint)kc * NR;
            for (int p = 0; p < kc; p++)
            {
                T* src = b + (pc + p) * ldb + jc;
                T* d = dst + p * NR;
                for (int q = 0; q < full; q++, src += NR, d += panelStride) CopyRun(src, d, NR);
                if (rem > 0)
                {
                    Unsafe.CopyBlockUnaligned(d, src, (uint)(rem * sizeof(T)));
                    for (int j = rem; j < NR; j++) d[j] = T.Zero;
                }
            }
            return;
        }
        for (int q = 0; q * NR < nc; q++)
        {
            // B(p, j) = b[j*ldb + p]: read rows of the stored B, write with stride NR (a transpose)
            int j0 = jc + q * NR, nr = Math.Min(NR, nc - q * NR);
            T* panel = dst + (nint)q * kc * NR;
            Transpose(b + (j0 * ldb) + pc, ldb, nr, kc, panel, NR);
            for (int j = nr; j < NR; j++)
                for (int p = 0; p < kc; p++) panel[p * NR + j] = T.Zero;
        }
    }

    /// <summary>Copies count elements (a whole micro-panel row) with 64-byte vectors when the size allows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun<T>(T* src, T* dst, int count) where T : unmanaged
    {
        int bytes = count * sizeof(T);
        if (Vector512.IsHardwareAccelerated || Avx512F.IsSupported)
        {
            if ((bytes & 63) == 0)
            {
                byte* s = (byte*)src, d = (byte*)dst;
                for (int o = 0; o < bytes; o += 64) Vector512.Store(Vector512.Load(s + o), d + o);
                return;
            }
        }
        Unsafe.CopyBlockUnaligned(dst, src, (uint)bytes);
    }

    /// <summary>
    /// dst[p*ldd + r] = src[r*lds + p] for r &lt; rows, p &lt; cols. float takes 8 x 8 and
    /// double 4 x 4 and 2 x 2 (a plain copy of each element, so the packed values are the same as the scalar loop's).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose<T>(T* src, nint lds, int rows, int cols, T* dst, int ldd) where T : unmanaged
    {
        int r0 = 0;
        if (typeof(T) == typeof(float) && Avx.IsSupported)
        {
            float* s = (float*)src, d = (float*)dst;
            for (; r0 + 8 <= rows; r0 += 8)
            {
                int p = 0;
                for (; p + 8 <= cols; p += 8) Transpose8x8(s + r0 * lds + p, lds, d + (nint)p * ldd + r0, ldd);
                for (; p < cols; p++)
                    for (int r = r0; r < r0 + 8; r++) d[(nint)p * ldd + r] = s[r * lds + p];
            }
        }
        else if (typeof(T) == typeof(double) && Avx.IsSupported)
        {
            double* s = (double*)src, d = (double*)dst;
            if (rows == 6)
            {
                // one pass over six rows (an f64 A micro-panel): a 4 x 4 transpose of rows 0-3 and 2 x 4 of rows 4-5
                Transpose6((double*)src, lds, cols, (double*)dst, ldd);
                return;
            }
            for (; r0 + 4 <= rows; r0 += 4)
            {
                int p = 0;
                for (; p + 4 <= cols; p += 4) Transpose4x4(s + r0 * lds + p, lds, d + (nint)p * ldd + r0, ldd);
                for (; p < cols; p++)
                    for (int r = r0; r < r0 + 4; r++) d[(nint)p * ldd + r] = s[r * lds + p];
            }
            for (; r0 + 2 <= rows; r0 += 2)
            {
                int p = 0;
                for (; p + 2 <= cols; p += 2)
                {
                    var a0 = Sse2.LoadVector128(s + r0 * lds + p); var a1 = Sse2.LoadVector128(s + (r0 + 1) * lds + p);
                    Sse2.Store(d + (nint)p * ldd + r0, Sse2.UnpackLow(a0, a1));
                    Sse2.Store(d + (nint)(p + 1) * ldd + r0, Sse2.UnpackHigh(a0, a1));
                }
                for (; p < cols; p++)
                    for (int r = r0; r < r0 + 2; r++) d[(nint)p * ldd + r] = s[r * lds + p];
            }
        }
        for (int r = r0; r < rows; r++)
        {
            T* sr = src + r * lds;
            T* dr = dst + r;
            for (int p = 0; p < cols; p++) dr[(nint)p * ldd] = sr[p];
        }
    }

    private static void Transpose6(double* s, nint lds, int cols, double* d, nint ldd)
    {
        int p = 0;
        for (; p + 4 <= cols; p += 4)
        {
            double* sp = s + p;
            var a0 = Avx.LoadVector256(sp); var a1 = Avx.LoadVector256(sp + lds);
            var a2 = Avx.LoadVector256(sp + 2 * lds); var a3 = Avx.LoadVector256(sp + 3 * lds);
            var a4 = Avx.LoadVector256(sp + 4 * lds); var a5 = Avx.LoadVector256(sp + 5 * lds);
            var t0 = Avx.UnpackLow(a0, a1); var t1 = Avx.UnpackHigh(a0, a1);
            var t2 = Avx.UnpackLow(a2, a3); var t3 = Avx.UnpackHigh(a2, a3);
            var u0 = Avx.UnpackLow(a4, a5); var u1 = Avx.UnpackHigh(a4, a5);
            double* dp = d + (nint)p * ldd;
            Avx.Store(dp, Avx.Permute2x128(t0, t2, 0x20)); Sse2.Store(dp + 4, u0.GetLower());
            Avx.Store(dp + ldd, Avx.Permute2x128(t1, t3, 0x20)); Sse2.Store(dp + ldd + 4, u1.GetLower());
            Avx.Store(dp + 2 * ldd, Avx.Permute2x128(t0, t2, 0x31)); Sse2.Store(dp + 2 * ldd + 4, u0.GetUpper());
            Avx.Store(dp + 3 * ldd, Avx.Permute2x128(t1, t3, 0x31)); Sse2.Store(dp + 3 * ldd + 4, u1.GetUpper());
        }
        for (; p < cols; p++)
            for (int r = 0; r < 6; r++) d[(nint)p * ldd + r] = s[r * lds + p];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(double* s, nint lds, double* d, nint ldd)
    {
        var a0 = Avx.LoadVector256(s); var a1 = Avx.LoadVector256(s + lds);
        var a2 = Avx.LoadVector256(s + 2 * lds); var a3 = Avx.LoadVector256(s + 3 * lds);
        var t0 = Avx.UnpackLow(a0, a1); var t1 = Avx.UnpackHigh(a0, a1);
        var t2 = Avx.UnpackLow(a2, a3); var t3 = Avx.UnpackHigh(a2, a3);
        Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(t1, t3, 0x20));
        Avx.Store(d + 2 * ldd, Avx.Permute2x128(t0, t2, 0x31));
        Avx.Store(d + 3 * ldd, Avx.Permute2x128(t1, t3, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint lds, float* d, nint ldd)
    {
        var a0 = Avx.LoadVector256(s); var a1 = Avx.LoadVector256(s + lds);
        var a2 = Avx.LoadVector256(s + 2 * lds); var a3 = Avx.LoadVector256(s + 3 * lds);
        var a4 = Avx.LoadVector256(s + 4 * lds); var a5 = Avx.LoadVector256(s + 5 * lds);
        var a6 = Avx.LoadVector256(s + 6 * lds); var a7 = Avx.LoadVector256(s + 7 * lds);
        var t0 = Avx.UnpackLow(a0, a1); var t1 = Avx.UnpackHigh(a0, a1);
        var t2 = Avx.UnpackLow(a2, a3); var t3 = Avx.UnpackHigh(a2, a3);
        var t4 = Avx.UnpackLow(a4, a5); var t5 = Avx.UnpackHigh(a4, a5);
        var t6 = Avx.UnpackLow(a6, a7); var t7 = Avx.UnpackHigh(a6, a7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
