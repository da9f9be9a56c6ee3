using Gradscope.IO;
using Gradscope.Measures;
using Gradscope.Training;

namespace Gradscope.Sweeps.Ranking;

/// <summary>
/// Computes the <see cref="MeasureSuite"/> measures of a finished run: rebuilds the run's model and data from its
/// <c>config.yaml</c> exactly as the trainer does (same seed, so the same training and test sets), loads the final
/// weights <c>model.safetensors</c> and runs the suite. Keys that are the gap itself or its parts
/// (train_error, test_error, generalization_gap) are left out: they are what the measures are scored against. The
/// weights at initialization are rebuilt from the run's seed (as a probe does), so the distances from initialization are
/// measured too.
/// </summary>
public sealed class MeasureSuiteSource(MeasureOptions? options = null) : IMeasureSource
{
    static readonly HashSet<string> GapKeys = ["train_error", "test_error", "generalization_gap"];

    /// <inheritdoc/>
    /// <exception cref="SweepException">The run has no config.yaml or model.safetensors, or one of them cannot be read (naming the point and file).</exception>
    public IReadOnlyDictionary<string, double> Measures(string runDir, PointRecord point)
    {
        var configPath = Path.Combine(runDir, "config.yaml");
        var weights = Path.Combine(runDir, "model.safetensors");
        if (!File.Exists(configPath) || !File.Exists(weights))
            throw new SweepException($"point {point.Index}: run directory '{runDir}' lacks config.yaml or model.safetensors");
        try
        {
            var config = TrainConfigYaml.Load(configPath);
            var values = config.DType == "f32" ? Compute<float>(config, weights) : Compute<double>(config, weights);
            return values.Where(kv => !GapKeys.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        }
        catch (Exception e) when (e is InvalidDataException or TrainConfigException or ArgumentException or KeyNotFoundException
            or IOException or UnauthorizedAccessException)
        {
            // A truncated or edited run file is named with its point, not left to escape as a stack trace.
            throw new SweepException($"point {point.Index}: run directory '{runDir}': {e.Message}", e);
        }
    }

    IReadOnlyDictionary<string, double> Compute<T>(TrainConfig config, string weights) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var trainer = new Trainer<T>(config);
        StateDict.Load(trainer.Model, weights);
        // The seeded initialization of the run (a resumed run rebuilds the same one), for the distances from initialization.
        var initial = TrainerModels.Build<T>(config, trainer.Train, new Tensors.Rng(config.Seed));
        var o = (options ?? new MeasureOptions()) with { InitialParameters = initial.Flat.Select(x => double.CreateChecked(x)).ToArray() };
        return new MeasureSuite(o).Compute(trainer.Model, trainer.Train, trainer.Test).Values;
    }
}
