using System.Numerics;
using Gradscope.Measures;
using Gradscope.Training;

namespace Gradscope.Cli.Bench;

/// <summary>
/// Where a probe's time goes, on the network and probe of <see cref="ProbeWorkload"/>: after 20 warm-up steps and one
/// untimed probe, three rounds of (10 training steps, one probe under a <see cref="MeasureProfile"/>). Reports the process
/// CPU time of 10 steps over that of one probe (a ratio of CPU times taken back to back, meaningful under load; the target
/// is &gt;= 1) and prints, per phase (registry entry, layer table, Gram product, reduction, QL iteration, ...), its own CPU and
/// wall milliseconds and kilobytes allocated per probe, averaged over the rounds. No peer twin.
/// </summary>
internal sealed class ProbeProfileWorkload : IBenchWorkload
{
    private const int Pool = 20, Warmup = 20, Steps = 10, Rounds = 3;

    public string Name => "probe-profile";
    public string Description => "CPU time of a probe by phase, and 10 training steps / one probe in CPU time (MLP 784-1024-1024-10)";
    public string Metric => "x (10 steps / probe, CPU)";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings)
    {
        string dtype = settings.Dtype ?? "f32";
        return [new BenchCase($"probe-profile {dtype}", dtype, [])];
    }

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed) =>
        benchCase.Dtype == "f32" ? Run<float>(seed) : Run<double>(seed);

    private static BenchSample Run<T>(int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (data, objective, gd, batches) = MlpWorkload.Setup<T>(seed, "probe-bench");
        var model = objective.Model;
        var suite = new MeasureSuite(MeasureOptions.Probe);
        int step = 0;
        for (; step < Warmup; step++) gd.Step(objective, batches[step % Pool], new StepContext(step, 0.01, 0));
        suite.Compute(model, data);
        var profile = new MeasureProfile();
        double stepsCpu = 0, probeCpu = 0;
        for (int r = 0; r < Rounds; r++)
        {
            double c0 = CpuClock.ProcessSeconds();
            for (int i = 0; i < Steps; i++, step++) gd.Step(objective, batches[step % Pool], new StepContext(step, 0.01, 0));
            double c1 = CpuClock.ProcessSeconds();
            using (profile.Activate())
            using (MeasureProfile.Time("probe"))
                suite.Compute(model, data);
            double c2 = CpuClock.ProcessSeconds();
            stepsCpu += c1 - c0;
            probeCpu += c2 - c1;
        }
        Console.Error.WriteLine($"  10 steps {stepsCpu / Rounds * 1e3:F1} ms CPU, one probe {probeCpu / Rounds * 1e3:F1} ms CPU; own time per phase (ms per probe: CPU, wall; calls and KB allocated per probe):");
        var rows = profile.Rows.OrderByDescending(x => x.CpuSeconds).ToList();
        var shown = rows.Where(x => x.CpuSeconds / Rounds >= 0.2e-3).ToList();
        foreach (var row in shown)
            Console.Error.WriteLine($"    {row.Name,-40} {row.CpuSeconds / Rounds * 1e3,8:F1} {row.WallSeconds / Rounds * 1e3,8:F1}   {(double)row.Calls / Rounds,6:G4} {row.Bytes / Rounds / 1024.0,9:F1}");
        var rest = rows.Except(shown).ToList();
        Console.Error.WriteLine($"    {$"({rest.Count} phases under 0.2 ms each)",-40} {rest.Sum(x => x.CpuSeconds) / Rounds * 1e3,8:F1} {rest.Sum(x => x.WallSeconds) / Rounds * 1e3,8:F1}");
        return new BenchSample(stepsCpu / probeCpu, 0, null);
    }
}
