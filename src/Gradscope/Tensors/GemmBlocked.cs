using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradscope.Tensors;

/// <summary>
/// The blocked GEMM driver (loop order pc -> ic block -> jc -> ir -> jr). For each KC-deep slice,
/// op(A) is packed once per MC-row block (an L3-resident block of MR-row micro-panels, reused
/// across every column block), and op(B) once per NC-column block into an L2-resident panel; each
/// A micro-panel stays in L1 while the micro-kernel sweeps it across the B panel. Threads split C
/// into contiguous ranges of whole tiles along its larger dimension (on a tie M for f32, N for f64; a fixed split, so every element
/// sees the same packed data and k order whatever the thread count); each thread packs what its
/// range needs into its own reused, 64-byte aligned buffers.
/// </summary>
internal static unsafe class GemmBlocked
{
    /// <summary>Products with fewer multiply-adds than this run on one thread.</summary>
    private const long ParallelMacs = 1L << 20;

    private struct Job<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public GemmArgs<T> Args;
        public T* A, B, C;
        public bool SplitN;
        public int Units;
        /// <summary>Two packed-A blocks shared by all parts (split N with concurrent parts), or null.</summary>
        public T* SharedA;
        public int BarrierCount, BarrierGeneration;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T, TKernel>(in GemmArgs<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        fixed (T* pa = a) fixed (T* pb = b) fixed (T* pc = c)
        {
            // split the larger dimension; on a tie f32 splits M (each part packs its own rows of op(A) and all
            // of op(B), no barrier) and f64 splits N (the parts share packed op(A)). Measured interleaved at
            // n = 1024, 2 threads: f32 split M ~3% faster and without the slow runs split N had (packing B
            // together as well gained nothing); f64 split M measured the same as split N
            bool splitN = typeof(T) == typeof(float) ? g.N > g.M : g.N >= g.M;
            var job = new Job<T>
            {
                Args = g, A = pa, B = pb, C = pc, SplitN = splitN,
                Units = splitN ? (g.N + TKernel.NR - 1) / TKernel.NR : (g.M + TKernel.MR - 1) / TKernel.MR,
            };
            int maxParts = (long)g.M * g.N * g.K < ParallelMacs ? 1 : job.Units;
            // every part of a split-N job needs all of op(A): when the parts run side by side they pack it
            // together, each a share of its micro-panels, into one double-buffered block (a nested call runs
            // its parts one after another and packs per part instead)
            if (splitN && Math.Min(Parallelism.Threads, maxParts) > 1 && !Parallelism.PartsRunConcurrently)
            {
                int aLen = ABlockLength<T, TKernel>(g.M, g.K, out _);
                job.SharedA = SharedBuffer<T>.Get(2 * aLen + 64 / sizeof(T));
            }
            Parallelism.For(maxParts, &Part<T, TKernel>, &job);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Part<T, TKernel>(void* state, int part, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        ref var job = ref Unsafe.AsRef<Job<T>>(state);
        var (u0, u1) = Parallelism.Range(job.Units, part, parts);
        var g = job.Args;
        if (job.SplitN && job.SharedA != null && parts > 1 && Parallelism.PartsRunConcurrently)
        {
            // every part must take part in packing and in the barriers, even with no columns of its own
            Compute<T, TKernel>(ref job, 0, g.M, u0 * TKernel.NR, Math.Min(g.N, u1 * TKernel.NR), part, parts);
            return;
        }
        if (u0 >= u1) return;
        if (job.SplitN)
            Compute<T, TKernel>(ref job, 0, g.M, u0 * TKernel.NR, Math.Min(g.N, u1 * TKernel.NR), 0, 1);
        else
            Compute<T, TKernel>(ref job, u0 * TKernel.MR, Math.Min(g.M, u1 * TKernel.MR), 0, g.N, 0, 1);
    }

    /// <summary>Bytes of packed op(A) kept per k block (an L3-resident block of MC rows).</summary>
    private const int ABlockBytes = 4 << 20;

    /// <summary>
    /// Elements of one packed A block for <paramref name="rows"/> rows: MC rows (the row range split evenly
    /// into blocks of at most ABlockBytes, whole micro-panels) times the deepest k block.
    /// </summary>
    private static int ABlockLength<T, TKernel>(int rows, int k, out int mc)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        int MR = TKernel.MR;
        int kcMax = Math.Min(TKernel.KC, k);
        int mcMax = Math.Max(MR, ABlockBytes / (kcMax * sizeof(T)) / MR * MR);
        int mBlocks = (rows + mcMax - 1) / mcMax;
        mc = ((rows + mBlocks - 1) / mBlocks + MR - 1) / MR * MR;
        return mc * kcMax;
    }

    /// <summary>
    /// C[i0..i1, j0..j1] for one part. With parts = 1 the part packs all the op(A) it needs itself; with
    /// parts &gt; 1 (concurrent parts, all with the full row range) part p packs its share of the micro-panels
    /// of each A block into the job's shared double buffer, and a barrier after packing makes the block
    /// complete for every part (and, one block later, frees the other buffer for reuse).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compute<T, TKernel>(ref Job<T> job, int i0, int i1, int j0, int j1, int part, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        int MR = TKernel.MR, NR = TKernel.NR, KC = TKernel.KC, NC = TKernel.NC;
        var g = job.Args;
        nint ldc = g.Ldc;
        int kcMax = Math.Min(KC, g.K);
        int aLen = ABlockLength<T, TKernel>(i1 - i0, g.K, out int MC);
        bool shared = parts > 1;
        T* ownA = Buffers<T>.Get((shared ? 0 : aLen) + kcMax * NC + MR * NR, out T* packB, shared ? 0 : aLen, out T* tile, (shared ? 0 : aLen) + kcMax * NC);
        T* sharedA = shared ? AlignUp(job.SharedA) : null;
        int step = 0;
        for (int pc = 0; pc < g.K; pc += KC)
        {
            int kc = Math.Min(KC, g.K - pc);
            int mode = pc == 0 ? g.FirstMode : GemmMode.Accumulate;
            for (int icb = i0; icb < i1; icb += MC, step++)
            {
                int mc = Math.Min(MC, i1 - icb);
                T* packA = shared ? sharedA + (step & 1) * (nint)aLen : ownA;
                int panels = (mc + MR - 1) / MR;
                var (q0, q1) = Parallelism.Range(panels, part, parts);
                for (int q = q0; q < q1; q++)
                    GemmPacking.PackA(g, job.A, icb + q * MR, Math.Min(MR, mc - q * MR), pc, kc, packA + (nint)q * MR * kc, MR);
                if (shared) Barrier(ref job.BarrierCount, ref job.BarrierGeneration, parts);
                for (int jc = j0; jc < j1; jc += NC)
                {
                    int nc = Math.Min(NC, j1 - jc);
                    GemmPacking.PackB(g, job.B, pc, kc, jc, nc, packB, NR);
                    for (int ic = 0; ic < mc; ic += MR)
                    {
                        int mr = Math.Min(MR, mc - ic);
                        T* ap = packA + (nint)ic * kc;
                        for (int jr = 0; jr < nc; jr += NR)
                        {
                            int nr = Math.Min(NR, nc - jr);
                            T* cij = job.C + (icb + ic) * ldc + jc + jr;
                            T* bp = packB + (nint)(jr / NR) * kc * NR;
                            if (mr == MR && nr == NR)
                                TKernel.Run(kc, ap, bp, cij, ldc, g.Alpha, g.Beta, mode);
                            else
                                EdgeTile<T, TKernel>(kc, ap, bp, cij, ldc, mr, nr, tile, g.Alpha, g.Beta, mode);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Waits until all <paramref name="parts"/> concurrent parts have arrived (a reusable generation barrier;
    /// spins, then yields, so a part whose thread was preempted does not stall the others for long).
    /// </summary>
    private static void Barrier(ref int count, ref int generation, int parts)
    {
        int gen = Volatile.Read(ref generation);
        if (Interlocked.Increment(ref count) == parts)
        {
            Volatile.Write(ref count, 0);
            Interlocked.Increment(ref generation);
            return;
        }
        var spin = new SpinWait();
        while (Volatile.Read(ref generation) == gen) spin.SpinOnce(sleep1Threshold: -1);
    }

    /// <summary>A partial tile: the same kernel on a full-size scratch tile, then copy the valid mr x nr part.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeTile<T, TKernel>(int kc, T* pa, T* pb, T* c, nint ldc, int mr, int nr, T* tile, T alpha, T beta, int mode)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IGemmKernel<T>
    {
        int NR = TKernel.NR;
        if (mode != GemmMode.Overwrite)
            for (int i = 0; i < mr; i++)
                for (int j = 0; j < nr; j++) tile[i * NR + j] = c[i * ldc + j];
        TKernel.Run(kc, pa, pb, tile, NR, alpha, beta, mode);
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++) c[i * ldc + j] = tile[i * NR + j];
    }

    private static T* AlignUp<T>(T* p) where T : unmanaged => (T*)(((nint)p + 63) & ~(nint)63);

    /// <summary>The calling thread's shared packed-A memory (pinned, grown on demand and reused).</summary>
    private static class SharedBuffer<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? _array;

        public static T* Get(int length)
        {
            if (_array is null || _array.Length < length) _array = GC.AllocateUninitializedArray<T>(length, pinned: true);
            return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        }
    }

    /// <summary>Per-thread packing memory: one pinned array, 64-byte aligned, grown on demand and reused.</summary>
    private static class Buffers<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? _array;

        public static T* Get(int length, out T* second, int secondOffset, out T* third, int thirdOffset)
        {
            int pad = 64 / sizeof(T);
            // keep each region 64-byte aligned
            int total = length + 3 * pad;
            if (_array is null || _array.Length < total) _array = GC.AllocateUninitializedArray<T>(total, pinned: true);
            nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
            nint aligned = (p + 63) & ~(nint)63;
            T* baseP = (T*)aligned;
            second = AlignUp(baseP + secondOffset);
            third = AlignUp(second + (thirdOffset - secondOffset));
            return baseP;
        }

        private static T* AlignUp(T* p) => (T*)(((nint)p + 63) & ~(nint)63);
    }
}
