namespace Gradscope.Tensors;

/// <summary>
/// The number of threads Gradscope's kernels use, and a persistent worker pool that runs
/// their parts. Work is split into fixed contiguous ranges (or fixed chunks) that depend only on
/// the problem size, and each output element is computed by exactly one thread by the same sequence
/// of operations, so results are bit-identical for a given seed and thread count.
/// </summary>
/// <remarks>
/// The pool starts Threads - 1 background workers on first use and reuses them; a call
/// allocates nothing in steady state. A call made while the pool is busy (from a worker, or
/// from a second user thread at the same time) runs its parts one after another on the
/// calling thread: the split, and so the result, is the same. Between jobs a worker spins for a
/// bounded time (<see cref="WorkerSpinMicroseconds"/>, yielding its core to any other runnable
/// thread) before it blocks, so back-to-back small kernels do not pay a wake-up each.
/// </remarks>
public static unsafe partial class Parallelism
{
    private static int _threads = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Threads used by kernels (default: the processor count). Throws ArgumentOutOfRangeException when &lt; 1.</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Threads must be >= 1.");
    }

    /// <summary>
    /// Runs <paramref name="body"/>(part, parts) for part = 0..parts-1, where parts =
    /// min(Threads, maxParts); part 0 runs on the calling thread. Exceptions thrown by a part
    /// are rethrown on the calling thread after every part has finished.
    /// </summary>
    public static void For(int maxParts, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        int parts = Math.Min(_threads, maxParts);
        if (parts <= 1) { body(0, 1); return; }
        WorkerPool.Run(parts, body, null, null, revocable: false);
    }

    /// <summary>
    /// Allocation-free form of <see cref="For(int, Action{int, int})"/>: runs
    /// <paramref name="body"/>(state, part, parts) for part = 0..parts-1 with parts =
    /// min(Threads, maxParts). <paramref name="state"/> must stay valid until the call returns
    /// (a pointer to a local of the caller is fine: the call waits for every part).
    /// </summary>
    public static unsafe void For(int maxParts, delegate*<void*, int, int, void> body, void* state)
    {
        if (body == null) throw new ArgumentNullException(nameof(body));
        int parts = Math.Min(_threads, maxParts);
        if (parts <= 1) { body(state, 0, 1); return; }
        WorkerPool.Run(parts, null, body, state, revocable: false);
    }

    /// <summary>
    /// Runs <paramref name="body"/>(state, chunk) once for every chunk = 0..chunks-1 on up to
    /// min(Threads, maxParts) threads, which claim the chunks one at a time in increasing order; the
    /// calling thread takes part and returns once every chunk is done. Which thread runs a chunk
    /// depends on timing, so a chunk must compute its outputs the same way on any thread and must
    /// not wait for another chunk. A worker that has not started by the time the caller runs out of
    /// chunks is dismissed rather than waited for, so a sleeping or descheduled worker costs no
    /// wake-up latency: with two threads such a call is never much slower than with one.
    /// Exceptions are rethrown on the calling thread after every started chunk has finished.
    /// </summary>
    public static unsafe void ForEachChunk(int chunks, int maxParts, delegate*<void*, int, void> body, void* state)
    {
        if (body == null) throw new ArgumentNullException(nameof(body));
        ArgumentOutOfRangeException.ThrowIfNegative(chunks);
        int parts = Math.Min(Math.Min(_threads, maxParts), chunks);
        if (parts <= 1)
        {
            for (int c = 0; c < chunks; c++) body(state, c);
            return;
        }
        var job = new ChunkJob { Body = body, State = state, Chunks = chunks, Next = 0 };
        WorkerPool.Run(parts, null, &ClaimChunks, &job, revocable: true);
    }

    private struct ChunkJob
    {
        public delegate*<void*, int, void> Body;
        public void* State;
        public int Chunks, Next;
    }

    private static void ClaimChunks(void* state, int part, int parts)
    {
        ref var job = ref *(ChunkJob*)state;
        for (int c = Interlocked.Increment(ref job.Next) - 1; c < job.Chunks; c = Interlocked.Increment(ref job.Next) - 1)
            job.Body(job.State, c);
    }

    /// <summary>
    /// How long (microseconds) an idle worker keeps polling for the next job before it blocks; it yields its
    /// core every few microseconds meanwhile, so it takes CPU only from an otherwise idle core.
    /// NOTE: a blocked worker is woken through the kernel (a futex wake and, on a VM, an inter-processor
    /// interrupt to a halted vCPU), which costs tens of microseconds: about as long as a whole 256^3 product
    /// on one core. Kernels of a training step come within microseconds of each other, so a worker that polls
    /// for a while after each job catches the next one at once.
    /// </summary>
    internal static int WorkerSpinMicroseconds { get; set; } = 100;

    /// <summary>
    /// True while the current thread runs a part of a Parallelism.For
    /// call whose parts run at the same time on different threads (so parts may wait for each other);
    /// false when the parts run one after another on one thread (one part, a nested call, or a busy pool).
    /// </summary>
    internal static bool PartsRunConcurrently => _concurrent;

    [ThreadStatic] private static bool _concurrent;

    /// <summary>The half-open range [start, end) of part <paramref name="part"/> when n items are split in <paramref name="parts"/>.</summary>
    public static (int Start, int End) Range(int n, int part, int parts)
    {
        long start = (long)n * part / parts, end = (long)n * (part + 1) / parts;
        return ((int)start, (int)end);
    }
}
