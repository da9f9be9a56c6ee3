using BenchmarkDotNet.Attributes;
using Gradscope.Tensors;

namespace Gradscope.Bench;

/// <summary>
/// Gemm.Multiply on square n x n products (peak.py's sizes) and on the skinny shapes of the
/// training workloads, fp32 and fp64, with Parallelism.Threads = 2. GFLOP/s = 2 n^3 / time.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _af = [], _bf = [], _cf = [];
    private double[] _ad = [], _bd = [], _cd = [];

    /// <summary>Problem size (m, n, k) as "m x n x k".</summary>
    [Params("256x256x256", "1024x1024x1024", "2048x2048x2048", "1000x100x100", "256x1024x784", "256x10x1024")]
    public string Shape { get; set; } = "";

    private int M, N, K;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x').Select(int.Parse).ToArray();
        (M, N, K) = (parts[0], parts[1], parts[2]);
        Parallelism.Threads = 2;
        var rng = new Rng(1);
        _af = new float[M * K]; _bf = new float[K * N]; _cf = new float[M * N];
        _ad = new double[M * K]; _bd = new double[K * N]; _cd = new double[M * N];
        for (int i = 0; i < _af.Length; i++) _ad[i] = _af[i] = (float)rng.NextNormal();
        for (int i = 0; i < _bf.Length; i++) _bd[i] = _bf[i] = (float)rng.NextNormal();
    }

    /// <summary>C = A B in fp32.</summary>
    [Benchmark]
    public void Sgemm() => Gemm.Multiply(false, false, M, N, K, 1f, _af, K, _bf, N, 0f, _cf, N);

    /// <summary>C = A B in fp64.</summary>
    [Benchmark]
    public void Dgemm() => Gemm.Multiply(false, false, M, N, K, 1.0, _ad, K, _bd, N, 0.0, _cd, N);
}
