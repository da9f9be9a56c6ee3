using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gradscope.Training;

/// <summary>
/// Writes a <see cref="TrainConfig"/> as canonical YAML (every key, fixed order, round-trip numbers):
/// the run directory's config.yaml, and the text whose SHA-256 is the config hash checkpoints carry.
/// </summary>
public static class TrainConfigWriter
{
    /// <summary>The canonical YAML of <paramref name="c"/>; parsing it gives an equal config.</summary>
    public static string ToYaml(TrainConfig c)
    {
        var b = new StringBuilder();
        b.Append("seed: ").Append(c.Seed.ToString(CultureInfo.InvariantCulture)).Append('\n');
        b.Append("dtype: ").Append(c.DType).Append('\n');
        b.Append("threads: ").Append(N(c.Threads)).Append('\n');
        b.Append("model:\n");
        if (c.Model.Mlp is { } mlp)
            b.Append($"  mlp: {{widths: [{string.Join(", ", mlp.Widths)}], activation: {mlp.Activation}, bias: {B(mlp.Bias)}}}\n");
        if (c.Model.Input is { } input) b.Append($"  input: [{string.Join(", ", input)}]\n");
        if (c.Model.Layers is { } layers)
        {
            b.Append("  layers:\n");
            foreach (var l in layers)
                b.Append(l.Params.Count == 0 ? $"    - {{type: {Q(l.Kind)}}}\n" : $"    - {{type: {Q(l.Kind)}, {Map(l.Params)}}}\n");
        }
        b.Append($"  init: {{scheme: {c.Model.Init.Scheme}, scale: {N(c.Model.Init.Scale)}, std: {N(c.Model.Init.Std)}}}\n");
        b.Append("data:\n");
        b.Append("  train: ").Append(Source(c.Data.Train)).Append('\n');
        if (c.Data.Test is { } test) b.Append("  test: ").Append(Source(test)).Append('\n');
        b.Append("  standardize: ").Append(B(c.Data.Standardize)).Append('\n');
        if (c.Data.Subsample is int sub) b.Append("  subsample: ").Append(N(sub)).Append('\n');
        b.Append("  label_noise: ").Append(N(c.Data.LabelNoise)).Append('\n');
        if (c.Data.Binary is { } bin) b.Append($"  binary: [{string.Join(", ", bin)}]\n");
        if (c.Data.BinarySplit is int bs) b.Append("  binary_split: ").Append(N(bs)).Append('\n');
        if (c.Data.Split is { } sp)
        {
            var parts = new List<string>();
            if (sp.Test is double tf) parts.Add("test: " + N(tf));
            if (sp.Validation is double v) parts.Add("validation: " + N(v));
            if (sp.TrainPerClass is int trc) parts.Add("train_per_class: " + N(trc));
            if (sp.TestPerClass is int tec) parts.Add("test_per_class: " + N(tec));
            if (sp.ValidationPerClass is int vac) parts.Add("validation_per_class: " + N(vac));
            if (sp.Seed is ulong seed) parts.Add("seed: " + seed.ToString(CultureInfo.InvariantCulture));
            if (!sp.Stratified) parts.Add("stratified: false");
            b.Append("  split: {").Append(string.Join(", ", parts)).Append("}\n");
        }
        b.Append($"loss: {{kind: {c.Loss.Kind}, target_scale: {N(c.Loss.TargetScale)}}}\n");
        b.Append("algorithm:\n");
        b.Append("  name: ").Append(Q(c.Algorithm.Name)).Append('\n');
        b.Append("  eta: ").Append(N(c.Algorithm.Eta)).Append('\n');
        b.Append("  batch_size: ").Append(N(c.Algorithm.BatchSize)).Append('\n');
        b.Append("  weight_decay: ").Append(N(c.Algorithm.WeightDecay)).Append('\n');
        foreach (var (k, v) in c.Algorithm.Options.OrderBy(kv => kv.Key, StringComparer.Ordinal)) b.Append($"  {k}: {Q(v)}\n");
        var s = c.Schedule;
        b.Append($"schedule: {{kind: {ScheduleName(s.Kind)}, factor: {N(s.Factor)}, every: {N(s.Every)}{(s.Total is long t ? $", total: {N(t)}" : "")}, min_eta: {N(s.MinEta)}}}\n");
        var st = c.Stop;
        b.Append("stop:\n");
        if (st.Steps is long steps) b.Append("  steps: ").Append(N(steps)).Append('\n');
        if (st.Time is double time) b.Append("  time: ").Append(N(time)).Append('\n');
        if (st.Loss is double loss) b.Append("  loss: ").Append(N(loss)).Append('\n');
        if (st.TrainAccuracy is double acc) b.Append("  train_acc: ").Append(N(acc)).Append('\n');
        if (st.Margin is double m) b.Append("  margin: ").Append(N(m)).Append('\n');
        if (st.Gamma is double g) b.Append("  gamma: ").Append(N(g)).Append('\n');
        b.Append("  check_every: ").Append(N(st.CheckEvery)).Append('\n');
        var p = c.Probes;
        b.Append($"probes: {{every: {N(p.Every)}, log_spaced: {N(p.PerDecade)}, checkpoint_every: {N(p.CheckpointEvery)}, keep_checkpoints: {B(p.KeepCheckpoints)}");
        // Written only when set, so configs without them keep their text (and hash).
        if (p.Measures.Count > 0)
            b.Append(", measures: [").Append(string.Join(", ", p.Measures.Select(m => m.Every is long e ? $"{{name: {Q(m.Name)}, every: {N(e)}}}" : Q(m.Name)))).Append(']');
        if (p.MeasureEvery.Count > 0)
            b.Append(", measure_every: {").Append(string.Join(", ", p.MeasureEvery.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {N(kv.Value)}"))).Append('}');
        b.Append("}\n");
        return b.ToString();
    }

    /// <summary>SHA-256 (hex) of the canonical YAML: two configs that train identically have equal hashes.</summary>
    public static string Hash(TrainConfig c) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToYaml(c))));

    /// <summary>
    /// The hashes that identify <paramref name="c"/>'s runs: <see cref="Hash"/>, and, when a relative data file path was
    /// made absolute at load (<see cref="DataSource.AsWritten"/>), the hash of the config with the paths as written, which
    /// the checkpoints of a run made before paths were resolved carry.
    /// </summary>
    public static IReadOnlyList<string> Hashes(TrainConfig c)
    {
        static DataSource Written(DataSource s) => s.AsWritten is { } w ? s with { Name = w, AsWritten = null } : s;
        string hash = Hash(c), written = Hash(c with { Data = c.Data with { Train = Written(c.Data.Train), Test = c.Data.Test is { } t ? Written(t) : null } });
        return written == hash ? [hash] : [hash, written];
    }

    /// <summary>The config name of a schedule kind.</summary>
    public static string ScheduleName(ScheduleKind k) => ScheduleConfig.Kinds.First(p => p.Value == k).Key;

    private static string Source(DataSource s) => s.Params.Count == 0 ? Q(s.Name) : $"{{name: {Q(s.Name)}, {Map(s.Params)}}}";

    private static string Map(IReadOnlyDictionary<string, string> ps) =>
        string.Join(", ", ps.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {Q(kv.Value)}"));

    private static string B(bool v) => v ? "true" : "false";
    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    // Quote strings that YAML would otherwise read differently; keep plain identifiers and lists plain.
    private static string Q(string v) =>
        v.Length > 0 && (v.All(ch => char.IsLetterOrDigit(ch) || ch is '_' or '-' or '.') || (v.StartsWith('[') && v.EndsWith(']')))
            ? v : "'" + v.Replace("'", "''") + "'";
}
