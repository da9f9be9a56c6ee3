using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Gradscope.Tensors;

/// <summary>Element-wise passes over long vectors (a whole model's parameters) split between the kernel threads.</summary>
public static partial class TensorOps
{
    /// <summary>
    /// Vectors shorter than this run on the calling thread; longer ones are cut into chunks of this many elements.
    /// NOTE: these passes are bound by memory traffic; two cores read and write their own L2 and the shared L3 at
    /// about twice the rate of one (the SGD update of 784-256-256-10 was the largest item of a batch-1 step).
    /// </summary>
    internal const int ParallelChunk = 1 << 15;

    /// <summary>
    /// y = a x + y element by element (x a rounded, then the sum rounded: <see cref="TensorPrimitives.MultiplyAdd{T}(ReadOnlySpan{T}, T, ReadOnlySpan{T}, Span{T})"/>),
    /// split into fixed chunks between the kernel threads. Each element gets the same two roundings wherever it is
    /// computed, so the result does not depend on the thread count. Throws ArgumentException when the lengths differ.
    /// </summary>
    public static unsafe void MultiplyAddInPlace<T>(ReadOnlySpan<T> x, T a, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != y.Length) throw new ArgumentException($"MultiplyAddInPlace: x has {x.Length} elements, y {y.Length}.");
        int chunks = (y.Length + ParallelChunk - 1) / ParallelChunk;
        if (chunks <= 1 || Parallelism.Threads <= 1) { TensorPrimitives.MultiplyAdd(x, a, y, y); return; }
        fixed (T* px = x) fixed (T* py = y)
        {
            var job = new AxpyJob<T> { X = px, Y = py, A = a, Length = y.Length };
            Parallelism.ForEachChunk(chunks, Parallelism.Threads, &AxpyChunk<T>, &job);
        }
    }

    /// <summary>y = s y element by element, split like <see cref="MultiplyAddInPlace{T}"/> (one rounding per element).</summary>
    public static unsafe void ScaleInPlace<T>(Span<T> y, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = (y.Length + ParallelChunk - 1) / ParallelChunk;
        if (chunks <= 1 || Parallelism.Threads <= 1) { TensorPrimitives.Multiply(y, s, y); return; }
        fixed (T* py = y)
        {
            var job = new AxpyJob<T> { Y = py, A = s, Length = y.Length };
            Parallelism.ForEachChunk(chunks, Parallelism.Threads, &ScaleChunk<T>, &job);
        }
    }

    /// <summary>Sets every element of <paramref name="y"/> to zero, split like <see cref="MultiplyAddInPlace{T}"/>.</summary>
    public static unsafe void ClearParallel<T>(Span<T> y) where T : unmanaged
    {
        int chunks = (y.Length + ParallelChunk - 1) / ParallelChunk;
        if (chunks <= 1 || Parallelism.Threads <= 1) { y.Clear(); return; }
        fixed (T* py = y)
        {
            var job = new ClearJob<T> { Y = py, Length = y.Length };
            Parallelism.ForEachChunk(chunks, Parallelism.Threads, &ClearChunk<T>, &job);
        }
    }

    private unsafe struct AxpyJob<T> where T : unmanaged
    {
        public T* X, Y;
        public T A;
        public int Length;
    }

    private unsafe struct ClearJob<T> where T : unmanaged
    {
        public T* Y;
        public int Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AxpyChunk<T>(void* state, int chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var job = ref *(AxpyJob<T>*)state;
        int start = chunk * ParallelChunk, length = Math.Min(ParallelChunk, job.Length - start);
        var y = new Span<T>(job.Y + start, length);
        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(job.X + start, length), job.A, y, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ScaleChunk<T>(void* state, int chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var job = ref *(AxpyJob<T>*)state;
        int start = chunk * ParallelChunk, length = Math.Min(ParallelChunk, job.Length - start);
        var y = new Span<T>(job.Y + start, length);
        TensorPrimitives.Multiply(y, job.A, y);
    }

    private static unsafe void ClearChunk<T>(void* state, int chunk) where T : unmanaged
    {
        ref var job = ref *(ClearJob<T>*)state;
        int start = chunk * ParallelChunk, length = Math.Min(ParallelChunk, job.Length - start);
        new Span<T>(job.Y + start, length).Clear();
    }
}
