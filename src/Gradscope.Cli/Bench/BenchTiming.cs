using System.Diagnostics;
using System.Numerics;
using Gradscope.Training;

namespace Gradscope.Cli.Bench;

/// <summary>Timing helpers shared by the workloads.</summary>
internal static class BenchTiming
{
    /// <summary>Median of the values (mean of the middle two for an even count).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var s = values.OrderBy(v => v).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    /// <summary>
    /// peak.py's best_time: one untimed call, then timed calls until at least 5 reps and 0.4 s
    /// (at most 500); returns the best time in seconds, the rep count and allocated bytes per call.
    /// </summary>
    public static (double Best, int Reps, double BytesPerCall) BestTime(Action fn)
    {
        fn();
        var times = new List<double>(512);
        long bytes0 = GC.GetTotalAllocatedBytes(true);
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || (total.Elapsed.TotalSeconds < 0.4 && times.Count < 500))
        {
            long t0 = Stopwatch.GetTimestamp();
            fn();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        long bytes = GC.GetTotalAllocatedBytes(true) - bytes0;
        // the list of times itself may grow: its capacity was reserved above
        return (times.Min(), times.Count, (double)bytes / times.Count);
    }

    /// <summary>
    /// The peer's training loop: <paramref name="warmup"/> untimed steps of GD (lr 0.01) cycling through the
    /// <paramref name="batches"/>, then <paramref name="steps"/> timed ones -> samples/s and bytes allocated per step.
    /// </summary>
    public static BenchSample SamplesPerSecond<T>(Objective<T> objective, Gd<T> gd, int[][] batches, int warmup, int steps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < warmup; i++) gd.Step(objective, batches[i % batches.Length], new StepContext(i, 0.01, 0));
        long bytes0 = GC.GetTotalAllocatedBytes(true);
        long t0 = Stopwatch.GetTimestamp();
        for (int i = warmup; i < warmup + steps; i++) gd.Step(objective, batches[i % batches.Length], new StepContext(i, 0.01, 0));
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long bytes = GC.GetTotalAllocatedBytes(true) - bytes0;
        return new BenchSample(steps * batches[0].Length / seconds, (double)bytes / steps, null);
    }

    /// <summary>Peak GFLOP/s of this machine for <paramref name="threads"/> cores (2.5 GHz x 2 FMA units x lanes x 2).</summary>
    public static double PeakGflops(string dtype, int threads) => threads * 2.5 * 2 * (dtype == "f32" ? 16 : 8) * 2;

    /// <summary>"f32"/"f64" to the peer's dtype name.</summary>
    public static string TorchDtype(string dtype) => dtype == "f32" ? "float32" : "float64";
}
