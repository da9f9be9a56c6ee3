using System.Diagnostics;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Cli.Bench;

/// <summary>
/// train_mlp.py (e): the empirical NTK Gram matrix K (256 x 256) of a bias-free ReLU MLP 100-512-512-1
/// (PyTorch default init) on 256 N(0,1) inputs in float64, by <see cref="EmpiricalNtk"/> (structured:
/// per-layer Gram products, no n x P Jacobian). One untimed call, then one timed call -> Gram matrices/s
/// (1 / seconds, so higher is better like every other workload).
/// </summary>
internal sealed class NtkWorkload : IBenchWorkload
{
    private const int N = 256, D = 100, Width = 512;

    public string Name => "ntk";
    public string Description => "empirical NTK Gram matrix of MLP 100-512-512-1 on 256 inputs (peer (e), f64)";
    public string Metric => "Grams/s";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings) =>
        // the peer (e) is defined in float64 only
        [new BenchCase("n=256 f64", "f64", new Dictionary<string, object> { ["workload"] = "ntk", ["threads"] = settings.Threads })];

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed)
    {
        var rng = new Rng((ulong)seed);
        var model = new Sequential<double>([D], new Dense<double>(D, Width), new Relu<double>(), new Dense<double>(Width, Width), new Relu<double>(), new Dense<double>(Width, 1));
        Init.Apply(model, InitScheme.PyTorchDefault, rng.Fork());
        var x = new double[N * D];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        EmpiricalNtk.Compute(model, x, N);
        long bytes0 = GC.GetTotalAllocatedBytes(true);
        long t0 = Stopwatch.GetTimestamp();
        EmpiricalNtk.Compute(model, x, N);
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long bytes = GC.GetTotalAllocatedBytes(true) - bytes0;
        return new BenchSample(1 / seconds, bytes, null);
    }
}
