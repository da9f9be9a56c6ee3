using Gradscope.Tensors;

namespace Gradscope.Cli.Bench;

/// <summary>
/// peak.py: C = A B, square n x n (n = 256, 512, 1024, 2048), FLOPs = 2 n^3, output preallocated;
/// best of >= 5 reps / 0.4 s per repetition; GFLOP/s and percent of peak. Peer: numpy (OpenBLAS).
/// </summary>
internal sealed class GemmWorkload : IBenchWorkload
{
    private static readonly int[] DefaultSizes = [256, 512, 1024, 2048];

    public string Name => "gemm";
    public string Description => "C = A B square n x n, n = 256..2048 (peak.py); peer: numpy/OpenBLAS";
    public string Metric => "GFLOP/s";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings)
    {
        string dtype = settings.Dtype ?? "f32";
        var sizes = settings.Sizes.Length > 0 ? settings.Sizes : DefaultSizes;
        return sizes.Select(n => new BenchCase($"n={n} {dtype}", dtype, new Dictionary<string, object>
        {
            ["workload"] = "gemm", ["lib"] = "numpy", ["dtype"] = BenchTiming.TorchDtype(dtype), ["n"] = n, ["threads"] = settings.Threads,
        })).ToArray();
    }

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed)
    {
        int n = (int)benchCase.Peer["n"];
        return benchCase.Dtype == "f32" ? Run<float>(n, seed, settings.Threads) : Run<double>(n, seed, settings.Threads);
    }

    private static BenchSample Run<T>(int n, int seed, int threads) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Rng((ulong)seed);
        var a = new T[n * n]; var b = new T[n * n]; var c = new T[n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = T.CreateChecked(rng.NextNormal()); b[i] = T.CreateChecked(rng.NextNormal()); }
        var (best, _, bytes) = BenchTiming.BestTime(() => Gemm.Multiply(false, false, n, n, n, T.One, a, n, b, n, T.Zero, c, n));
        double gflops = 2.0 * n * n * (double)n / best / 1e9;
        string dtype = typeof(T) == typeof(float) ? "f32" : "f64";
        return new BenchSample(gflops, bytes, 100 * gflops / BenchTiming.PeakGflops(dtype, threads));
    }
}
