namespace Gradscope.Tensors;

/// <summary>
/// The number of threads Gradscope's kernels use. Work is split into fixed contiguous
/// ranges that depend only on the problem size and this count, and each output element
/// is computed by exactly one thread in a fixed order, so results are bit-identical for
/// a given seed and thread count.
/// </summary>
public static class Parallelism
{
    private static int _threads = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Threads used by kernels (default: the processor count).</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Threads must be >= 1.");
    }

    /// <summary>
    /// Runs <paramref name="body"/>(part, parts) for part = 0..parts-1, where parts =
    /// min(Threads, maxParts); part 0 runs on the calling thread.
    /// </summary>
    public static void For(int maxParts, Action<int, int> body)
    {
        int parts = Math.Min(_threads, maxParts);
        if (parts <= 1) { body(0, 1); return; }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p => body(p, parts));
    }

    /// <summary>The half-open range [start, end) of part <paramref name="part"/> when n items are split in <paramref name="parts"/>.</summary>
    public static (int Start, int End) Range(int n, int part, int parts)
    {
        long start = (long)n * part / parts, end = (long)n * (part + 1) / parts;
        return ((int)start, (int)end);
    }
}
