using System.Globalization;

namespace Gradscope.Data;

/// <summary>
/// Turns a dataset name with string parameters (as written in a run config) into a <see cref="Dataset"/>:
/// every <see cref="DataRegistry"/> name (optional parameters <c>scale</c>: multiply every feature; <c>per_class</c>: keep a
/// seeded random <c>per_class</c> samples of every class, <see cref="Transforms.SubsamplePerClass"/>), and the generators
/// <list type="bullet">
/// <item><c>separable_svm</c>: n, d, gamma, sigma, spread, support_pairs, seed (<see cref="SyntheticSeparable"/>);</item>
/// <item><c>max_margin</c>: n, d, gap, sv_spread, sigma, seed (<see cref="SyntheticMaxMargin"/>: d spanning support vectors, a certified gap);</item>
/// <item><c>conditioned</c>: n, d, cond, seed (<see cref="SyntheticConditioned"/>: X with singular values from sqrt(n) down to sqrt(n)/cond);</item>
/// <item><c>relu_teacher</c>: n, d, hidden (e.g. "[32, 32]"), classes, seed (<see cref="SyntheticTeacher"/>);</item>
/// <item><c>compositional</c>: n, depth, node (tanh | polynomial | product_tanh), rule (sign | quantile), classes, layout (leaves | grid | scrambled), seed (<see cref="SyntheticCompositional"/>).</item>
/// </list>
/// Data files (<see cref="DataFiles"/>: CSV, X.npy,y.npy, .npz, Parquet) take <c>label</c> (CSV, Parquet) or <c>x</c>, <c>y</c>
/// (.npz), <c>classes</c>, and <c>scale</c> and <c>per_class</c> like registered datasets.
/// Generators draw their structure (u, teacher, tree) from <c>seed</c> (default: the run's seed), so the train and test
/// sets share it; the samples of the test set come from a different stream than the training samples.
/// Unknown names return null (so a caller can fall back to its own generators); unknown or malformed parameters throw
/// ArgumentException naming the parameter.
/// </summary>
public static class DataResolver
{
    /// <summary>Generator names this resolver knows besides the registry's datasets.</summary>
    public static IReadOnlyList<string> Generators { get; } = ["separable_svm", "max_margin", "conditioned", "relu_teacher", "compositional"];

    /// <summary>Resolves <paramref name="name"/>, or returns null when it is neither a registered dataset nor a generator here.</summary>
    public static Dataset? Resolve(string name, IReadOnlyDictionary<string, string> parameters, bool isTest, ulong runSeed, DataRegistry? registry = null)
        => ResolveRows(name, parameters, isTest, runSeed, registry)?.Data;

    /// <summary>
    /// Resolves <paramref name="name"/> like <see cref="Resolve"/> and also says which rows of which source the result holds:
    /// for a registered dataset, its rows (after <c>per_class</c>) in the full dataset; for a generator, every row of the
    /// stream it drew (a generator's train and test streams are different sources: their samples are independent draws).
    /// </summary>
    public static ResolvedData? ResolveRows(string name, IReadOnlyDictionary<string, string> parameters, bool isTest, ulong runSeed, DataRegistry? registry = null)
    {
        var p = new Params(name, parameters);
        ulong seed = (ulong)p.Long("seed", (long)(runSeed & 0x7FFF_FFFF_FFFF_FFFF));
        ulong sampleSeed = seed * 0x9E3779B97F4A7C15UL + (isTest ? 2UL : 1UL);
        Dataset? result = name switch
        {
            "separable_svm" => SyntheticSeparable.Generate(p.Int("n", 100), p.Int("d", 10), p.Double("gamma", 0.1), seed,
                p.Double("sigma", 1.0), p.Double("spread", 1.0), p.Int("support_pairs", 1), sampleSeed).Data,
            "max_margin" => SyntheticMaxMargin.Generate(p.Int("n", 30), p.Int("d", 10), p.Double("gap", 1.0), seed,
                p.Double("sv_spread", 0.25), p.Double("sigma", 0.5), sampleSeed).Data,
            "conditioned" => SyntheticConditioned.Generate(p.Int("n", 20), p.Int("d", 50), p.Double("cond", 100), seed),
            "relu_teacher" => SyntheticTeacher.Generate(p.Int("n", 100), p.Int("d", 10), p.IntList("hidden", [32]), p.Int("classes", 2), seed, sampleSeed).Data,
            "compositional" => SyntheticCompositional.Generate(p.Int("n", 256), p.Int("depth", 3),
                p.Choice("node", "tanh", ["tanh", "polynomial", "product_tanh"]) switch { "tanh" => NodeFunction.Tanh, "polynomial" => NodeFunction.Polynomial, _ => NodeFunction.ProductTanh }, seed,
                p.Choice("rule", "sign", ["sign", "quantile"]) == "sign" ? TargetToClass.Sign : TargetToClass.Quantile,
                p.Int("classes", 2), sampleSeed,
                p.Choice("layout", "leaves", ["leaves", "grid", "scrambled"]) switch { "grid" => LeafLayout.Grid, "scrambled" => LeafLayout.Scrambled, _ => LeafLayout.Leaves }).Data,
            _ => null,
        };
        ResolvedData resolved;
        if (result is not null)
        {
            resolved = new ResolvedData(result, new RowIndexSet(GeneratorSource(name, parameters, seed, isTest), result.N, Enumerable.Range(0, result.N).ToArray()));
        }
        else
        {
            string source;
            var reg = registry ?? (DataPaths.TryFindDataDirectory() is string dir ? new DataRegistry(dir) : null);
            var entry = reg?.Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
            if (reg is not null && entry is not null) { result = reg.Load(entry.Name); source = SourceName(entry.Name); }
            else if (DataFiles.IsFileSource(name)) { result = LoadFile(name, p); source = DataFiles.SourceName(name); }
            else return null;
            int full = result.N;
            var rows = Enumerable.Range(0, full).ToArray();
            double scale = p.Double("scale", 1.0);
            if (scale != 1.0) result = Transforms.Scale(result, scale);
            int perClass = p.Int("per_class", 0);
            if (perClass > 0)
            {
                rows = Transforms.SubsamplePerClassRows(result, perClass, sampleSeed);
                result = result.Subset(rows, $"{result.Name}[{perClass}/class]");
            }
            resolved = new ResolvedData(result, new RowIndexSet(source, full, rows));
        }
        p.RejectUnknown();
        return resolved;
    }

    /// <summary>
    /// The source a registered dataset's rows belong to, for leakage checks: its name, except that <c>digits</c> and
    /// <c>optdigits-test</c> are the same 1,797 samples (data/README.md) and share the source <c>optdigits-test</c>;
    /// a data file's source is its full path (<see cref="DataFiles.SourceName"/>).
    /// </summary>
    public static string SourceName(string datasetName) =>
        string.Equals(datasetName, "digits", StringComparison.OrdinalIgnoreCase) ? "optdigits-test"
        : !IsRegistered(datasetName) && DataFiles.IsFileSource(datasetName) ? DataFiles.SourceName(datasetName)
        : datasetName.ToLowerInvariant();

    private static bool IsRegistered(string name) =>
        DataPaths.TryFindDataDirectory() is string dir && new DataRegistry(dir).Entries.Any(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    // A data file (DataFiles): label (CSV, Parquet) or x / y (.npz) and classes; other parameters are left for RejectUnknown.
    private static Dataset LoadFile(string name, Params p)
    {
        int classes = p.Int("classes", 0);
        if (classes == 1) throw new ArgumentException($"dataset '{name}': parameter 'classes' must be at least 2, got 1.");
        return DataFiles.FormatOf(name) switch
        {
            DataFiles.Format.NpyPair => DataFiles.Pair(name) is var (x, y) ? NpyDataset.ReadPair(x, y, classes) : throw new InvalidOperationException(),
            DataFiles.Format.Npz => NpyDataset.ReadNpz(name, p.String("x"), p.String("y"), classes),
            DataFiles.Format.Parquet => ParquetDataset.Read(name, p.String("label"), classes),
            DataFiles.Format.SingleNpy => throw new InvalidDataException($"'{name}': a .npy file holds one array, but a dataset needs features and labels; give both as X.npy,y.npy or save them together with np.savez(\"d.npz\", X=X, y=y)."),
            _ => TableCsv.Read(name, p.String("label"), classes),
        };
    }

    private static string GeneratorSource(string name, IReadOnlyDictionary<string, string> parameters, ulong seed, bool isTest) =>
        $"{name}({string.Join(", ", parameters.Where(kv => kv.Key != "seed").OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))}"
        + $"{(parameters.Count > (parameters.ContainsKey("seed") ? 1 : 0) ? ", " : "")}seed={seed}) {(isTest ? "test" : "train")} stream";

    private sealed class Params(string name, IReadOnlyDictionary<string, string> values)
    {
        private readonly HashSet<string> _used = [];

        private string? Get(string key) { _used.Add(key); return values.TryGetValue(key, out var v) ? v.Trim() : null; }

        private ArgumentException Bad(string key, string value, string what) => new($"dataset '{name}': parameter '{key}' must be {what}, got '{value}'.");

        public int Int(string key, int fallback) => Get(key) is string s
            ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw Bad(key, s, "a positive integer")
            : fallback;

        public string? String(string key) => Get(key) is string s ? (s.Length > 0 ? s : throw Bad(key, s, "a name")) : null;

        public long Long(string key, long fallback) => Get(key) is string s
            ? long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) && v >= 0 ? v : throw Bad(key, s, "a non-negative integer")
            : fallback;

        public double Double(string key, double fallback) => Get(key) is string s
            ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : throw Bad(key, s, "a number")
            : fallback;

        public int[] IntList(string key, int[] fallback)
        {
            if (Get(key) is not string s) return fallback;
            var parts = s.Trim('[', ']', ' ').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var r = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out r[i]) || r[i] <= 0) throw Bad(key, s, "a list of positive integers such as [32, 32]");
            return r;
        }

        public string Choice(string key, string fallback, string[] allowed)
        {
            var s = Get(key) ?? fallback;
            return allowed.Contains(s) ? s : throw Bad(key, s, "one of " + string.Join(", ", allowed));
        }

        public void RejectUnknown()
        {
            var unknown = values.Keys.Where(k => !_used.Contains(k)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"dataset '{name}': unknown parameter(s) {string.Join(", ", unknown.Select(k => $"'{k}'"))} (known: {string.Join(", ", _used)}).");
        }
    }
}

/// <summary>A resolved dataset and the rows of its source it holds (row k of <paramref name="Data"/> is source row <c>Rows.Rows[k]</c>).</summary>
public sealed record ResolvedData(Dataset Data, RowIndexSet Rows);
