using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Tensors;

/// <summary>
/// The small-m path for C = alpha A B^T + beta C (op(A) = A, op(B) = B^T, both read where they lie): every element is a
/// dot product of a row of A with a row of B, both contiguous, so nothing is packed. A 4 x 4 block of C is held in 16
/// vector accumulators (lane l of element (i, j) sums A(i, p) B(j, p) over p = l mod lanes by fused multiply-adds in
/// increasing p), reduced across lanes at the end (<see cref="Vector512.Sum{T}(Vector512{T})"/>), then the last
/// k mod lanes terms are added by scalar fused multiply-adds in increasing p.
/// </summary>
/// <remarks>
/// This is the forward product of a dense layer, y = x W^T, at small batches: the blocked and in-place paths pack
/// W^T (a transpose) for a handful of rows of x, which cost more than the product (docs/perf/gemm-small.md, session 4).
/// Every element's arithmetic is the same in whichever block and thread it is computed (rows past an edge re-read the
/// last valid row and are not stored), so the result depends on the shape only, not on the thread count. It differs
/// from the packed paths' result in rounding (another summation order), so whether a shape takes this path depends on
/// the shape alone (<see cref="Applies"/>).
/// </remarks>
internal static unsafe class GemmDot
{
    /// <summary>Products with at most this many rows of C (and a transposed B, a non-transposed A) take this path ...</summary>
    internal static int MaxRows = 16;

    /// <summary>
    /// ... and an inner dimension of at least this many: each element ends with a reduction across the lanes, which
    /// a short dot product does not pay for. f32, 1 thread, quiet machine, GFLOP/s dot path / packed path:
    /// k = 64: 16x64x64 48 / 131, 10x64x64 48 / 137; k = 128: 16x64x128 79 / 119, 16x128x128 79 / 116-125;
    /// k = 256: 16x64x256 117 / 114-117, 16x256x256 117 / 119-124; k = 784: 16x64x784 146-152 / 112-124;
    /// 16x1024x1024 146-148 / 105.
    /// </summary>
    internal static int MinDepth = 256;

    /// <summary>Whether the shape takes this path (needs hardware 512-bit vectors).</summary>
    public static bool Applies<T>(in GemmArgs<T> g) where T : unmanaged, IFloatingPointIeee754<T> =>
        g.TransB && !g.TransA && g.M <= MaxRows && g.K >= MinDepth && Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;

    private struct Job<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public GemmArgs<T> Args;
        public T* A, B, C;
        public int Blocks, Chunks;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(in GemmArgs<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* pa = a) fixed (T* pb = b) fixed (T* pc = c)
        {
            int blocks = (g.N + 3) / 4;   // 4-row blocks of B (4 columns of C)
            long macs = (long)g.M * g.N * g.K;
            int want = (int)Math.Clamp(macs / GemmInPlace.MacsPerPart, 1, Math.Max(1, Parallelism.Threads));
            var job = new Job<T> { Args = g, A = pa, B = pb, C = pc, Blocks = blocks, Chunks = want <= 1 ? 1 : Math.Min(blocks, GemmInPlace.ChunksPerPart * want) };
            if (job.Chunks <= 1) Chunk<T>(&job, 0);
            else Parallelism.ForEachChunk(job.Chunks, want, &Chunk<T>, &job);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chunk<T>(void* state, int chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var job = ref Unsafe.AsRef<Job<T>>(state);
        var (b0, b1) = Parallelism.Range(job.Blocks, chunk, job.Chunks);
        var g = job.Args;
        int mode = g.FirstMode;
        for (int jb = b0; jb < b1; jb++)
        {
            int j0 = jb * 4, nj = Math.Min(4, g.N - j0);
            for (int i0 = 0; i0 < g.M; i0 += 4)
                Tile(g, job.A, job.B, job.C, i0, Math.Min(4, g.M - i0), j0, nj, mode);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<T>(in GemmArgs<T> g, T* a, T* b, T* c, int i0, int ni, int j0, int nj, int mode) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = g.K, lanes = Vector512<T>.Count;
        // rows past the edge re-read the last valid row (never stored)
        T* a0 = a + (nint)i0 * g.Lda, a1 = a + (nint)(i0 + Math.Min(1, ni - 1)) * g.Lda;
        T* a2 = a + (nint)(i0 + Math.Min(2, ni - 1)) * g.Lda, a3 = a + (nint)(i0 + Math.Min(3, ni - 1)) * g.Lda;
        T* w0 = b + (nint)j0 * g.Ldb, w1 = b + (nint)(j0 + Math.Min(1, nj - 1)) * g.Ldb;
        T* w2 = b + (nint)(j0 + Math.Min(2, nj - 1)) * g.Ldb, w3 = b + (nint)(j0 + Math.Min(3, nj - 1)) * g.Ldb;
        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        int p = 0;
        for (; p <= k - lanes; p += lanes)
        {
            var x0 = Vector512.Load(a0 + p); var x1 = Vector512.Load(a1 + p); var x2 = Vector512.Load(a2 + p); var x3 = Vector512.Load(a3 + p);
            var y = Vector512.Load(w0 + p);
            c00 = Fma(x0, y, c00); c10 = Fma(x1, y, c10);
            c20 = Fma(x2, y, c20); c30 = Fma(x3, y, c30);
            y = Vector512.Load(w1 + p);
            c01 = Fma(x0, y, c01); c11 = Fma(x1, y, c11);
            c21 = Fma(x2, y, c21); c31 = Fma(x3, y, c31);
            y = Vector512.Load(w2 + p);
            c02 = Fma(x0, y, c02); c12 = Fma(x1, y, c12);
            c22 = Fma(x2, y, c22); c32 = Fma(x3, y, c32);
            y = Vector512.Load(w3 + p);
            c03 = Fma(x0, y, c03); c13 = Fma(x1, y, c13);
            c23 = Fma(x2, y, c23); c33 = Fma(x3, y, c33);
        }
        Store(g, c, i0, j0, true, nj, a0, w0, w1, w2, w3, p, c00, c01, c02, c03, mode);
        if (ni > 1) Store(g, c, i0 + 1, j0, true, nj, a1, w0, w1, w2, w3, p, c10, c11, c12, c13, mode);
        if (ni > 2) Store(g, c, i0 + 2, j0, true, nj, a2, w0, w1, w2, w3, p, c20, c21, c22, c23, mode);
        if (ni > 3) Store(g, c, i0 + 3, j0, true, nj, a3, w0, w1, w2, w3, p, c30, c31, c32, c33, mode);
    }

    // Vector512.FusedMultiplyAdd has float and double overloads only; the type test folds away at compile time
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    // One row of the block: reduce the lanes, add the k tail from p on, update the nj valid elements of C.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(in GemmArgs<T> g, T* c, int i, int j0, bool valid, int nj, T* ai, T* w0, T* w1, T* w2, T* w3, int p,
        Vector512<T> s0, Vector512<T> s1, Vector512<T> s2, Vector512<T> s3, int mode) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!valid) return;
        T* ci = c + (nint)i * g.Ldc + j0;
        Put(g, ci, Tail(Vector512.Sum(s0), ai, w0, p, g.K), mode);
        if (nj > 1) Put(g, ci + 1, Tail(Vector512.Sum(s1), ai, w1, p, g.K), mode);
        if (nj > 2) Put(g, ci + 2, Tail(Vector512.Sum(s2), ai, w2, p, g.K), mode);
        if (nj > 3) Put(g, ci + 3, Tail(Vector512.Sum(s3), ai, w3, p, g.K), mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Tail<T>(T s, T* x, T* y, int p, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (; p < k; p++) s = T.FusedMultiplyAdd(x[p], y[p], s);
        return s;
    }

    // the C update of GemmMode: C = alpha s, fma(alpha, s, C) or fma(alpha, s, beta C)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T>(in GemmArgs<T> g, T* c, T s, int mode) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (mode == GemmMode.Overwrite) *c = g.Alpha * s;
        else if (mode == GemmMode.Accumulate) *c = T.FusedMultiplyAdd(g.Alpha, s, *c);
        else *c = T.FusedMultiplyAdd(g.Alpha, s, g.Beta * *c);
    }
}
