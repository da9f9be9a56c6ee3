namespace Gradscope.Training;

using Gradscope.Data;
using Gradscope.Tensors;

/// <summary>
/// Resolves the data section of a config: loads or generates the train/test sets, then applies
/// the transforms in a fixed order: binary relabeling (both sets), subsampling (train), label
/// noise (train), standardization (both, with training statistics). Every random choice draws
/// from the generator handed in, so a seed fixes the data.
/// </summary>
public static class TrainerData
{
    /// <summary>
    /// An optional resolver consulted before the built-in generators: (name, parameters, is-test, seed) -&gt;
    /// dataset, or null when it does not know the name. The data library plugs its registry in here.
    /// </summary>
    public static Func<DataSource, bool, ulong, Dataset?>? Resolver { get; set; }

    /// <summary>Built-in generator names (available without the data library).</summary>
    public static IReadOnlyList<string> BuiltIns { get; } = ["separable"];

    /// <summary>Loads train and test sets and applies the transforms; throws <see cref="TrainConfigException"/> naming the key.</summary>
    public static (Dataset Train, Dataset? Test) Load(TrainConfig c, Rng rng)
    {
        var l = LoadAll(c, rng);
        return (l.Train, l.Test);
    }

    /// <summary>
    /// Loads the data section: the training source (split into disjoint train/validation/test parts when
    /// <c>data.split</c> is set) or separate train and test sources, then the transforms (binary task on every part,
    /// subsampling and label noise on train, standardization of every part with training statistics). Also returns
    /// the exact source rows of each part. Throws <see cref="TrainConfigException"/> naming the key.
    /// </summary>
    public static LoadedData LoadAll(TrainConfig c, Rng rng)
    {
        var d = c.Data;
        var train = Resolve(c, "data.train", d.Train, false);
        Part? test = null, validation = null;
        if (d.Split is { } split)
        {
            // NOTE: the split has its own generator (seeded by data.split.seed, else by the run seed), so adding a split
            // does not change the random choices of the transforms below.
            ulong seed = split.Seed ?? (c.Seed * 0x9E3779B97F4A7C15UL + 0x5B1170UL);
            SplitRows parts;
            try
            {
                parts = split.ByCounts
                    ? Transforms.SplitPerClass(train.Data, split.TrainPerClass, split.TestPerClass ?? 0, split.ValidationPerClass ?? 0, seed)
                    : Transforms.SplitByFraction(train.Data, split.Test ?? 0, split.Validation ?? 0, seed, split.Stratified);
            }
            catch (ArgumentException e) { throw c.Error("data.split", e.Message); }
            if (parts.Train.Length == 0) throw c.Error("data.split", $"leaves no training samples of the {train.Data.N} in '{train.Data.Name}'");
            if (parts.Test.Length > 0) test = train.Take(parts.Test, "/test");
            if (parts.Validation.Length > 0) validation = train.Take(parts.Validation, "/validation");
            train = train.Take(parts.Train, "/train");
        }
        else if (d.Test is not null)
        {
            test = Resolve(c, "data.test", d.Test, true);
        }
        if (test is not null && test.Data.D != train.Data.D)
            throw c.Error("data.test", $"has {test.Data.D} features per sample but the training set has {train.Data.D}");
        if (d.Binary is { } bin)
        {
            train = Binary(c, train, bin);
            if (test is not null) test = Binary(c, test, bin);
            if (validation is not null) validation = Binary(c, validation, bin);
        }
        if (d.BinarySplit is int threshold)
        {
            train = Split(c, train, threshold);
            if (test is not null) test = Split(c, test, threshold);
            if (validation is not null) validation = Split(c, validation, threshold);
        }
        if (d.Subsample is int k)
        {
            if (k > train.Data.N) throw c.Error("data.subsample", $"asks for {k} samples but '{train.Data.Name}' has {train.Data.N}");
            var idx = Enumerable.Range(0, train.Data.N).ToArray();
            rng.Shuffle(idx.AsSpan());
            var keep = idx.AsSpan(0, k).ToArray();
            Array.Sort(keep);
            train = train.Take(keep, $"[{k}]");
        }
        var trainSet = train.Data;
        if (d.LabelNoise > 0) trainSet = LabelNoise(trainSet, d.LabelNoise, rng);
        Dataset? testSet = test?.Data, validationSet = validation?.Data;
        if (d.Standardize)
        {
            var stats = Standardizer(trainSet);
            trainSet = stats(trainSet);
            if (testSet is not null) testSet = stats(testSet);
            if (validationSet is not null) validationSet = stats(validationSet);
        }
        return new LoadedData(trainSet, validationSet, testSet, new DataIndices(train.Rows, validation?.Rows, test?.Rows));
    }

    /// <summary>
    /// Whether two data sources draw from the same rows, so that independently drawn train and test subsets can overlap:
    /// the same registered dataset (digits and optdigits-test count as one). A generator's train and test streams are
    /// independent draws, so generators never share a source.
    /// </summary>
    public static bool SameSource(DataSource a, DataSource b) =>
        !IsGenerator(a.Name) && !IsGenerator(b.Name) && DataResolver.SourceName(a.Name) == DataResolver.SourceName(b.Name);

    private static bool IsGenerator(string name) => BuiltIns.Contains(name) || DataResolver.Generators.Contains(name);

    /// <summary>A dataset and the source row of each of its samples.</summary>
    private sealed record Part(Dataset Data, RowIndexSet Rows)
    {
        public Part Take(int[] idx, string suffix) =>
            new(Data.Subset(idx, Data.Name + suffix), Rows with { Rows = idx.Select(i => Rows.Rows[i]).ToArray() });
    }

    private static Part Resolve(TrainConfig c, string key, DataSource s, bool isTest)
    {
        try
        {
            if (s.Name != "separable" && DataResolver.ResolveRows(s.Name, s.Params, isTest, c.Seed) is { } named) return new Part(named.Data, named.Rows);
            if (Resolver?.Invoke(s, isTest, c.Seed) is { } ds) return Whole(ds, s, isTest);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or KeyNotFoundException)
        {
            throw c.Error(key, $"'{s.Name}': {e.Message}");
        }
        var o = new TrainerOptions(c, key, s.Params);
        Dataset result = s.Name switch
        {
            "separable" => Separable(o, isTest, c.Seed),
            _ => throw c.Error(key, $"names no known dataset or generator, got '{s.Name}' (generators: {string.Join(", ", BuiltIns.Concat(DataResolver.Generators))}; datasets: see gradscope data list)"),
        };
        o.RejectUnknown($"dataset '{s.Name}'");
        return Whole(result, s, isTest);
    }

    /// <summary>Every row of a dataset drawn for one stream (train or test) of a generator or custom resolver.</summary>
    private static Part Whole(Dataset data, DataSource s, bool isTest) =>
        new(data, new RowIndexSet($"{s.Name}({string.Join(", ", s.Params.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))}) {(isTest ? "test" : "train")} stream",
            data.N, Enumerable.Range(0, data.N).ToArray()));

    /// <summary>
    /// Linearly separable Gaussian data: x ~ N(0, I_d), teacher w* ~ N(0, I_d) (C = 2: y = 1 iff &lt;w*, x&gt; &gt; 0;
    /// C &gt; 2: y = argmax_c &lt;w*_c, x&gt;). Samples with margin below <c>margin</c> (binary: |&lt;w*, x&gt;| / ||w*||)
    /// are redrawn. The teacher depends only on the seed, so train and test share it.
    /// </summary>
    public static Dataset Separable(TrainerOptions o, bool isTest, ulong configSeed)
    {
        int n = o.Int(isTest ? "n" : "n", 100, 1), d = o.Int("d", 10, 1), classes = o.Int("classes", 2, 2);
        double margin = o.Double("margin", 0);
        if (margin < 0) throw o.Error("margin", $"must be >= 0, got {margin}");
        ulong seed = (ulong)o.Int("seed", (int)(configSeed & 0x7FFFFFFF), 0);
        var teacherRng = new Rng(seed ^ 0x5EAB1EUL);
        int rows = classes == 2 ? 1 : classes;
        int nd, rd;
        try { nd = MemoryLimit.Elements("n x d", sizeof(double), n, d); }
        catch (ArgumentException e) { throw o.Error("n", e.Message); }
        try { rd = MemoryLimit.Elements("classes x d", sizeof(double), rows, d); }
        catch (ArgumentException e) { throw o.Error("classes", e.Message); }
        var w = new double[rd];
        for (int i = 0; i < w.Length; i++) w[i] = teacherRng.NextNormal();
        var rng = new Rng(seed * 2 + (isTest ? 1UL : 0UL) + 0x9E37UL);
        var x = new double[nd];
        var y = new int[n];
        var score = new double[rows];
        double wNorm = Math.Sqrt(w.Sum(v => v * v));
        for (int i = 0; i < n; i++)
        {
            for (int attempt = 0; ; attempt++)
            {
                var row = x.AsSpan(i * d, d);
                for (int j = 0; j < d; j++) row[j] = rng.NextNormal();
                for (int r = 0; r < rows; r++)
                {
                    double s = 0;
                    for (int j = 0; j < d; j++) s += w[r * d + j] * row[j];
                    score[r] = s;
                }
                if (rows == 1)
                {
                    y[i] = score[0] > 0 ? 1 : 0;
                    if (Math.Abs(score[0]) / wNorm >= margin) break;
                }
                else
                {
                    int best = 0;
                    for (int r = 1; r < rows; r++) if (score[r] > score[best]) best = r;
                    y[i] = best;
                    double second = double.NegativeInfinity;
                    for (int r = 0; r < rows; r++) if (r != best) second = Math.Max(second, score[r]);
                    if (score[best] - second >= margin) break;
                }
                if (attempt > 10_000) throw o.Error("margin", $"is too large: no sample with margin >= {margin} in 10000 draws");
            }
        }
        return new Dataset($"separable(n={n}, d={d}{(classes > 2 ? $", C={classes}" : "")})", x, y, [d], classes);
    }

    private static Part Split(TrainConfig c, Part part, int threshold)
    {
        try { return part with { Data = Gradscope.Data.BinarySplit.Apply(part.Data, threshold) }; }
        catch (ArgumentException e) { throw c.Error("data.binary_split", e.Message); }
    }

    private static Part Binary(TrainConfig c, Part part, int[] pair)
    {
        var data = part.Data;
        if (pair[0] >= data.Classes || pair[1] >= data.Classes)
            throw c.Error("data.binary", $"names classes [{pair[0]}, {pair[1]}] but '{data.Name}' has classes 0..{data.Classes - 1}");
        var idx = new List<int>();
        for (int i = 0; i < data.N; i++) if (data.Y[i] == pair[0] || data.Y[i] == pair[1]) idx.Add(i);
        var sub = part.Take(idx.ToArray(), "");
        var labels = sub.Data.Y.Select(v => v == pair[1] ? 1 : 0).ToArray();
        return sub with { Data = new Dataset($"{data.Name}[{pair[0]} vs {pair[1]}]", sub.Data.X, labels, sub.Data.SampleShape, 2) };
    }

    /// <summary>Replaces the labels of round(p n) random samples by a different uniformly random class.</summary>
    public static Dataset LabelNoise(Dataset data, double p, Rng rng)
    {
        int k = (int)Math.Round(p * data.N);
        var idx = Enumerable.Range(0, data.N).ToArray();
        rng.Shuffle(idx.AsSpan());
        var labels = (int[])data.Y.Clone();
        for (int t = 0; t < k; t++)
        {
            int i = idx[t];
            int other = rng.NextInt(data.Classes - 1);
            labels[i] = other >= labels[i] ? other + 1 : other;
        }
        return data.WithLabels(labels, $"{data.Name}+noise({p})");
    }

    /// <summary>Standardizes every feature to mean 0, std 1 with training statistics (features with std 0 are only centered).</summary>
    public static (Dataset Train, Dataset? Test) Standardize(Dataset train, Dataset? test)
    {
        var apply = Standardizer(train);
        return (apply(train), test is null ? null : apply(test));
    }

    /// <summary>The map x -&gt; (x - mean) / std with per-feature statistics of <paramref name="train"/> (std 0 -&gt; 1: only centered).</summary>
    private static Func<Dataset, Dataset> Standardizer(Dataset train)
    {
        int d = train.D, n = train.N;
        var mean = new double[d];
        var std = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += train.X[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) { double v = train.X[i * d + j] - mean[j]; std[j] += v * v; }
        for (int j = 0; j < d; j++) { std[j] = Math.Sqrt(std[j] / n); if (std[j] == 0) std[j] = 1; }
        return s =>
        {
            var x = new double[s.X.Length];
            for (int i = 0; i < s.N; i++) for (int j = 0; j < d; j++) x[i * d + j] = (s.X[i * d + j] - mean[j]) / std[j];
            return new Dataset(s.Name, x, s.Y, s.SampleShape, s.Classes);
        };
    }
}

/// <summary>The data of a run: train, optional validation and test sets (after transforms) and the source rows of each.</summary>
public sealed record LoadedData(Dataset Train, Dataset? Validation, Dataset? Test, DataIndices Indices);

/// <summary>The exact source rows a run trained, validated and tested on (written to the run directory as data_indices.json).</summary>
public sealed record DataIndices(RowIndexSet Train, RowIndexSet? Validation, RowIndexSet? Test)
{
    /// <summary>File name in a run directory.</summary>
    public const string FileName = "data_indices.json";

    /// <summary>The JSON document: format, then train / validation / test (each a <see cref="RowIndexSet.ToJson"/> object; absent parts left out).</summary>
    public string ToJson()
    {
        var o = new System.Text.Json.Nodes.JsonObject { ["format"] = "gradscope-data-indices/1", ["train"] = Train.ToJson() };
        if (Validation is not null) o["validation"] = Validation.ToJson();
        if (Test is not null) o["test"] = Test.ToJson();
        return o.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Reads a data_indices.json document; throws InvalidDataException naming the part that is malformed.</summary>
    public static DataIndices FromJson(string json)
    {
        var o = System.Text.Json.Nodes.JsonNode.Parse(json) as System.Text.Json.Nodes.JsonObject
            ?? throw new InvalidDataException("data_indices.json: not a JSON object.");
        RowIndexSet? Part(string key)
        {
            if (o[key] is null) return null;
            try { return RowIndexSet.FromJson(o[key] as System.Text.Json.Nodes.JsonObject ?? throw new InvalidDataException("not an object")); }
            catch (InvalidDataException e) { throw new InvalidDataException($"data_indices.json: '{key}': {e.Message}", e); }
        }
        return new DataIndices(Part("train") ?? throw new InvalidDataException("data_indices.json: missing 'train'."), Part("validation"), Part("test"));
    }
}
