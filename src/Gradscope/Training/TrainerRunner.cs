namespace Gradscope.Training;

/// <summary>
/// Runs a config in a run directory without the caller choosing the element type: f32 runs
/// <see cref="Trainer{T}"/> with float, f64 with double. Also resumes a run directory from its
/// own config.yaml and latest checkpoint.
/// </summary>
public static class TrainerRunner
{
    /// <summary>
    /// Starts a new run of <paramref name="config"/> in <paramref name="options"/>.RunDirectory, which must not
    /// hold a started run. A run counts as started once its first checkpoint (checkpoints/latest.json) exists;
    /// what a start killed before that left behind is removed first (<see cref="ClearUnstarted"/>).
    /// </summary>
    public static TrainerResult Start(TrainConfig config, TrainerRunOptions options)
    {
        if (options.RunDirectory is { } dir)
        {
            if (IsStarted(dir))
                throw new InvalidOperationException($"'{dir}' already holds a run; resume it with --resume or choose another output directory.");
            ClearUnstarted(dir);
        }
        return Run(config, options with { Resume = false });
    }

    /// <summary>
    /// Resumes the run in <paramref name="runDir"/> from its config.yaml (with optional thread/seed
    /// overrides, which must match the run's) and latest checkpoint. Nothing is written before
    /// the config and checkpoint have been verified. A run killed before its first checkpoint is
    /// started again from its config.yaml.
    /// </summary>
    public static TrainerResult Resume(string runDir, TrainerRunOptions options, int? threads = null, ulong? seed = null, IReadOnlyList<IO.ConfigOverride>? overrides = null)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"Run directory '{runDir}' does not exist.");
        string configPath = Path.Combine(runDir, "config.yaml");
        if (!File.Exists(configPath)) throw new InvalidDataException($"'{runDir}' has no config.yaml; is it a Gradscope run directory?");
        var config = RunConfig(runDir, overrides);
        if (threads is int t) config = config with { Threads = t };
        if (seed is ulong s) config = config with { Seed = s };
        config.Validate();
        if (!IsStarted(runDir))
        {
            // Killed between writing config.yaml and the step-0 checkpoint: nothing to continue, so start over.
            var provenance = File.ReadLines(configPath).TakeWhile(l => l.StartsWith("# ", StringComparison.Ordinal)).Select(l => l[2..]).ToList();
            ClearUnstarted(runDir);
            return Run(config, options with { RunDirectory = runDir, Resume = false, ConfigProvenance = provenance });
        }
        return Run(config, options with { RunDirectory = runDir, Resume = true });
    }

    /// <summary>
    /// The run's effective config (its config.yaml). Overrides may restate it but not change it: a run resumes with the
    /// config it started with.
    /// </summary>
    /// <exception cref="TrainConfigException">An override is invalid or changes the effective config.</exception>
    public static TrainConfig RunConfig(string runDir, IReadOnlyList<IO.ConfigOverride>? overrides = null)
    {
        string configPath = Path.Combine(runDir, "config.yaml");
        var config = TrainConfigYaml.Load(configPath);
        if (overrides is { Count: > 0 })
        {
            var changed = TrainConfigYaml.Load(configPath, overrides);
            if (TrainConfigWriter.Hash(changed) != TrainConfigWriter.Hash(config))
                throw new TrainConfigException($"{configPath}: the overrides {string.Join(" ", overrides.Select(o => o.Text))} change the run's effective config; a run resumes with the config it started with (start a new run to change it).");
        }
        return config;
    }

    /// <summary>Whether <paramref name="runDir"/> holds a started run: its first checkpoint (checkpoints/latest.json) was written.</summary>
    public static bool IsStarted(string runDir) => File.Exists(Path.Combine(runDir, "checkpoints", "latest.json"));

    /// <summary>The files a run writes in its directory; only these are removed from an unstarted one.</summary>
    private static readonly string[] RunFiles = ["config.yaml", "metrics.csv", "metrics.jsonl", "final.json", "model.safetensors"];

    /// <summary>
    /// Removes what a run killed before its first checkpoint left in <paramref name="runDir"/> (config.yaml,
    /// metrics files, final.json, model, checkpoints/ and temporary files of interrupted writes), noting it in
    /// log.txt; other files are left alone. Does nothing for a missing directory.
    /// </summary>
    public static void ClearUnstarted(string runDir)
    {
        if (!Directory.Exists(runDir) || IsStarted(runDir)) return;
        bool any = false;
        foreach (var f in RunFiles.Select(f => Path.Combine(runDir, f)).Concat(Directory.EnumerateFiles(runDir, ".*.tmp")))
            if (File.Exists(f)) { File.Delete(f); any = true; }
        string checkpoints = Path.Combine(runDir, "checkpoints");
        if (Directory.Exists(checkpoints)) { Directory.Delete(checkpoints, recursive: true); any = true; }
        if (any) Trainer<double>.Log(runDir, "restarting: the previous start was stopped before its first checkpoint");
    }

    /// <summary>Whether the run in <paramref name="runDir"/> already finished (final.json with status completed).</summary>
    public static bool IsFinished(string runDir)
    {
        string f = Path.Combine(runDir, "final.json");
        return File.Exists(f) && File.ReadAllText(f).Contains("\"status\": \"completed\"", StringComparison.Ordinal);
    }

    private static TrainerResult Run(TrainConfig config, TrainerRunOptions options) => config.DType == "f32"
        ? Run(new Trainer<float>(config), options)
        : Run(new Trainer<double>(config), options);

    private static TrainerResult Run<T>(Trainer<T> trainer, TrainerRunOptions options) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        // probes.measures names registry measures, which a higher layer records: never drop them silently.
        if (trainer.Config.Probes.Measures.Count > 0 && !options.ProbeProviders.Any(p => p.ProvidesMeasures))
            throw new TrainConfigException($"{trainer.Config.Probes.Measures[0].At}: probes.measures needs the measure registry's probe provider (gradscope train adds it)");
        foreach (var provider in options.ProbeProviders) trainer.Probes.AddRange(provider.Create(trainer));
        return trainer.Run(options);
    }
}
