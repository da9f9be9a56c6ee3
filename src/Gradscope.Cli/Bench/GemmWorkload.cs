using Gradscope.Tensors;

namespace Gradscope.Cli.Bench;

/// <summary>
/// peak.py: C = A B, square n x n (n = 256, 512, 1024, 2048), FLOPs = 2 n^3, output preallocated;
/// best of >= 5 reps / 0.4 s per repetition; GFLOP/s and percent of peak. Peer: numpy (OpenBLAS).
/// With --shape, rectangular C = op(A) op(B) (m x k times k x n, FLOPs = 2 m n k), the same timing; the peer
/// runs numpy.matmul on the same transposed views.
/// </summary>
internal sealed class GemmWorkload : IBenchWorkload
{
    private static readonly int[] DefaultSizes = [256, 512, 1024, 2048];

    public string Name => "gemm";
    public string Description => "C = A B square n x n, n = 256..2048 (peak.py), or --shape MxNxK[:tt] / training; peer: numpy/OpenBLAS";
    public string Metric => "GFLOP/s";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings)
    {
        string dtype = settings.Dtype ?? "f32";
        var sizes = settings.Sizes.Length > 0 ? settings.Sizes : settings.Shapes.Length > 0 ? [] : DefaultSizes;
        var squares = sizes.Select(n => new BenchCase($"n={n} {dtype}", dtype, new Dictionary<string, object>
        {
            ["workload"] = "gemm", ["lib"] = "numpy", ["dtype"] = BenchTiming.TorchDtype(dtype), ["n"] = n, ["threads"] = settings.Threads,
        }));
        var shapes = settings.Shapes.Select(s => new BenchCase($"{s} {dtype}", dtype, new Dictionary<string, object>
        {
            ["workload"] = "gemm_shape", ["dtype"] = BenchTiming.TorchDtype(dtype), ["m"] = s.M, ["n"] = s.N, ["k"] = s.K,
            ["trans_a"] = s.TransA, ["trans_b"] = s.TransB, ["threads"] = settings.Threads,
        }));
        return squares.Concat(shapes).ToArray();
    }

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed)
    {
        var r = benchCase.Peer;
        var shape = (string)r["workload"] == "gemm"
            ? new GemmShape((int)r["n"], (int)r["n"], (int)r["n"], false, false, null)
            : new GemmShape((int)r["m"], (int)r["n"], (int)r["k"], (bool)r["trans_a"], (bool)r["trans_b"], null);
        return benchCase.Dtype == "f32" ? Run<float>(shape, seed, settings.Threads) : Run<double>(shape, seed, settings.Threads);
    }

    private static BenchSample Run<T>(GemmShape s, int seed, int threads) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Rng((ulong)seed);
        int m = s.M, n = s.N, k = s.K;
        // stored A is k x m when transposed, else m x k; stored B is n x k or k x n
        int lda = s.TransA ? m : k, ldb = s.TransB ? k : n;
        var a = new T[m * k]; var b = new T[k * n]; var c = new T[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = T.CreateChecked(rng.NextNormal());
        for (int i = 0; i < b.Length; i++) b[i] = T.CreateChecked(rng.NextNormal());
        var (best, _, bytes) = BenchTiming.BestTime(() => Gemm.Multiply(s.TransA, s.TransB, m, n, k, T.One, a, lda, b, ldb, T.Zero, c, n));
        double gflops = 2.0 * m * n * (double)k / best / 1e9;
        string dtype = typeof(T) == typeof(float) ? "f32" : "f64";
        return new BenchSample(gflops, bytes, 100 * gflops / BenchTiming.PeakGflops(dtype, threads));
    }
}
