using System.Diagnostics;
using System.Numerics;
using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Cli.Bench;

/// <summary>
/// train_mlp.py (c): deep linear net 50-100-100-100-100-1 (no biases, W ~ N(0, 1/fan_in)), full-batch
/// GD lr 0.01 with the logistic loss on 1000 x 50 N(0,1) inputs labelled sign(x . w*) (linearly
/// separable); 20 warm-up steps on a throw-away copy, then 2000 timed steps -> steps/s.
/// </summary>
internal sealed class DeepLinearWorkload : IBenchWorkload
{
    private const int N = 1000, D = 50, Width = 100, Warmup = 20, Steps = 2000;

    public string Name => "deeplinear";
    public string Description => "deep linear 50-100-100-100-100-1, full batch 1000x50, logistic, GD lr 0.01, 2000 steps (peer (c), f64)";
    public string Metric => "steps/s";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings)
    {
        string dtype = settings.Dtype ?? "f64";
        // the peer (c) is defined in float64 only
        return [new BenchCase($"full batch {dtype}", dtype, new Dictionary<string, object> { ["workload"] = "deeplinear", ["threads"] = settings.Threads })];
    }

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed) =>
        benchCase.Dtype == "f32" ? Run<float>(seed) : Run<double>(seed);

    private static BenchSample Run<T>(int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng((ulong)seed);
        var x = new double[N * D];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        var w = new double[D];
        for (int i = 0; i < D; i++) w[i] = rng.NextNormal();
        var y = new int[N];
        for (int s = 0; s < N; s++)
        {
            double z = 0;
            for (int d = 0; d < D; d++) z += x[s * D + d] * w[d];
            y[s] = z > 0 ? 1 : 0;
        }
        var data = new Dataset("deeplinear-bench", x, y, [D], 2);

        Objective<T> Build(Rng r)
        {
            var model = new Sequential<T>([D], new Dense<T>(D, Width), new Dense<T>(Width, Width), new Dense<T>(Width, Width), new Dense<T>(Width, Width), new Dense<T>(Width, 1));
            Init.Apply(model, InitScheme.LeCun, r);
            return new Objective<T>(model, data, LossKind.Logistic);
        }

        var gd = new Gd<T>();
        var warm = Build(rng.Fork());
        gd.Initialize(warm);
        for (int i = 0; i < Warmup; i++) gd.Step(warm, ReadOnlySpan<int>.Empty, new StepContext(i, 0.01, 0));

        var objective = Build(rng.Fork());
        gd.Initialize(objective);
        // timed like the peer on the fresh model; allocation is counted after its first step (which sizes the buffers)
        long t0 = Stopwatch.GetTimestamp(), bytes0 = 0;
        for (int i = 0; i < Steps; i++)
        {
            gd.Step(objective, ReadOnlySpan<int>.Empty, new StepContext(i, 0.01, 0));
            if (i == 0) bytes0 = GC.GetTotalAllocatedBytes(true);
        }
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long bytes = GC.GetTotalAllocatedBytes(true) - bytes0;
        return new BenchSample(Steps / seconds, (double)bytes / (Steps - 1), null);
    }
}
