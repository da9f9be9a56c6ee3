using System.Diagnostics;
using System.Numerics;
using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Cli.Bench;

/// <summary>
/// Probe cost on the MLP of train_mlp.py (a)/(b) (784-1024-1024-10, batch 256, SGD lr 0.01, CE):
/// after 20 warm-up steps and one untimed probe, three rounds of (10 timed training steps, one
/// timed probe) -> (time of 10 steps) / (time of one probe), the median of the rounds; the target
/// is &gt;= 1 (a probe costs less than 10 steps). The probe is <see cref="MeasureSuite"/> with
/// <see cref="MeasureOptions.Probe"/>: every margin, norm and rank measure (full singular spectra by the
/// Gram route, margins on 1024 samples, bounds; singular vectors warm-started as during training). The
/// "probe-nospec" case leaves out the spectra (no effective or numerical rank), for comparison.
/// No peer twin: --compare-peer leaves it out.
/// </summary>
internal sealed class ProbeWorkload : IBenchWorkload
{
    private const int Batch = 256, Pool = 20, Warmup = 20, Steps = 10, Rounds = 3, In = 784, Hidden = 1024, Classes = 10;

    public string Name => "probe";
    public string Description => "measure-suite probe vs 10 training steps on the MLP 784-1024-1024-10 of peer (a)/(b)";
    public string Metric => "x (10 steps / probe)";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings)
    {
        string dtype = settings.Dtype ?? "f32";
        return [new BenchCase($"probe {dtype}", dtype, []), new BenchCase($"probe-nospec {dtype}", dtype, [])];
    }

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed)
    {
        var options = benchCase.Label.StartsWith("probe-nospec", StringComparison.Ordinal) ? MeasureOptions.Probe with { FullSvd = false } : MeasureOptions.Probe;
        return benchCase.Dtype == "f32" ? Run<float>(seed, options) : Run<double>(seed, options);
    }

    private static BenchSample Run<T>(int seed, MeasureOptions options) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (data, objective, gd, batches) = MlpWorkload.Setup<T>(seed, "probe-bench");
        var model = objective.Model;
        var suite = new MeasureSuite(options);

        int step = 0;
        for (; step < Warmup; step++) gd.Step(objective, batches[step % Pool], new StepContext(step, 0.01, 0));
        suite.Compute(model, data);
        var ratios = new double[Rounds];
        double probeBytes = 0;
        for (int r = 0; r < Rounds; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Steps; i++, step++) gd.Step(objective, batches[step % Pool], new StepContext(step, 0.01, 0));
            double steps = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            long bytes0 = GC.GetTotalAllocatedBytes(true);
            long t1 = Stopwatch.GetTimestamp();
            suite.Compute(model, data);
            double probe = Stopwatch.GetElapsedTime(t1).TotalSeconds;
            probeBytes += GC.GetTotalAllocatedBytes(true) - bytes0;
            ratios[r] = steps / probe;
        }
        return new BenchSample(BenchTiming.Median(ratios), probeBytes / Rounds, null);
    }
}
