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
        fixed (T* px = x) fixed (T* py = y) Chunked(new PassJob<T> { Op = Pass.MultiplyAdd, X = px, Y = py, A = a, Length = y.Length });
    }

    /// <summary>y = s y element by element, split like <see cref="MultiplyAddInPlace{T}"/> (one rounding per element).</summary>
    public static unsafe void ScaleInPlace<T>(Span<T> y, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* py = y) Chunked(new PassJob<T> { Op = Pass.Scale, Y = py, A = s, Length = y.Length });
    }

    /// <summary>Sets every element of <paramref name="y"/> to zero, split like <see cref="MultiplyAddInPlace{T}"/>.</summary>
    public static unsafe void ClearParallel<T>(Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* py = y) Chunked(new PassJob<T> { Op = Pass.Clear, Y = py, Length = y.Length });
    }

    private enum Pass { MultiplyAdd, Scale, Clear }

    private unsafe struct PassJob<T> where T : unmanaged
    {
        public Pass Op;
        public T* X, Y;
        public T A;
        public int Length;
    }

    /// <summary>Runs the pass over chunks of <see cref="ParallelChunk"/> elements: on the calling thread when there is one chunk or one thread.</summary>
    private static unsafe void Chunked<T>(PassJob<T> job) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = (job.Length + ParallelChunk - 1) / ParallelChunk;
        if (chunks <= 1 || Parallelism.Threads <= 1)
            for (int c = 0; c < chunks; c++) PassChunk<T>(&job, c);
        else Parallelism.ForEachChunk(chunks, Parallelism.Threads, &PassChunk<T>, &job);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PassChunk<T>(void* state, int chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var job = ref *(PassJob<T>*)state;
        int start = chunk * ParallelChunk, length = Math.Min(ParallelChunk, job.Length - start);
        var y = new Span<T>(job.Y + start, length);
        switch (job.Op)
        {
            case Pass.MultiplyAdd: TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(job.X + start, length), job.A, y, y); break;
            case Pass.Scale: TensorPrimitives.Multiply(y, job.A, y); break;
            default: y.Clear(); break;
        }
    }
}
