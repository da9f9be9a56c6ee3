using System.Diagnostics;
using System.Numerics;
using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Cli.Bench;

/// <summary>
/// train_mlp.py (a)/(b): MLP 784-1024-1024-10, ReLU, no biases, PyTorch default init, batch 256
/// from a pool of 20 batches of N(0,1) inputs labelled by a random linear teacher, SGD lr 0.01,
/// cross-entropy; 20 warm-up steps, then 300 timed steps -> samples/s.
/// </summary>
internal sealed class MlpWorkload : IBenchWorkload
{
    private const int Batch = 256, Pool = 20, Warmup = 20, Steps = 300, In = 784, Hidden = 1024, Classes = 10;

    public string Name => "mlp";
    public string Description => "MLP 784-1024-1024-10 ReLU, batch 256, SGD lr 0.01, CE, 20 + 300 steps (peer (a)/(b))";
    public string Metric => "samples/s";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings)
    {
        string dtype = settings.Dtype ?? "f32";
        return [new BenchCase($"batch 256 {dtype}", dtype, new Dictionary<string, object>
        {
            ["workload"] = "mlp", ["dtype"] = BenchTiming.TorchDtype(dtype), ["threads"] = settings.Threads,
        })];
    }

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed) =>
        benchCase.Dtype == "f32" ? Run<float>(seed) : Run<double>(seed);

    private static BenchSample Run<T>(int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (_, objective, gd, batches) = Setup<T>(seed, "mlp-bench");

        return BenchTiming.SamplesPerSecond(objective, gd, batches, Warmup, Steps);
    }
    /// <summary>
    /// The workload's problem: a pool of 20 batches of N(0,1) inputs labelled by a random linear teacher, the
    /// MLP 784-1024-1024-10 with PyTorch's default init, its cross-entropy objective and GD on it (shared with the probe workload).
    /// </summary>
    internal static (Dataset Data, Objective<T> Objective, Gd<T> Gd, int[][] Batches) Setup<T>(int seed, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng((ulong)seed);
        int n = Pool * Batch;
        var x = new double[n * In];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        var teacher = new double[In * Classes];
        for (int i = 0; i < teacher.Length; i++) teacher[i] = rng.NextNormal();
        var y = new int[n];
        for (int s = 0; s < n; s++)
        {
            int best = 0; double bestZ = double.NegativeInfinity;
            for (int c = 0; c < Classes; c++)
            {
                double z = 0;
                for (int d = 0; d < In; d++) z += x[s * In + d] * teacher[d * Classes + c];
                if (z > bestZ) { bestZ = z; best = c; }
            }
            y[s] = best;
        }
        var data = new Dataset(name, x, y, [In], Classes);
        var model = new Sequential<T>([In], new Dense<T>(In, Hidden), new Relu<T>(), new Dense<T>(Hidden, Hidden), new Relu<T>(), new Dense<T>(Hidden, Classes));
        Init.Apply(model, InitScheme.PyTorchDefault, rng);
        var objective = new Objective<T>(model, data, LossKind.CrossEntropy);
        var gd = new Gd<T>();
        gd.Initialize(objective);
        var batches = new int[Pool][];
        for (int b = 0; b < Pool; b++) batches[b] = Enumerable.Range(b * Batch, Batch).ToArray();
        return (data, objective, gd, batches);
    }
}
