using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Tensors;

/// <summary>
/// The direct path of <see cref="Gemm"/> for tiny and matrix-vector shapes, where packing
/// would cost as much as the product: C = alpha op(A) op(B) + beta C without copies, one row of
/// C at a time (single-threaded, except large matrix-vector products). Each element is sum_p A(i,p) B(p,j) in increasing p order
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
        bool dotForm = rowVector ? transB : !transA;
        // the axpy form of a large product sums k in AxpyBlocks fixed blocks (partial rows, then added in order)
        bool blockedAxpy = !dotForm && (long)len * k >= MatrixVectorMacsPerPart && k >= AxpyBlocks;
        var x = RowBuffer<T>.Get(k + len + (blockedAxpy ? AxpyBlocks * len : 0));
        var vec = x[..k];
        var acc = x.Slice(k, len);
        if (rowVector) { if (transA) for (int p = 0; p < k; p++) vec[p] = a[p * lda]; else a[..k].CopyTo(vec); }
        else { if (!transB) for (int p = 0; p < k; p++) vec[p] = b[p * ldb]; else b[..k].CopyTo(vec); }
        // the matrix operand M(p, j): contiguous along p (dot form) or along j (axpy form)
        ReadOnlySpan<T> mat = rowVector ? b : a;
        int ldm = rowVector ? ldb : lda;
        int parts = (int)Math.Clamp((long)len * k / MatrixVectorMacsPerPart, 1, Parallelism.Threads);
        if (blockedAxpy)
            BlockedAxpy(vec, mat, ldm, acc, x.Slice(k + len, AxpyBlocks * len), parts);
        else if (parts > 1 && dotForm)
            SplitDot(vec, mat, ldm, acc, parts);
        else if (dotForm)
            for (int j = 0; j < len; j++) acc[j] = Dot(vec, mat.Slice(j * ldm, k));
        else
        {
            acc.Clear();
            AxpyRows(vec, 0, k, mat, ldm, acc);
        }
        for (int j = 0; j < len; j++)
        {
            ref T cj = ref c[(int)(j * cs)];
            cj = beta == T.Zero ? alpha * acc[j] : alpha * acc[j] + beta * cj;
        }
    }

    /// <summary>
    /// A matrix-vector product is split between threads only when each part gets at least this many multiply-adds.
    /// NOTE: a matrix-vector product reads each matrix element once, so it runs at the speed of memory; two cores
    /// read from their own L2 and the shared L3 at about twice the rate of one. Measured on a quiet machine (f32,
    /// 2 threads against 1): see docs/perf/gemm-small.md.
    /// </summary>
    internal static long MatrixVectorMacsPerPart = 1L << 15;

    /// <summary>Chunks per thread of a split dot-form product (claimed one at a time, so a late thread takes fewer).</summary>
    private const int MatrixVectorChunksPerPart = 4;

    /// <summary>
    /// The fixed number of blocks of k in which the axpy form of a large matrix-vector product sums (whatever the
    /// thread count, so the result depends on the shape alone).
    /// </summary>
    internal const int AxpyBlocks = 4;

    /// <summary>
    /// acc[j] = Dot(vec, row j of M), the rows split into chunks claimed by up to <paramref name="parts"/> threads.
    /// Each element is the same dot product of the same spans as on one thread, so the result does not depend on
    /// the thread count.
    /// </summary>
    private static unsafe void SplitDot<T>(Span<T> vec, ReadOnlySpan<T> mat, int ldm, Span<T> acc, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = Math.Min(acc.Length, MatrixVectorChunksPerPart * parts);
        fixed (T* pv = vec) fixed (T* pm = mat) fixed (T* pa = acc)
        {
            var job = new MatrixVectorJob<T> { Vec = pv, Mat = pm, Acc = pa, K = vec.Length, Len = acc.Length, Ldm = ldm, MatLength = mat.Length, Chunks = chunks };
            Parallelism.ForEachChunk(chunks, parts, &DotChunk<T>, &job);
        }
    }

    /// <summary>
    /// acc = sum_p vec[p] row p of M summed as AxpyBlocks partial rows over fixed consecutive ranges of p (each an FMA
    /// chain in increasing p), then acc = ((r_0 + r_1) + r_2) + r_3. The blocks run on up to <paramref name="parts"/>
    /// threads; the arithmetic is the same on any thread count.
    /// NOTE: splitting the axpy form by columns instead (each thread its columns of every row) was slower on two
    /// threads than on one (1 x 1024 x 1024 nn f32: 24-34 against 36-39 GFLOP/s): each thread then streams half-rows
    /// 4 KB apart. Blocks of whole rows keep both streams contiguous.
    /// </summary>
    private static unsafe void BlockedAxpy<T>(Span<T> vec, ReadOnlySpan<T> mat, int ldm, Span<T> acc, Span<T> partial, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int len = acc.Length;
        fixed (T* pv = vec) fixed (T* pm = mat) fixed (T* pp = partial)
        {
            var job = new MatrixVectorJob<T> { Vec = pv, Mat = pm, Acc = pp, K = vec.Length, Len = len, Ldm = ldm, MatLength = mat.Length, Chunks = AxpyBlocks };
            Parallelism.ForEachChunk(AxpyBlocks, Math.Min(parts, AxpyBlocks), &AxpyBlock<T>, &job);
        }
        partial[..len].CopyTo(acc);
        for (int b = 1; b < AxpyBlocks; b++) TensorPrimitives.Add(acc, partial.Slice(b * len, len), acc);
    }

    private unsafe struct MatrixVectorJob<T> where T : unmanaged
    {
        public T* Vec, Mat, Acc;
        public int K, Len, Ldm, MatLength, Chunks;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotChunk<T>(void* state, int chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var job = ref *(MatrixVectorJob<T>*)state;
        var (j0, j1) = Parallelism.Range(job.Len, chunk, job.Chunks);
        var vec = new ReadOnlySpan<T>(job.Vec, job.K);
        var mat = new ReadOnlySpan<T>(job.Mat, job.MatLength);
        var acc = new Span<T>(job.Acc, job.Len);
        for (int j = j0; j < j1; j++) acc[j] = Dot(vec, mat.Slice(j * job.Ldm, job.K));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AxpyBlock<T>(void* state, int block) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var job = ref *(MatrixVectorJob<T>*)state;
        var (p0, p1) = Parallelism.Range(job.K, block, job.Chunks);
        var vec = new ReadOnlySpan<T>(job.Vec, job.K);
        var mat = new ReadOnlySpan<T>(job.Mat, job.MatLength);
        var acc = new Span<T>(job.Acc + (long)block * job.Len, job.Len);
        acc.Clear();
        AxpyRows(vec, p0, p1, mat, job.Ldm, acc);
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

    /// <summary>
    /// acc[j] = fma(vec[p], M(p, j), acc[j]) for p = p0..p1-1 in increasing p: four rows at a time with acc held in a
    /// register across them (one load and one store of acc per four rows), the same chain of fused multiply-adds per
    /// element as one row at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRows<T>(ReadOnlySpan<T> vec, int p0, int p1, ReadOnlySpan<T> mat, int ldm, Span<T> acc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector512<T>.Count, n = acc.Length, p = p0;
        ref T ra = ref MemoryMarshal.GetReference(acc);
        for (; p + 4 <= p1; p += 4)
        {
            ref T r0 = ref MemoryMarshal.GetReference(mat.Slice(p * ldm, n));
            ref T r1 = ref MemoryMarshal.GetReference(mat.Slice((p + 1) * ldm, n));
            ref T r2 = ref MemoryMarshal.GetReference(mat.Slice((p + 2) * ldm, n));
            ref T r3 = ref MemoryMarshal.GetReference(mat.Slice((p + 3) * ldm, n));
            T a0 = vec[p], a1 = vec[p + 1], a2 = vec[p + 2], a3 = vec[p + 3];
            Vector512<T> v0 = Vector512.Create(a0), v1 = Vector512.Create(a1), v2 = Vector512.Create(a2), v3 = Vector512.Create(a3);
            int j = 0;
            for (; j <= n - w; j += w)
            {
                var s = Vector512.LoadUnsafe(ref ra, (nuint)j);
                s = Fma(v0, Vector512.LoadUnsafe(ref r0, (nuint)j), s);
                s = Fma(v1, Vector512.LoadUnsafe(ref r1, (nuint)j), s);
                s = Fma(v2, Vector512.LoadUnsafe(ref r2, (nuint)j), s);
                s = Fma(v3, Vector512.LoadUnsafe(ref r3, (nuint)j), s);
                s.StoreUnsafe(ref ra, (nuint)j);
            }
            for (; j < n; j++)
            {
                T s = Unsafe.Add(ref ra, j);
                s = T.FusedMultiplyAdd(a0, Unsafe.Add(ref r0, j), s);
                s = T.FusedMultiplyAdd(a1, Unsafe.Add(ref r1, j), s);
                s = T.FusedMultiplyAdd(a2, Unsafe.Add(ref r2, j), s);
                s = T.FusedMultiplyAdd(a3, Unsafe.Add(ref r3, j), s);
                Unsafe.Add(ref ra, j) = s;
            }
        }
        for (; p < p1; p++) Axpy(vec[p], mat.Slice(p * ldm, n), acc);
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
