using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gradscope.Training;

using Gradscope.IO;
using Gradscope.Tensors;

/// <summary>
/// Everything a run needs to continue bit for bit: weights, algorithm state vectors, minibatch order
/// and position, RNG state, step/time/counters, and the metrics files' lengths.
/// </summary>
public sealed record TrainerState
{
    /// <summary>Steps taken.</summary>
    public long Step { get; init; }
    /// <summary>Continuous time t.</summary>
    public double Time { get; init; }
    /// <summary>Wall-clock seconds so far.</summary>
    public double WallSeconds { get; init; }
    /// <summary>Epochs started (minibatch runs).</summary>
    public long Epoch { get; init; }
    /// <summary>Position in <see cref="Order"/> of the next minibatch.</summary>
    public int Cursor { get; init; }
    /// <summary>The current epoch's sample order (empty for full-batch runs).</summary>
    public int[] Order { get; init; } = [];
    /// <summary>State of the minibatch-order generator.</summary>
    public RngState Rng { get; init; }
    /// <summary>Model parameters by state_dict name, with the stored dtype.</summary>
    public IReadOnlyList<SafeTensor> Weights { get; init; } = [];
    /// <summary>Algorithm state vectors (<see cref="Algorithm{T}.SaveState"/>).</summary>
    public IReadOnlyDictionary<string, double[]> AlgorithmState { get; init; } = new Dictionary<string, double[]>();
    /// <summary>Bytes of metrics.csv and metrics.jsonl at the checkpoint.</summary>
    public (long Csv, long Jsonl) MetricsLengths { get; init; }
    /// <summary>The step of the last metrics row written before the checkpoint (-1: none or unknown).</summary>
    public long LastProbeStep { get; init; } = -1;
    /// <summary>The stopping rule that ended the run when this is its final checkpoint (null: the run goes on).</summary>
    public string? StopReason { get; init; }
}

/// <summary>
/// Checkpoint files in a run's checkpoints/ folder: step-K.safetensors (weights in the model's dtype,
/// "algorithm.*" state and "data.order" in F64, counters and RNG words as exact hex strings in the
/// metadata) and latest.json {format, version, config_hash, step, file, sha256}, written last and
/// atomically, so a kill at any moment leaves a complete, verifiable checkpoint.
/// </summary>
public static class Checkpoint
{
    /// <summary>The format name in latest.json and the safetensors metadata.</summary>
    public const string Format = "gradscope-checkpoint";
    /// <summary>The current format version.</summary>
    public const int Version = 1;

    /// <summary>Writes the checkpoint for <paramref name="state"/>; keeps older step files only when <paramref name="keep"/>.</summary>
    public static void Save(string runDir, string configHash, TrainerState state, bool keep)
    {
        string dir = Path.Combine(runDir, "checkpoints");
        Directory.CreateDirectory(dir);
        string file = $"step-{state.Step:D10}.safetensors";
        var tensors = new List<SafeTensor>();
        foreach (var w in state.Weights) tensors.Add(w with { Name = "model." + w.Name });
        foreach (var (k, v) in state.AlgorithmState.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            tensors.Add(new SafeTensor("algorithm." + k, SafeTensorDType.F64, [v.Length], v));
        tensors.Add(new SafeTensor("data.order", SafeTensorDType.F64, [state.Order.Length], state.Order.Select(i => (double)i).ToArray()));
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["version"] = Version.ToString(CultureInfo.InvariantCulture),
            ["config_hash"] = configHash,
            ["step"] = state.Step.ToString(CultureInfo.InvariantCulture),
            ["time"] = Bits(state.Time),
            ["wall_s"] = Bits(state.WallSeconds),
            ["epoch"] = state.Epoch.ToString(CultureInfo.InvariantCulture),
            ["cursor"] = state.Cursor.ToString(CultureInfo.InvariantCulture),
            ["rng"] = $"{state.Rng.S0:x16},{state.Rng.S1:x16},{state.Rng.S2:x16},{state.Rng.S3:x16},{(state.Rng.HasSpare ? 1 : 0)},{Bits(state.Rng.Spare)}",
            ["metrics_csv_bytes"] = state.MetricsLengths.Csv.ToString(CultureInfo.InvariantCulture),
            ["metrics_jsonl_bytes"] = state.MetricsLengths.Jsonl.ToString(CultureInfo.InvariantCulture),
            ["last_probe_step"] = state.LastProbeStep.ToString(CultureInfo.InvariantCulture),
            ["stop_reason"] = state.StopReason ?? "",
        };
        string path = Path.Combine(dir, file);
        SafeTensors.Write(path, tensors, meta);
        var json = new JsonObject
        {
            ["format"] = Format,
            ["version"] = Version,
            ["config_hash"] = configHash,
            ["step"] = state.Step,
            ["file"] = file,
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))),
        };
        string latest = Path.Combine(dir, "latest.json");
        string? previous = TryReadFile(latest);
        AtomicFile.WriteText(latest, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (!keep && previous is not null && previous != file)
            try { File.Delete(Path.Combine(dir, previous)); } catch (IOException) { }
    }

    private static string? TryReadFile(string latest)
    {
        try { return JsonNode.Parse(File.ReadAllText(latest))?["file"]?.GetValue<string>(); }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or FormatException) { return null; }
    }

    /// <summary>
    /// Reads and verifies the latest checkpoint of <paramref name="runDir"/>: format and version,
    /// config hash equal to <paramref name="configHash"/>, file hash, and every counter. Throws
    /// <see cref="InvalidDataException"/> with a clear message otherwise; changes nothing on disk.
    /// </summary>
    public static TrainerState Load(string runDir, string configHash) => Load(runDir, [configHash]);

    /// <summary>
    /// Reads and verifies the latest checkpoint like <see cref="Load(string, string)"/>, accepting any of
    /// <paramref name="configHashes"/> (<see cref="TrainConfigWriter.Hashes"/>: the config as read and as written).
    /// </summary>
    public static TrainerState Load(string runDir, IReadOnlyList<string> configHashes)
    {
        string configHash = configHashes[0];
        string latest = Path.Combine(runDir, "checkpoints", "latest.json");
        if (!File.Exists(latest)) throw new InvalidDataException($"'{runDir}' has no checkpoint (checkpoints/latest.json is missing); is it a Gradscope run directory?");
        JsonObject j;
        try { j = JsonNode.Parse(File.ReadAllText(latest)) as JsonObject ?? throw new JsonException("not an object"); }
        catch (JsonException e) { throw new InvalidDataException($"'{latest}' is not valid JSON (truncated or corrupt): {e.Message}"); }
        string format = Str(j, "format", latest);
        if (format != Format) throw new InvalidDataException($"'{latest}' has format '{format}', expected '{Format}'.");
        int version = j["version"] is JsonValue v && v.TryGetValue<int>(out int vv) ? vv : throw new InvalidDataException($"'{latest}' has no integer 'version'.");
        if (version != Version) throw new InvalidDataException($"'{latest}' is checkpoint format version {version}; this Gradscope reads version {Version}.");
        string hash = Str(j, "config_hash", latest);
        if (!configHashes.Contains(hash))
            throw new InvalidDataException($"'{latest}' was written by a run with a different configuration (config hash {hash[..Math.Min(12, hash.Length)]}..., this config {configHash[..12]}...); resume needs the run's own config.yaml, threads and seed.");
        string file = Str(j, "file", latest);
        if (file.Contains('/') || file.Contains('\\') || file.Contains("..")) throw new InvalidDataException($"'{latest}' names an invalid file '{file}'.");
        string path = Path.Combine(runDir, "checkpoints", file);
        if (!File.Exists(path)) throw new InvalidDataException($"'{latest}' points to '{file}', which does not exist.");
        byte[] bytes = File.ReadAllBytes(path);
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (sha != Str(j, "sha256", latest)) throw new InvalidDataException($"'{path}' does not match the SHA-256 recorded in latest.json (truncated or modified).");
        var tensors = SafeTensors.Parse(bytes, path, out var meta);
        string M(string key) => meta.TryGetValue(key, out var s) ? s : throw new InvalidDataException($"'{path}': metadata '{key}' is missing.");
        if (M("format") != Format || M("version") != Version.ToString(CultureInfo.InvariantCulture) || M("config_hash") != hash)
            throw new InvalidDataException($"'{path}': metadata does not match latest.json (format, version or config hash).");
        long step = Long(M("step"), "step", path);
        if (step != (j["step"] is JsonValue sv && sv.TryGetValue<long>(out long js) ? js : -1)) throw new InvalidDataException($"'{path}': step {step} differs from latest.json.");
        double time = FromBits(M("time"), "time", path);
        if (!double.IsFinite(time) || time < 0) throw new InvalidDataException($"'{path}': metadata 'time' must be a finite t >= 0, got {time.ToString("R", CultureInfo.InvariantCulture)}.");
        double wall = FromBits(M("wall_s"), "wall_s", path);
        if (!double.IsFinite(wall) || wall < 0) throw new InvalidDataException($"'{path}': metadata 'wall_s' must be finite seconds >= 0, got {wall.ToString("R", CultureInfo.InvariantCulture)}.");
        long epoch = Long(M("epoch"), "epoch", path);
        long cursor = Long(M("cursor"), "cursor", path);
        var rng = M("rng").Split(',');
        if (rng.Length != 6) throw new InvalidDataException($"'{path}': metadata 'rng' must hold 6 fields, got {rng.Length}.");
        var words = rng[..4].Select(w => Hex(w, path)).ToArray();
        if (words.All(w => w == 0)) throw new InvalidDataException($"'{path}': metadata 'rng' holds the all-zero generator state, which no generator reaches.");
        if (rng[4] is not ("0" or "1")) throw new InvalidDataException($"'{path}': metadata 'rng' spare flag must be 0 or 1, got '{rng[4]}'.");
        double spare = FromBits(rng[5], "rng", path);
        if (!double.IsFinite(spare)) throw new InvalidDataException($"'{path}': metadata 'rng' holds a non-finite spare normal {spare.ToString(CultureInfo.InvariantCulture)}.");
        long csvBytes = Long(M("metrics_csv_bytes"), "metrics_csv_bytes", path), jsonlBytes = Long(M("metrics_jsonl_bytes"), "metrics_jsonl_bytes", path);
        // Written by newer checkpoints only; older ones continue as before (a final row may be probed again).
        long lastProbe = meta.TryGetValue("last_probe_step", out var lp) ? (lp == "-1" ? -1 : Long(lp, "last_probe_step", path)) : -1;
        if (lastProbe > step) throw new InvalidDataException($"'{path}': metadata 'last_probe_step' {lastProbe} is after the checkpoint's step {step}.");
        string? stopReason = meta.TryGetValue("stop_reason", out var sr) && sr.Length > 0 ? sr : null;
        if (stopReason is not null && !StopReasons.Contains(stopReason))
            throw new InvalidDataException($"'{path}': metadata 'stop_reason' must be empty or one of {string.Join(", ", StopReasons)}, got '{stopReason}'.");
        var order = tensors.FirstOrDefault(t => t.Name == "data.order") ?? throw new InvalidDataException($"'{path}': tensor 'data.order' is missing.");
        var algorithm = new Dictionary<string, double[]>();
        foreach (var t in tensors.Where(t => t.Name.StartsWith("algorithm.", StringComparison.Ordinal))) algorithm[t.Name["algorithm.".Length..]] = t.Data;
        int[] orderInts = new int[order.Data.Length];
        for (int i = 0; i < orderInts.Length; i++)
        {
            double o = order.Data[i];
            if (o != Math.Floor(o) || o < 0 || o >= orderInts.Length) throw new InvalidDataException($"'{path}': data.order holds {o} at {i}, not a sample index.");
            orderInts[i] = (int)o;
        }
        if (cursor > orderInts.Length) throw new InvalidDataException($"'{path}': metadata 'cursor' {cursor} is past the sample order of length {orderInts.Length}.");
        var weights = tensors.Where(t => t.Name.StartsWith("model.", StringComparison.Ordinal)).Select(t => t with { Name = t.Name["model.".Length..] }).ToList();
        foreach (var w in weights)
            for (int i = 0; i < w.Data.Length; i++)
                if (!double.IsFinite(w.Data[i]))
                    throw new InvalidDataException($"'{path}': weight '{w.Name}' holds {w.Data[i].ToString(CultureInfo.InvariantCulture)} at flat index {i}; checkpoints hold finite weights only (the file was modified).");
        return new TrainerState
        {
            Step = step,
            Time = time,
            WallSeconds = wall,
            Epoch = epoch,
            Cursor = (int)cursor,
            Order = orderInts,
            Rng = new RngState(words[0], words[1], words[2], words[3], rng[4] == "1", spare),
            Weights = weights,
            AlgorithmState = algorithm,
            MetricsLengths = (csvBytes, jsonlBytes),
            LastProbeStep = lastProbe,
            StopReason = stopReason,
        };
    }

    /// <summary>The stopping-rule names a final checkpoint may record (<see cref="StoppingRules"/>).</summary>
    public static readonly string[] StopReasons = ["steps", "time", "loss", "train_acc", "margin", "gamma"];

    /// <summary>
    /// Removes what a killed writer can leave in checkpoints/: temporary files of interrupted atomic writes,
    /// step files written after the latest checkpoint (their latest.json never followed), and, unless
    /// <paramref name="keep"/>, older step files whose deletion was cut short. Only called once the latest
    /// checkpoint has been verified.
    /// </summary>
    public static void CleanOrphans(string runDir, long latestStep, bool keep)
    {
        string dir = Path.Combine(runDir, "checkpoints");
        if (!Directory.Exists(dir)) return;
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            string name = Path.GetFileName(f);
            bool orphan = name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal);
            if (!orphan && name.StartsWith("step-", StringComparison.Ordinal) && name.EndsWith(".safetensors", StringComparison.Ordinal)
                && long.TryParse(name["step-".Length..^".safetensors".Length], NumberStyles.None, CultureInfo.InvariantCulture, out long s))
                orphan = s > latestStep || (!keep && s < latestStep);
            if (orphan) try { File.Delete(f); } catch (IOException) { }
        }
        foreach (var f in Directory.EnumerateFiles(runDir, ".*.tmp")) try { File.Delete(f); } catch (IOException) { }
    }

    private static string Str(JsonObject j, string key, string src) =>
        j[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new InvalidDataException($"'{src}' has no string '{key}'.");

    private static string Bits(double v) => BitConverter.DoubleToInt64Bits(v).ToString("x16", CultureInfo.InvariantCulture);

    private static double FromBits(string s, string key, string src) =>
        s.Length == 16 && long.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long b) ? BitConverter.Int64BitsToDouble(b) : throw new InvalidDataException($"'{src}': metadata '{key}' is not a hex double, got '{s}'.");

    private static ulong Hex(string s, string src) =>
        s.Length == 16 && ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v) ? v : throw new InvalidDataException($"'{src}': rng word '{s}' is not hex.");

    private static long Long(string s, string key, string src) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : throw new InvalidDataException($"'{src}': metadata '{key}' is not a non-negative integer, got '{s}'.");
}
