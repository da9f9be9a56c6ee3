using System.Runtime.ExceptionServices;

namespace Gradscope.Tensors;

/// <summary>
/// The number of threads Gradscope's kernels use, and a persistent worker pool that runs
/// their parts. Work is split into fixed contiguous ranges that depend only on the problem
/// size and this count, and each output element is computed by exactly one thread in a fixed
/// order, so results are bit-identical for a given seed and thread count.
/// </summary>
/// <remarks>
/// The pool starts Threads - 1 background workers on first use and reuses them; a call
/// allocates nothing in steady state. A call made while the pool is busy (from a worker, or
/// from a second user thread at the same time) runs its parts one after another on the
/// calling thread: the split, and so the result, is the same.
/// </remarks>
public static unsafe class Parallelism
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
        WorkerPool.Run(parts, body, null, null);
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
        WorkerPool.Run(parts, null, body, state);
    }

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

    /// <summary>Persistent background workers; one job at a time (guarded by a lock).</summary>
    private static unsafe class WorkerPool
    {
        private static int _busy;   // 1 while a job runs (not reentrant: a nested call runs serially)
        private static Worker[] _workers = [];
        [ThreadStatic] private static bool _isWorker;

        // the current job
        private static Action<int, int>? _action;
        private static delegate*<void*, int, int, void> _fn;
        private static void* _state;
        private static int _parts;
        private static int _pending;
        private static ExceptionDispatchInfo? _error;
        private static readonly ManualResetEventSlim Done = new(false);

        public static void Run(int parts, Action<int, int>? action, delegate*<void*, int, int, void> fn, void* state)
        {
            if (_isWorker || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            {
                // busy or nested (from a worker, or from part 0 on the calling thread): same split, run serially here
                for (int p = 0; p < parts; p++) Invoke(action, fn, state, p, parts, concurrent: false);
                return;
            }
            try
            {
                EnsureWorkers(parts - 1);
                _action = action; _fn = fn; _state = state; _parts = parts; _error = null;
                Done.Reset();
                Volatile.Write(ref _pending, parts - 1);
                for (int w = 0; w < parts - 1; w++) _workers[w].Wake();
                try { Invoke(action, fn, state, 0, parts, concurrent: true); }
                catch (Exception e) { lock (Done) _error ??= ExceptionDispatchInfo.Capture(e); }
                var spin = new SpinWait();
                while (Volatile.Read(ref _pending) != 0)
                {
                    if (spin.Count < 50) spin.SpinOnce(sleep1Threshold: -1);
                    else
                    {
                        // NOTE: a worker sets Done after its decrement, so a Set from the previous job can land after this
                        // job's Reset; a stale Set would make Wait return at once and this loop spin hot on the core the
                        // worker needs. Re-arm and re-check (the loop condition re-reads _pending, so no Set is lost).
                        Done.Wait();
                        if (Volatile.Read(ref _pending) != 0) Done.Reset();
                    }
                }
                _action = null; _fn = null; _state = null;
                var err = _error; _error = null;
                err?.Throw();
            }
            finally { Volatile.Write(ref _busy, 0); }
        }

        private static void Invoke(Action<int, int>? action, delegate*<void*, int, int, void> fn, void* state, int part, int parts, bool concurrent)
        {
            bool saved = _concurrent;
            _concurrent = concurrent;
            try
            {
                if (action is not null) action(part, parts);
                else fn(state, part, parts);
            }
            finally { _concurrent = saved; }
        }

        private static void EnsureWorkers(int count)
        {
            if (_workers.Length >= count) return;
            var grown = new Worker[count];
            Array.Copy(_workers, grown, _workers.Length);
            for (int i = _workers.Length; i < count; i++) grown[i] = new Worker(i + 1);
            _workers = grown;
        }

        /// <summary>
        /// A worker waits for its ticket to change: it spins briefly (yielding), since kernels
        /// tend to come back to back, then sleeps on a semaphore. The caller bumps the ticket and
        /// releases the semaphore only if the worker announced it sleeps (Dekker-style handshake
        /// with full fences on both sides, so no wake-up is lost and none is left over).
        /// </summary>
        private sealed class Worker
        {
            private const int SpinLimit = 60;
            private readonly SemaphoreSlim _go = new(0);
            private readonly int _part;
            private int _ticket, _sleeping;

            public Worker(int part)
            {
                _part = part;
                var t = new Thread(Loop) { IsBackground = true, Name = $"Gradscope worker {part}" };
                t.Start();
            }

            /// <summary>Hands the current job to this worker (called by the job's owner only).</summary>
            public void Wake()
            {
                Interlocked.Increment(ref _ticket);
                if (Interlocked.Exchange(ref _sleeping, 0) == 1) _go.Release();
            }

            private void Loop()
            {
                _isWorker = true;
                int seen = 0;
                while (true)
                {
                    var spin = new SpinWait();
                    while (Volatile.Read(ref _ticket) == seen && spin.Count < SpinLimit) spin.SpinOnce(sleep1Threshold: -1);
                    if (Volatile.Read(ref _ticket) == seen)
                    {
                        Interlocked.Exchange(ref _sleeping, 1);
                        if (Volatile.Read(ref _ticket) == seen) _go.Wait();
                        // the owner saw us sleeping and released the semaphore: consume that release
                        else if (Interlocked.Exchange(ref _sleeping, 0) == 0) _go.Wait();
                    }
                    seen++;
                    try { Invoke(_action, _fn, _state, _part, _parts, concurrent: true); }
                    catch (Exception e) { lock (Done) _error ??= ExceptionDispatchInfo.Capture(e); }
                    if (Interlocked.Decrement(ref _pending) == 0) Done.Set();
                }
            }
        }
    }
}
