using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradscope.Tensors;

/// <summary>
/// A micro-kernel that reads op(A) where it lies: acc = sum_p A(i,p) B(p,:) with A(i,p) at
/// a[rowOff[i] + p*cs] (rowOff has MR entries; rows past mr may repeat a valid row) and B a
/// kc x NR micro-panel with element (p,j) at b[p*bs + j]: packed (bs = NR, zero-padded past nr) or read in place
/// from a non-transposed B (bs = ldb, full panels only). Only the mr x nr part of
/// the tile is written to C, with masked vector loads and stores (no scalar edge code), as
/// <see cref="GemmMode"/> says.
/// </summary>
internal unsafe interface IGemmInPlaceKernel<T> where T : unmanaged
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int MR { get; }
    /// <summary>Columns of the register tile.</summary>
    static abstract int NR { get; }
    /// <summary>Depth of a k block (the same as the blocked kernel's, so both paths sum in the same order).</summary>
    static abstract int KC { get; }
    /// <summary>Columns of a packed B block (a multiple of NR).</summary>
    static abstract int NC { get; }
    /// <summary>Computes the tile product and updates the valid mr x nr part of C.</summary>
    static abstract void Run(int kc, T* a, nint* rowOff, nint cs, T* b, nint bs, T* c, nint ldc, int mr, int nr, T alpha, T beta, int mode);
}

/// <summary>
/// The small-matrix path of <see cref="Gemm"/> (AVX-512): only op(B) is packed (KC x NC blocks of
/// NR-wide micro-panels), op(A) is read in place by the micro-kernel (both transposes are a choice of
/// row and column stride), and partial tiles are masked. Loop order pc -> jc -> ic -> jr, so the MR
/// rows of A under the kernel stay in L1 across a block of B. Each element of C gets
/// sum_p A(i,p) B(p,j) by fused multiply-adds in increasing p, in KC-deep blocks, so the result does not
/// depend on the thread count. Threads split C into chunks of whole NR-column panels (each
/// chunk packs only its own columns of B and reads all of A), or of MR-row tiles when there are
/// fewer column panels than parts; the chunks are fixed by the shape and claimed one at a time
/// (<see cref="Parallelism.ForEachChunk"/>), so which thread computes a chunk never changes its result.
/// </summary>
internal static unsafe class GemmInPlace
{
    /// <summary>
    /// Products with fewer multiply-adds than this per part run on fewer parts (2^19: n = 128 splits, n = 96 does not).
    /// NOTE: from a sweep on the 2-core EPYC (best of 0.2 s, median of 5 interleaved rounds, f32, docs/perf/gemm-small.md)
    /// while other jobs kept the load at 15-22: when the second core was free a split n = 112-128 ran at 307-365 GFLOP/s
    /// against 177-222 on one thread, while at n = 64-80 a split (2^17) lost 8-10%. A late or busy worker costs little
    /// (ForEachChunk dismisses it), so the threshold only weighs the hand-over against half the product.
    /// </summary>
    internal static long MacsPerPart = 1L << 19;

    /// <summary>Chunks per thread of a split product (more chunks balance a late thread better, fewer reread op(A) less).</summary>
    internal static int ChunksPerPart = 4;

    private struct Job<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public GemmArgs<T> Args;
        public T* A, B, C;
        public bool SplitN;
        public int Units, Chunks;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T, TKernel>(in GemmArgs<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmInPlaceKernel<T>
    {
        fixed (T* pa = a) fixed (T* pb = b) fixed (T* pc = c)
        {
            int colPanels = (g.N + TKernel.NR - 1) / TKernel.NR, rowTiles = (g.M + TKernel.MR - 1) / TKernel.MR;
            long macs = (long)g.M * g.N * g.K;
            int want = (int)Math.Clamp(macs / MacsPerPart, 1, Math.Max(1, Parallelism.Threads));
            bool splitN = colPanels >= want || colPanels >= rowTiles;
            int units = splitN ? colPanels : rowTiles;
            if (want <= 1)
            {
                var whole = new Job<T> { Args = g, A = pa, B = pb, C = pc, SplitN = splitN, Units = units, Chunks = 1 };
                Chunk<T, TKernel>(&whole, 0);
                return;
            }
            // ChunksPerPart chunks per thread, claimed one at a time: a thread that starts late (a worker waking up, or
            // one whose core is busy) takes fewer chunks instead of holding up the caller
            var job = new Job<T> { Args = g, A = pa, B = pb, C = pc, SplitN = splitN, Units = units, Chunks = Math.Min(units, ChunksPerPart * want) };
            Parallelism.ForEachChunk(job.Chunks, want, &Chunk<T, TKernel>, &job);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chunk<T, TKernel>(void* state, int chunk)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmInPlaceKernel<T>
    {
        ref var job = ref Unsafe.AsRef<Job<T>>(state);
        var (u0, u1) = Parallelism.Range(job.Units, chunk, job.Chunks);
        if (u0 >= u1) return;
        var g = job.Args;
        if (job.SplitN) Compute<T, TKernel>(ref job, 0, g.M, u0 * TKernel.NR, Math.Min(g.N, u1 * TKernel.NR));
        else Compute<T, TKernel>(ref job, u0 * TKernel.MR, Math.Min(g.M, u1 * TKernel.MR), 0, g.N);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compute<T, TKernel>(ref Job<T> job, int i0, int i1, int j0, int j1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmInPlaceKernel<T>
    {
        int MR = TKernel.MR, NR = TKernel.NR, KC = TKernel.KC, NC = TKernel.NC;
        var g = job.Args;
        nint ldc = g.Ldc;
        // op(A)(i, p) = a[i*rs + p*cs]
        nint rs = g.TransA ? 1 : g.Lda, cs = g.TransA ? g.Lda : 1;
        int kcMax = Math.Min(KC, g.K);
        nint* rowOff = stackalloc nint[MR];
        if (!g.TransB && i1 - i0 <= InPlaceBRows * MR)
        {
            ComputeBInPlace<T, TKernel>(ref job, i0, i1, j0, j1, rowOff, PackBuffer<T>.Get(kcMax * NR));
            return;
        }
        int ncMax = Math.Min(NC, (j1 - j0 + NR - 1) / NR * NR);
        T* packB = PackBuffer<T>.Get(kcMax * ncMax);
        for (int pc = 0; pc < g.K; pc += KC)
        {
            int kc = Math.Min(KC, g.K - pc);
            int mode = pc == 0 ? g.FirstMode : GemmMode.Accumulate;
            for (int jc = j0; jc < j1; jc += NC)
            {
                int nc = Math.Min(NC, j1 - jc);
                GemmPacking.PackB(g, job.B, pc, kc, jc, nc, packB, NR);
                for (int ic = i0; ic < i1; ic += MR)
                {
                    int mr = Math.Min(MR, i1 - ic);
                    // rows past the edge repeat the last row (read, never stored), so every read stays inside A
                    for (int i = 0; i < MR; i++) rowOff[i] = (ic + Math.Min(i, mr - 1)) * rs + pc * cs;
                    T* cRow = job.C + ic * ldc + jc;
                    for (int jr = 0; jr < nc; jr += NR)
                        TKernel.Run(kc, job.A, rowOff, cs, packB + (nint)(jr / NR) * kc * NR, NR, cRow + jr, ldc, mr,
                            Math.Min(NR, nc - jr), g.Alpha, g.Beta, mode);
                }
            }
        }
    }

    /// <summary>
    /// Products with at most this many MR-row tiles in a part read a non-transposed op(B) in place instead of packing it
    /// (only a partial last panel is packed). NOTE: packing pays when each packed element is used by many row tiles;
    /// with one or two (a minibatch of 16 times a weight matrix, dx = dy W) the copy of B cost more than the product
    /// (docs/perf/gemm-small.md, session 4). Both ways every element of C is the same FMA chain in increasing p, so
    /// the result is bit-identical to the packed path.
    /// </summary>
    internal static int InPlaceBRows = 2;

    // The small-m, non-transposed-B case: for each NR-wide panel of op(B) (read where it lies, row stride ldb), every
    // MR-row tile of A in turn, so the panel is reused from cache; loop order pc -> jr -> ic.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ComputeBInPlace<T, TKernel>(ref Job<T> job, int i0, int i1, int j0, int j1, nint* rowOff, T* tail)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmInPlaceKernel<T>
    {
        int MR = TKernel.MR, NR = TKernel.NR, KC = TKernel.KC;
        var g = job.Args;
        nint ldc = g.Ldc, ldb = g.Ldb;
        nint rs = g.TransA ? 1 : g.Lda, cs = g.TransA ? g.Lda : 1;
        for (int pc = 0; pc < g.K; pc += KC)
        {
            int kc = Math.Min(KC, g.K - pc);
            int mode = pc == 0 ? g.FirstMode : GemmMode.Accumulate;
            for (int jr = j0; jr < j1; jr += NR)
            {
                int nr = Math.Min(NR, j1 - jr);
                T* panel; nint bs;
                if (nr == NR) { panel = job.B + pc * ldb + jr; bs = ldb; }
                else
                {
                    // NOTE: a full-width read of the last partial panel could run past the end of B: pack it, zero-padded
                    GemmPacking.PackB(g, job.B, pc, kc, jr, nr, tail, NR);
                    panel = tail; bs = NR;
                }
                for (int ic = i0; ic < i1; ic += MR)
                {
                    int mr = Math.Min(MR, i1 - ic);
                    for (int i = 0; i < MR; i++) rowOff[i] = (ic + Math.Min(i, mr - 1)) * rs + pc * cs;
                    TKernel.Run(kc, job.A, rowOff, cs, panel, bs, job.C + ic * ldc + jr, ldc, mr, nr, g.Alpha, g.Beta, mode);
                }
            }
        }
    }

    /// <summary>Per-thread packed-B memory: one pinned array, 64-byte aligned, grown on demand and reused.</summary>
    private static class PackBuffer<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? _array;

        public static T* Get(int length)
        {
            int total = length + 64 / sizeof(T);
            if (_array is null || _array.Length < total) _array = GC.AllocateUninitializedArray<T>(total, pinned: true);
            nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
            return (T*)((p + 63) & ~(nint)63);
        }
    }
}
