namespace Gradscope.Training;

/// <summary>
/// Runs a config in a run directory without the caller choosing the element type: f32 runs
/// <see cref="Trainer{T}"/> with float, f64 with double. Also resumes a run directory from its
/// own config.yaml and latest checkpoint.
/// </summary>
public static class TrainerRunner
{
    /// <summary>Starts a new run of <paramref name="config"/> in <paramref name="options"/>.RunDirectory (which must not hold a run yet).</summary>
    public static TrainerResult Start(TrainConfig config, TrainerRunOptions options)
    {
        if (options.RunDirectory is { } dir && Directory.Exists(dir)
            && (File.Exists(Path.Combine(dir, "config.yaml")) || Directory.Exists(Path.Combine(dir, "checkpoints"))))
            throw new InvalidOperationException($"'{dir}' already holds a run; resume it with --resume or choose another output directory.");
        return Run(config, options with { Resume = false });
    }

    /// <summary>
    /// Resumes the run in <paramref name="runDir"/> from its config.yaml (with optional thread/seed
    /// overrides, which must match the run's) and latest checkpoint. Nothing is written before
    /// the config and checkpoint have been verified.
    /// </summary>
    public static TrainerResult Resume(string runDir, TrainerRunOptions options, int? threads = null, ulong? seed = null)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"Run directory '{runDir}' does not exist.");
        string configPath = Path.Combine(runDir, "config.yaml");
        if (!File.Exists(configPath)) throw new InvalidDataException($"'{runDir}' has no config.yaml; is it a Gradscope run directory?");
        var config = TrainConfigYaml.Load(configPath);
        if (threads is int t) config = config with { Threads = t };
        if (seed is ulong s) config = config with { Seed = s };
        config.Validate();
        return Run(config, options with { RunDirectory = runDir, Resume = true });
    }

    /// <summary>Whether the run in <paramref name="runDir"/> already finished (final.json with status completed).</summary>
    public static bool IsFinished(string runDir)
    {
        string f = Path.Combine(runDir, "final.json");
        return File.Exists(f) && File.ReadAllText(f).Contains("\"status\": \"completed\"", StringComparison.Ordinal);
    }

    private static TrainerResult Run(TrainConfig config, TrainerRunOptions options) => config.DType == "f32"
        ? new Trainer<float>(config).Run(options)
        : new Trainer<double>(config).Run(options);
}
