using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Gradscope.Tensors;

public static unsafe partial class Parallelism
{
    /// <summary>Persistent background workers; one job at a time (guarded by a flag).</summary>
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

        /// <summary>
        /// Runs parts 1..parts-1 on workers and part 0 here, then waits for them. With
        /// <paramref name="revocable"/> (parts that never wait for each other), a worker that has not
        /// taken its part when part 0 returns loses it: the part is not run at all, which is right for
        /// <see cref="ClaimChunks"/> (the caller has claimed every chunk by then).
        /// </summary>
        public static void Run(int parts, Action<int, int>? action, delegate*<void*, int, int, void> fn, void* state, bool revocable)
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
                for (int w = 0; w < parts - 1; w++) _workers[w].Offer();
                try { Invoke(action, fn, state, 0, parts, concurrent: true); }
                catch (Exception e) { lock (Done) _error ??= ExceptionDispatchInfo.Capture(e); }
                if (revocable)
                    for (int w = 0; w < parts - 1; w++)
                        if (_workers[w].Revoke()) Interlocked.Decrement(ref _pending);
                WaitForWorkers();
                _action = null; _fn = null; _state = null;
                var err = _error; _error = null;
                err?.Throw();
            }
            finally { Volatile.Write(ref _busy, 0); }
        }

        /// <summary>Polls (bounded, yielding) until every taken part is done, then blocks on Done.</summary>
        private static void WaitForWorkers()
        {
            if (Volatile.Read(ref _pending) == 0) return;
            long deadline = Stopwatch.GetTimestamp() + WorkerSpinMicroseconds * Stopwatch.Frequency / 1_000_000;
            for (int i = 1; Volatile.Read(ref _pending) != 0; i++)
            {
                if ((i & 15) != 0) { Thread.SpinWait(8); continue; }
                if (Stopwatch.GetTimestamp() < deadline) { Thread.Yield(); continue; }
                // NOTE: a worker sets Done after its decrement, so a Set from the previous job can land after this
                // job's Reset; a stale Set would make Wait return at once and this loop spin hot on the core the
                // worker needs. Re-arm and re-check (the loop condition re-reads _pending, so no Set is lost).
                Done.Wait();
                if (Volatile.Read(ref _pending) != 0) Done.Reset();
            }
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
        /// A worker waits for its ticket to change: it polls for <see cref="WorkerSpinMicroseconds"/>
        /// (pausing, and yielding every few microseconds), since kernels tend to come back to back, then
        /// sleeps on a semaphore. The owner bumps the ticket and releases the semaphore only if the worker
        /// announced it sleeps (Dekker-style handshake with full fences on both sides, so no wake-up is
        /// lost and none is left over). A part is handed over through <c>_offer</c> (0 none, 1 offered,
        /// 2 taken): the worker runs the job only if it moves 1 to 2, and the owner may move 1 to 0
        /// (revoke) instead, after which the worker leaves that job alone.
        /// </summary>
        private sealed class Worker
        {
            private readonly SemaphoreSlim _go = new(0);
            private readonly int _part;
            private int _ticket, _sleeping, _offer;

            public Worker(int part)
            {
                _part = part;
                var t = new Thread(Loop) { IsBackground = true, Name = $"Gradscope worker {part}" };
                t.Start();
            }

            /// <summary>Hands the current job to this worker (called by the job's owner only).</summary>
            public void Offer()
            {
                Volatile.Write(ref _offer, 1);
                Interlocked.Increment(ref _ticket);
                if (Interlocked.Exchange(ref _sleeping, 0) == 1) _go.Release();
            }

            /// <summary>Takes the current job back if the worker has not started it; true if revoked.</summary>
            public bool Revoke() => Interlocked.CompareExchange(ref _offer, 0, 1) == 1;

            private void Loop()
            {
                _isWorker = true;
                int seen = 0;
                bool block = false;
                while (true)
                {
                    // NOTE: a worker that polled and still lost its part (revoked) was most likely polling on the caller's
                    // own core: a polling thread stays runnable, so the scheduler leaves it there and the other core idles.
                    // It then blocks instead of polling; the next offer wakes it, and a woken thread is placed on an idle
                    // core. A worker that lost its part after sleeping was just slow to wake: it polls again next time.
                    bool slept = block || !Poll(seen);
                    if (slept)
                    {
                        Interlocked.Exchange(ref _sleeping, 1);
                        if (Volatile.Read(ref _ticket) == seen) _go.Wait();
                        // the owner saw us sleeping and released the semaphore: consume that release
                        else if (Interlocked.Exchange(ref _sleeping, 0) == 0) _go.Wait();
                    }
                    seen = Volatile.Read(ref _ticket);
                    bool revoked = Interlocked.CompareExchange(ref _offer, 2, 1) != 1;
                    block = revoked && !slept;
                    if (revoked) continue;   // revoked (or already run)
                    try { Invoke(_action, _fn, _state, _part, _parts, concurrent: true); }
                    catch (Exception e) { lock (Done) _error ??= ExceptionDispatchInfo.Capture(e); }
                    if (Interlocked.Decrement(ref _pending) == 0) Done.Set();
                }
            }

            /// <summary>Polls for a ticket other than <paramref name="seen"/> for a bounded time; true if one came.</summary>
            private bool Poll(int seen)
            {
                long deadline = 0;
                for (int i = 1; ; i++)
                {
                    if (Volatile.Read(ref _ticket) != seen) return true;
                    if ((i & 15) != 0) { Thread.SpinWait(8); continue; }
                    long now = Stopwatch.GetTimestamp();
                    if (deadline == 0) deadline = now + WorkerSpinMicroseconds * Stopwatch.Frequency / 1_000_000;
                    else if (now >= deadline) return false;
                    Thread.Yield();
                }
            }
        }
    }
}
