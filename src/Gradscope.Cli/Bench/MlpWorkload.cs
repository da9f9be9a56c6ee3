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
/// cross-entropy; 20 warm-up steps, then 300 timed steps -> samples/s. --width and --batch change the hidden
/// width and the batch (784-W-W-10); the peer then runs the same network at 1 and 2 threads and the faster counts.
/// </summary>
internal sealed class MlpWorkload : IBenchWorkload
{
    private const int Batch = 256, Pool = 20, Warmup = 20, Steps = 300, In = 784, Hidden = 1024, Classes = 10;

    /// <summary>Timed steps for a batch: 300 at batch 256, more for smaller batches so that a run lasts long enough to time.</summary>
    private static int StepsFor(int batch) => Math.Max(Steps, Math.Min(3000, Steps * Batch / Math.Max(1, batch) / 4));

    public string Name => "mlp";
    public string Description => "MLP 784-1024-1024-10 ReLU, batch 256, SGD lr 0.01, CE, 20 + 300 steps (peer (a)/(b))";
    public string Metric => "samples/s";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings)
    {
        string dtype = settings.Dtype ?? "f32";
        if (settings.Widths.Length == 0 && settings.Batches.Length == 0)
            return [new BenchCase($"batch 256 {dtype}", dtype, new Dictionary<string, object>
            {
                ["workload"] = "mlp", ["dtype"] = BenchTiming.TorchDtype(dtype), ["threads"] = settings.Threads,
            })];
        int[] widths = settings.Widths.Length > 0 ? settings.Widths : [Hidden], batches = settings.Batches.Length > 0 ? settings.Batches : [Batch];
        return [.. from w in widths from b in batches select new BenchCase($"W={w} batch {b} {dtype}", dtype, new Dictionary<string, object>
        {
            ["workload"] = "mlp_shape", ["dtype"] = BenchTiming.TorchDtype(dtype), ["width"] = w, ["batch"] = b,
            ["steps"] = StepsFor(b), ["threads"] = settings.Threads, ["best_of_threads"] = new[] { 1, 2 },
        })];
    }

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed)
    {
        var r = benchCase.Peer;
        int width = r.TryGetValue("width", out var w) ? (int)w : Hidden, batch = r.TryGetValue("batch", out var b) ? (int)b : Batch;
        return benchCase.Dtype == "f32" ? Run<float>(seed, width, batch) : Run<double>(seed, width, batch);
    }

    private static BenchSample Run<T>(int seed, int width, int batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (_, objective, gd, batches) = Setup<T>(seed, "mlp-bench", width, batch);

        return BenchTiming.SamplesPerSecond(objective, gd, batches, Warmup, batch == Batch && width == Hidden ? Steps : StepsFor(batch));
    }
    /// <summary>
    /// The workload's problem: a pool of 20 batches of N(0,1) inputs labelled by a random linear teacher, the
    /// MLP 784-1024-1024-10 with PyTorch's default init, its cross-entropy objective and GD on it (shared with the probe workload).
    /// </summary>
    internal static (Dataset Data, Objective<T> Objective, Gd<T> Gd, int[][] Batches) Setup<T>(int seed, string name, int hidden = Hidden, int batch = Batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng((ulong)seed);
        int n = Pool * batch;
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
        var model = new Sequential<T>([In], new Dense<T>(In, hidden), new Relu<T>(), new Dense<T>(hidden, hidden), new Relu<T>(), new Dense<T>(hidden, Classes));
        Init.Apply(model, InitScheme.PyTorchDefault, rng);
        var objective = new Objective<T>(model, data, LossKind.CrossEntropy);
        var gd = new Gd<T>();
        gd.Initialize(objective);
        var batches = new int[Pool][];
        for (int b = 0; b < Pool; b++) batches[b] = Enumerable.Range(b * batch, batch).ToArray();
        return (data, objective, gd, batches);
    }
}
