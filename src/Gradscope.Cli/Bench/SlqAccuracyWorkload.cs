using System.Diagnostics;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Tensors;

namespace Gradscope.Cli.Bench;

/// <summary>
/// What the bounded-memory Lanczos costs in accuracy on the bench MLP 784-1024-1024-10 (batch 256, cross-entropy; as
/// <see cref="HessianWorkload"/>): SLQ with 10 probes x 100 steps, the same probes run with full reorthogonalization (the
/// whole basis, 100 float32 vectors) and as <c>measure</c> runs them (<see cref="StochasticLanczosQuadrature.Of(HessianVectorProduct, int, int, Rng)"/>:
/// for f32, <see cref="SingleLanczos"/> with the window of <see cref="Lanczos.WindowVectors"/> vectors). Prints
/// both runs' extreme nodes and moments 1..4 with their standard errors; the value is the largest difference of a moment
/// in units of its standard error. No peer twin.
/// </summary>
internal sealed class SlqAccuracyWorkload : IBenchWorkload
{
    public string Name => "slq-accuracy";
    public string Description => "SLQ 10 x 100 on the MLP 784-1024-1024-10, batch 256: the default window of stored Lanczos vectors against full reorthogonalization";
    public string Metric => "max |moment difference| / SE";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings) => [new BenchCase($"window vs full {settings.Dtype ?? "f32"}", settings.Dtype ?? "f32", [])];

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed) =>
        benchCase.Dtype == "f32" ? Run<float>(seed) : Run<double>(seed);

    private static BenchSample Run<T>(int seed) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (data, objective, gd, batches) = MlpWorkload.Setup<T>(seed, "hessian-bench");
        for (int s = 0; s < 5; s++) gd.Step(objective, batches[s], new Gradscope.Training.StepContext(s, 0.01, 0));
        var h = HessianVectorProduct.Create(objective.Model, data.Subset(batches[0]), LossKind.CrossEntropy);
        var runs = new List<SpectralDensity>();
        foreach (var name in new[] { "full", "window" })
        {
            long t = Stopwatch.GetTimestamp();
            var ws = new LanczosWorkspace(single: true);
            var d = name == "full" ? StochasticLanczosQuadrature.Of(h.Apply, h.Dimension, 10, 100, new Rng((ulong)seed), ws) : StochasticLanczosQuadrature.Of(h, 10, 100, new Rng((ulong)seed));
            string kept = name == "full" ? $"{ws.Allocated} stored vectors" : $"window of {Lanczos.WindowVectors}";
            Console.Error.WriteLine($"  {name,-6} ({kept}): {Stopwatch.GetElapsedTime(t).TotalSeconds:F1} s, node_max {d.MaxNode:G6}, node_min {d.MinNode:G6}, "
                + string.Join(", ", Enumerable.Range(1, 4).Select(k => { var m = d.Moment(k); return $"m{k} {m.Mean:G6} +- {m.StandardError:G2}"; })));
            runs.Add(d);
        }
        double worst = 0;
        for (int k = 1; k <= 4; k++)
        {
            var a = runs[0].Moment(k);
            var b = runs[1].Moment(k);
            worst = Math.Max(worst, Math.Abs(a.Mean - b.Mean) / a.StandardError);
            Console.Error.WriteLine($"  moment {k}: relative difference {Math.Abs(a.Mean - b.Mean) / Math.Abs(a.Mean):G3} ({Math.Abs(a.Mean - b.Mean) / a.StandardError:G3} SE)");
        }
        Console.Error.WriteLine($"  node_max relative difference {Math.Abs(runs[0].MaxNode - runs[1].MaxNode) / Math.Abs(runs[0].MaxNode):G3}, node_min {Math.Abs(runs[0].MinNode - runs[1].MinNode) / Math.Abs(runs[0].MaxNode):G3} (of node_max)");
        return new BenchSample(worst, 0, null);
    }
}
