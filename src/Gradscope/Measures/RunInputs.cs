using System.Globalization;
using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Data;
using Gradscope.IO;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

/// <summary>
/// A run directory made by <c>gradscope train</c>, rebuilt for measuring: its exact model (config.yaml's model section,
/// initialized as the run was, then loaded with the final weights or a kept checkpoint) and its exact data selection
/// (config.yaml's data section replayed with the run's seed, checked row for row against data_indices.json).
/// </summary>
/// <param name="Directory">The run directory.</param>
/// <param name="Config">The run's configuration (config.yaml).</param>
/// <param name="Net">The network in float64 (the measures' precision), holding the measured weights.</param>
/// <param name="Initial">The parameters at initialization (the run's seeded init), flat, for the relative weight change.</param>
/// <param name="Train">The training set exactly as the run trained on it (after every transform).</param>
/// <param name="Test">The test set exactly as the run tested on it, or null.</param>
/// <param name="WeightsFile">The weights file measured (model.safetensors or checkpoints/step-K.safetensors).</param>
/// <param name="Step">The checkpoint step measured, or null for the final weights.</param>
/// <param name="TrainAccuracy">Training accuracy evaluated as the run evaluates it (its dtype, threads and evaluation pass).</param>
/// <param name="TestAccuracy">Test accuracy evaluated the same way, or null without a test set.</param>
/// <param name="TrainLoss">Training loss L evaluated the same way.</param>
/// <param name="DataNote">How the data selection was obtained and checked (printed and written to measures.json).</param>
public sealed record RunInputs(string Directory, TrainConfig Config, Sequential<double> Net, double[] Initial, Dataset Train, Dataset? Test,
    string WeightsFile, long? Step, double TrainAccuracy, double? TestAccuracy, double TrainLoss, string DataNote)
{
    /// <summary>Reads and validates <c>DIR/config.yaml</c>; throws InvalidDataException naming the file when it is missing or invalid.</summary>
    public static TrainConfig LoadConfig(string dir)
    {
        if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"run directory '{dir}' does not exist.");
        string path = Path.Combine(dir, "config.yaml");
        if (!File.Exists(path)) throw new InvalidDataException($"'{dir}' has no config.yaml; is it a run directory of gradscope train?");
        try
        {
            var c = TrainConfigYaml.Load(path);
            c.Validate();
            return c;
        }
        catch (TrainConfigException e) { throw new InvalidDataException($"'{path}': {e.Message}", e); }
    }

    /// <summary>The steps of the checkpoints kept in <c>DIR/checkpoints</c> (files step-K.safetensors), ascending.</summary>
    public static IReadOnlyList<long> KeptSteps(string dir)
    {
        string cp = Path.Combine(dir, "checkpoints");
        if (!System.IO.Directory.Exists(cp)) return [];
        var steps = new List<long>();
        foreach (var f in System.IO.Directory.EnumerateFiles(cp, "step-*.safetensors"))
        {
            string name = Path.GetFileName(f);
            if (long.TryParse(name["step-".Length..^".safetensors".Length], NumberStyles.None, CultureInfo.InvariantCulture, out long s)) steps.Add(s);
        }
        steps.Sort();
        return steps;
    }

    /// <summary>
    /// Rebuilds the run in <paramref name="dir"/> and loads the final weights (<paramref name="step"/> null) or the kept
    /// checkpoint of that step. Throws InvalidDataException naming the file and value when the config is missing, the step
    /// was not kept (listing the kept ones), the weights do not fit the model, or the data no longer match data_indices.json.
    /// </summary>
    public static RunInputs Load(string dir, long? step)
    {
        var config = LoadConfig(dir);
        var (file, tensors) = Weights(dir, step, config);
        return config.DType == "f32" ? Load<float>(dir, config, file, tensors, step) : Load<double>(dir, config, file, tensors, step);
    }

    private static (string File, IReadOnlyList<SafeTensor> Tensors) Weights(string dir, long? step, TrainConfig config)
    {
        if (step is not long k)
        {
            string final = Path.Combine(dir, "model.safetensors");
            if (!File.Exists(final))
            {
                var kept = KeptSteps(dir);
                throw new InvalidDataException($"'{dir}' has no model.safetensors (the run did not complete){(kept.Count > 0 ? $"; measure a kept checkpoint with --step K (kept: {string.Join(", ", kept)})" : "")}.");
            }
            return (final, SafeTensors.Read(final));
        }
        string path = Path.Combine(dir, "checkpoints", $"step-{k:D10}.safetensors");
        if (!File.Exists(path))
        {
            var kept = KeptSteps(dir);
            throw new InvalidDataException($"'{dir}' keeps no checkpoint of step {k} (checkpoints/step-{k:D10}.safetensors); kept steps: {(kept.Count == 0 ? "none" : string.Join(", ", kept))}.");
        }
        var all = SafeTensors.Read(path, out var meta);
        if (meta.TryGetValue("format", out var f) && f != Checkpoint.Format)
            throw new InvalidDataException($"'{path}': metadata format is '{f}', expected '{Checkpoint.Format}'.");
        if (meta.TryGetValue("config_hash", out var h) && !TrainConfigWriter.Hashes(config).Contains(h))
            throw new InvalidDataException($"'{path}' was written by a different configuration (config_hash {h[..Math.Min(12, h.Length)]}...) than '{Path.Combine(dir, "config.yaml")}' ({TrainConfigWriter.Hash(config)[..12]}...).");
        return (path, all.Where(t => t.Name.StartsWith("model.", StringComparison.Ordinal)).Select(t => t with { Name = t.Name["model.".Length..] }).ToList());
    }

    private static RunInputs Load<T>(string dir, TrainConfig config, string file, IReadOnlyList<SafeTensor> tensors, long? step) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // NOTE: the trainer is built exactly as `gradscope train` builds it (the same seeded forks for data and init), so the
        // data transforms that draw random numbers (subsample, label noise) replay bit for bit.
        Trainer<T> trainer;
        try { trainer = new Trainer<T>(config); }
        catch (TrainConfigException e) { throw new InvalidDataException($"'{Path.Combine(dir, "config.yaml")}': {e.Message}", e); }
        string note = CheckRows(dir, trainer.DataIndices, config);
        var initial = trainer.Model.Flat.Select(double.CreateChecked).ToArray();
        StateDict.Load(trainer.Model, tensors, file);
        Parallelism.Threads = config.Threads;
        var loss = Loss.Parse(config.Loss.Kind);
        var trainEval = new ProbeEvaluation<T>(trainer.Model, trainer.Train, loss, config.Loss.TargetScale);
        trainEval.Run();
        double? testAcc = null;
        if (trainer.Test is not null)
        {
            var testEval = new ProbeEvaluation<T>(trainer.Model, trainer.Test, loss, config.Loss.TargetScale);
            testEval.Run();
            testAcc = testEval.Accuracy;
        }
        Sequential<double> net;
        if (trainer.Model is Sequential<double> d) net = d;
        else
        {
            net = TrainerModels.Build<double>(config, trainer.Train, new Rng(config.Seed));
            StateDict.Load(net, tensors, file);
        }
        return new RunInputs(dir, config, net, initial, trainer.Train, trainer.Test, file, step, trainEval.Accuracy, testAcc, trainEval.L, note);
    }

    // The rows the config selects now must be the rows the run recorded (source, size and sha256 of every part).
    private static string CheckRows(string dir, DataIndices now, TrainConfig config)
    {
        string path = Path.Combine(dir, DataIndices.FileName);
        if (!File.Exists(path))
            return $"{DataIndices.FileName} is absent (a run from before it was written): the data selection was rebuilt from config.yaml deterministically (seed {config.Seed}) and could not be checked against the run's own rows";
        DataIndices recorded;
        try { recorded = DataIndices.FromJson(File.ReadAllText(path)); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}': {e.Message}", e); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e); }
        void Same(string part, RowIndexSet? r, RowIndexSet? n)
        {
            if (r is null && n is null) return;
            if (r is null || n is null)
                throw new InvalidDataException($"'{path}': the run recorded {(r is null ? "no" : "a")} '{part}' part, but config.yaml now selects {(n is null ? "none" : "one")}.");
            if (r.Source != n.Source || r.SourceRows != n.SourceRows || r.Rows.Length != n.Rows.Length || r.Sha256() != n.Sha256())
                throw new InvalidDataException($"'{path}': '{part}' recorded {r.Rows.Length} of {r.SourceRows} rows of '{r.Source}' (sha256 {r.Sha256()[..16]}...), but config.yaml now selects {n.Rows.Length} of {n.SourceRows} rows of '{n.Source}' (sha256 {n.Sha256()[..16]}...); the data source changed since the run.");
        }
        Same("train", recorded.Train, now.Train);
        Same("validation", recorded.Validation, now.Validation);
        Same("test", recorded.Test, now.Test);
        return $"rows checked against {DataIndices.FileName}: train {now.Train.Rows.Length} (sha256 {now.Train.Sha256()[..16]}...)"
            + (now.Test is null ? "" : $", test {now.Test.Rows.Length} (sha256 {now.Test.Sha256()[..16]}...)");
    }
}
