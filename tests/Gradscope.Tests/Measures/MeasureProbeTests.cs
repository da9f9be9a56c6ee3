using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>probes.measures: registry measures recorded over training under their registry keys, on their own schedules,
/// unknown names as file:line errors, and no extra allocation in the training steps between probes.</summary>
public class MeasureProbeTests
{
    private static string Config(string measures) => $$"""
        seed: 4
        dtype: f64
        threads: 1
        model:
          mlp:
            widths: [5, 8, 3]
        data:
          train: {name: relu_teacher, n: 60, d: 5, classes: 3}
        loss: {kind: cross_entropy}
        algorithm: {name: gd, eta: 0.1}
        stop: {steps: 30}
        probes:
          every: 10
          checkpoint_every: 0
        {{measures}}
        """;

    private const string Selection = """
          measures: [layer.*.spectral, rho, margin.min, {name: nc1, every: 20}, "bound.*"]
          measure_every: {forward: 10}
        """;

    [Fact]
    public void ConfigReadsAndWritesTheSelection()
    {
        var c = TrainConfigYaml.Parse(Config(Selection));
        Assert.Equal(["layer.*.spectral", "rho", "margin.min", "nc1", "bound.*"], c.Probes.Measures.Select(m => m.Name));
        Assert.Equal(20, c.Probes.Measures[3].Every);
        Assert.Equal(10, c.Probes.MeasureEvery["forward"]);
        var again = TrainConfigYaml.Parse(TrainConfigWriter.ToYaml(c));
        Assert.Equal(c.Probes.Measures.Select(m => (m.Name, m.Every)), again.Probes.Measures.Select(m => (m.Name, m.Every)));
        Assert.Equal(c.Probes.MeasureEvery, again.Probes.MeasureEvery);
    }

    [Fact]
    public void UnknownNamesAndCostClassesAreFileLineErrors()
    {
        var c = TrainConfigYaml.Parse(Config("  measures: [rho, bound.nope]\n"), "cfg.yaml");
        var e = Assert.Throws<TrainConfigException>(() => TrainerRunner.Start(c, new TrainerRunOptions { ProbeProviders = [new MeasureProbeProvider()] }));
        Assert.StartsWith("cfg.yaml:", e.Message);
        Assert.Contains("probes.measures[1]", e.Message);
        Assert.Contains("'bound.nope' matches no measure", e.Message);
        var c2 = TrainConfigYaml.Parse(Config("  measures: [rho]\n  measure_every: {cheap: 5}\n"), "cfg.yaml");
        var e2 = Assert.Throws<TrainConfigException>(() => TrainerRunner.Start(c2, new TrainerRunOptions { ProbeProviders = [new MeasureProbeProvider()] }));
        Assert.Contains("'cheap' is not a cost class", e2.Message);
        Assert.Contains("probes.measure_every.cheap", e2.Message);
        // Without the registry's provider the selection is refused, not dropped.
        var e3 = Assert.Throws<TrainConfigException>(() => TrainerRunner.Start(c2 with { Probes = c2.Probes with { MeasureEvery = new Dictionary<string, long>() } }, new TrainerRunOptions()));
        Assert.Contains("probes.measures", e3.Message);
        var bad = Assert.Throws<TrainConfigException>(() => TrainConfigYaml.Parse(Config("  measures: [{name: rho, every: 0}]\n"), "cfg.yaml"));
        Assert.Contains("probes.measures[0].every: must be >= 1", bad.Message);
    }

    [Fact]
    public void RecordsRegistryKeysOnTheirSchedulesWithNoExtraAllocationBetweenProbes()
    {
        var config = TrainConfigYaml.Parse(Config(Selection));
        // Baseline first (so every step's code is compiled), then the same run with the measure probe.
        var (baseRows, baseAlloc) = Run(config, withMeasures: false, out _);
        var (rows, alloc) = Run(config, withMeasures: true, out var trainer);
        Assert.True(alloc <= baseAlloc, $"steps between probes allocated {alloc} bytes with probes.measures, {baseAlloc} without");

        var steps = rows.Select(r => (long)r["step"]).ToList();
        Assert.Equal([0L, 10, 20, 30], steps);
        foreach (var r in rows)
        {
            Assert.True(r.ContainsKey("layer.0.spectral") && r.ContainsKey("layer.1.spectral") && r.ContainsKey("rho") && r.ContainsKey("margin.min"));
            Assert.Equal((long)r["step"] % 20 == 0 || (long)r["step"] == 30, r.ContainsKey("nc1"));
        }
        // The final row against the final weights: MathNet SVD and Frobenius norm of each layer; rho (a key both the
        // built-in probe and the selection write, once) against their product; the built-in values unchanged by the selection.
        var last = rows[^1];
        var ws = trainer.Model.Weights;
        double rhoCheck = 1;
        for (int k = 0; k < ws.Count; k++)
        {
            var w = ws[k].Value;
            var m = Matrix<double>.Build.Dense(w.Shape[0], w.Shape[1], (i, j) => w[i, j]);
            Assert.Equal(m.Svd(false).S[0], last[$"layer.{k}.spectral"], 9);
            Assert.Equal(m.FrobeniusNorm(), last[$"layer.{k}.frobenius"], 12);
            rhoCheck *= m.FrobeniusNorm();
        }
        Assert.Equal(rhoCheck, last["rho"], 12);
        Assert.Equal(baseRows[^1]["rho"], last["rho"]);
        Assert.Equal(baseRows[^1]["margin.min"], last["margin.min"]);
    }

    private static (IReadOnlyList<IReadOnlyDictionary<string, double>> Rows, long BetweenProbes) Run(TrainConfig config, bool withMeasures, out Trainer<double> trainer)
    {
        trainer = new Trainer<double>(config);
        if (withMeasures) trainer.Probes.AddRange(new MeasureProbeProvider().Create(trainer));
        long last = 0, total = 0, prevStep = -1;
        var result = trainer.Run(new TrainerRunOptions
        {
            ProgressEvery = 1,
            Progress = p =>
            {
                long now = GC.GetAllocatedBytesForCurrentThread();
                // The work since the previous call is step p.Step (plus its probe when p.Step is a probe step).
                if (prevStep >= 0 && p.Step == prevStep + 1 && p.Step % 10 != 0) total += now - last;
                prevStep = p.Step;
                last = GC.GetAllocatedBytesForCurrentThread();
            },
        });
        return (result.Rows, total);
    }
}
