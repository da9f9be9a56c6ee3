using System.Diagnostics;
using System.Numerics;
using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Cli.Bench;

/// <summary>
/// train_mlp.py (d): conv(3->32, 3x3, p1) - ReLU - conv(32->64, 3x3, p1, s2) - ReLU -
/// conv(64->128, 3x3, p1, s2) - ReLU - global average pool - linear(128->10), biases, PyTorch
/// default init, batch 128 of 3x32x32 N(0,1) inputs with random labels from a pool of 8 batches,
/// SGD lr 0.01, cross-entropy; 10 warm-up steps, then 100 timed steps -> samples/s.
/// </summary>
internal sealed class CnnWorkload : IBenchWorkload
{
    private const int Batch = 128, Pool = 8, Warmup = 10, Steps = 100, Classes = 10;

    public string Name => "cnn";
    public string Description => "CNN 3 convs + GAP + fc, batch 128x3x32x32, SGD lr 0.01, CE, 10 + 100 steps (peer (d), oneDNN on)";
    public string Metric => "samples/s";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings)
    {
        string dtype = settings.Dtype ?? "f32";
        // the peer (d) is defined in float32 only
        return [new BenchCase($"batch 128 {dtype}", dtype, new Dictionary<string, object> { ["workload"] = "cnn", ["threads"] = settings.Threads })];
    }

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed) =>
        benchCase.Dtype == "f32" ? Run<float>(seed) : Run<double>(seed);

    private static BenchSample Run<T>(int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng((ulong)seed);
        int n = Pool * Batch, d = 3 * 32 * 32;
        var x = new double[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = rng.NextInt(Classes);
        var data = new Dataset("cnn-bench", x, y, [3, 32, 32], Classes);
        var model = new Sequential<T>([3, 32, 32],
            new Conv2d<T>(3, 32, 3, stride: 1, padding: 1, bias: true), new Relu<T>(),
            new Conv2d<T>(32, 64, 3, stride: 2, padding: 1, bias: true), new Relu<T>(),
            new Conv2d<T>(64, 128, 3, stride: 2, padding: 1, bias: true), new Relu<T>(),
            new GlobalAvgPool2d<T>(), new Dense<T>(128, Classes, bias: true));
        Init.Apply(model, InitScheme.PyTorchDefault, rng);
        var objective = new Objective<T>(model, data, LossKind.CrossEntropy);
        var gd = new Gd<T>();
        gd.Initialize(objective);
        var batches = new int[Pool][];
        for (int b = 0; b < Pool; b++) batches[b] = Enumerable.Range(b * Batch, Batch).ToArray();

        return BenchTiming.SamplesPerSecond(objective, gd, batches, Warmup, Steps);
    }
}
