using System.Diagnostics;
using Gradscope.Tensors;

namespace Gradscope.Tests.Tensors;

/// <summary>
/// Parallelism.ForEachChunk (chunks claimed dynamically, late workers dismissed) and the in-place GEMM
/// that uses it: every chunk runs exactly once whatever the timing (chunks of random length, workers that
/// block at once or poll, thread counts 1-3), exceptions reach the caller, nested calls run serially, and
/// GEMM results are bit-identical for every thread count, chunk count and split threshold.
/// </summary>
public sealed partial class GemmTests
{
    private static unsafe void CountChunk(void* state, int chunk)
    {
        var s = (ChunkCounts*)state;
        if (s->SpinTicks != null)
        {
            long until = Stopwatch.GetTimestamp() + s->SpinTicks[chunk];
            while (Stopwatch.GetTimestamp() < until) { }
        }
        Interlocked.Increment(ref s->Hits[chunk]);
    }

    private unsafe struct ChunkCounts
    {
        public int* Hits;
        public long* SpinTicks;
    }

    [Fact]
    public unsafe void ForEachChunkRunsEveryChunkOnce()
    {
        int saved = Parallelism.Threads, savedSpin = Parallelism.WorkerSpinMicroseconds;
        var rng = new Rng(41);
        try
        {
            foreach (int spinUs in new[] { 0, 100 })
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    Parallelism.WorkerSpinMicroseconds = spinUs;
                    Parallelism.Threads = threads;
                    for (int rep = 0; rep < 150; rep++)
                    {
                        int chunks = rng.NextInt(20), maxParts = 1 + rng.NextInt(4);
                        var hits = new int[Math.Max(1, chunks)];
                        // chunks of 0-30 microseconds (some calls with none), so workers arrive early, late or not at all
                        var ticks = new long[Math.Max(1, chunks)];
                        if (rng.NextInt(2) == 0)
                            for (int c = 0; c < chunks; c++) ticks[c] = rng.NextInt(30) * Stopwatch.Frequency / 1_000_000;
                        fixed (int* h = hits) fixed (long* t = ticks)
                        {
                            var s = new ChunkCounts { Hits = h, SpinTicks = t };
                            Parallelism.ForEachChunk(chunks, maxParts, &CountChunk, &s);
                        }
                        for (int c = 0; c < chunks; c++) Assert.Equal(1, hits[c]);
                    }
                }
            // nested inside a parallel part: the inner call runs its chunks on the calling thread
            Parallelism.Threads = 2;
            var inner = new int[2 * 7];
            Parallelism.For(2, (outer, _) =>
            {
                fixed (int* h = &inner[outer * 7])
                {
                    var s = new ChunkCounts { Hits = h };
                    Parallelism.ForEachChunk(7, 2, &CountChunk, &s);
                }
            });
            Assert.All(inner, count => Assert.Equal(1, count));
        }
        finally { Parallelism.Threads = saved; Parallelism.WorkerSpinMicroseconds = savedSpin; }
    }

    private static unsafe void ThrowOnChunk3(void* state, int chunk)
    {
        if (chunk == 3) throw new InvalidOperationException("chunk 3");
    }

    [Fact]
    public unsafe void ForEachChunkRethrowsAndStaysUsable()
    {
        int saved = Parallelism.Threads;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.Threads = threads;
                var ex = Assert.Throws<InvalidOperationException>(() => Parallelism.ForEachChunk(8, 2, &ThrowOnChunk3, null));
                Assert.Equal("chunk 3", ex.Message);
                var hits = new int[5];
                fixed (int* h = hits)
                {
                    var s = new ChunkCounts { Hits = h };
                    Parallelism.ForEachChunk(5, 2, &CountChunk, &s);
                }
                Assert.All(hits, count => Assert.Equal(1, count));
            }
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void SmallPathBitIdenticalForEveryChunking()
    {
        var rng = new Rng(16);
        int saved = Parallelism.Threads, savedChunks = GemmInPlace.ChunksPerPart, savedSpin = Parallelism.WorkerSpinMicroseconds;
        long savedMacs = Gemm.InPlaceMacs, savedPerPart = GemmInPlace.MacsPerPart;
        try
        {
            Gemm.InPlaceMacs = long.MaxValue;
            // split by columns (n = 200: 7 panels) and by rows (n = 20: one panel), with a second k block (k = 400 > KC)
            foreach (var (m, n, k, ta, tb) in new[] { (90, 200, 400, false, true), (150, 20, 70, true, false), (33, 97, 45, true, true) })
            {
                var p = Problem.Random(rng, m, n, k, ta, tb, pad: 2);
                Parallelism.Threads = 1;
                var one = p.Run<float>(0.5, 0.25);
                var oneD = p.Run<double>(0.5, 0.25);
                p.AssertClose(one, p.Reference(0.5, 0.25), 2 * (k + 2) * 6e-8, $"f32 {m}x{n}x{k}");
                foreach (int threads in new[] { 2, 3 })
                    foreach (int chunksPerPart in new[] { 1, 4, 64 })
                        foreach (int spinUs in new[] { 0, 100 })
                        {
                            Parallelism.Threads = threads;
                            GemmInPlace.ChunksPerPart = chunksPerPart;
                            GemmInPlace.MacsPerPart = 1 << 10;
                            Parallelism.WorkerSpinMicroseconds = spinUs;
                            Assert.Equal(one, p.Run<float>(0.5, 0.25));
                            Assert.Equal(oneD, p.Run<double>(0.5, 0.25));
                        }
                GemmInPlace.ChunksPerPart = savedChunks; GemmInPlace.MacsPerPart = savedPerPart;
            }
        }
        finally
        {
            Gemm.InPlaceMacs = savedMacs; Parallelism.Threads = saved; GemmInPlace.ChunksPerPart = savedChunks;
            GemmInPlace.MacsPerPart = savedPerPart; Parallelism.WorkerSpinMicroseconds = savedSpin;
        }
    }
}
