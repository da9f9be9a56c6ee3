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
        var d = c.Data;
        var train = Resolve(c, "data.train", d.Train, false);
        var test = d.Test is null ? null : Resolve(c, "data.test", d.Test, true);
        if (test is not null && test.D != train.D)
            throw c.Error("data.test", $"has {test.D} features per sample but the training set has {train.D}");
        if (d.Binary is { } bin)
        {
            train = Binary(c, train, bin);
            if (test is not null) test = Binary(c, test, bin);
        }
        if (d.Subsample is int k)
        {
            if (k > train.N) throw c.Error("data.subsample", $"asks for {k} samples but '{train.Name}' has {train.N}");
            var idx = Enumerable.Range(0, train.N).ToArray();
            rng.Shuffle(idx.AsSpan());
            var keep = idx.AsSpan(0, k).ToArray();
            Array.Sort(keep);
            train = train.Subset(keep, $"{train.Name}[{k}]");
        }
        if (d.LabelNoise > 0) train = LabelNoise(train, d.LabelNoise, rng);
        if (d.Standardize) (train, test) = Standardize(train, test);
        return (train, test);
    }

    private static Dataset Resolve(TrainConfig c, string key, DataSource s, bool isTest)
    {
        try
        {
            if (Resolver?.Invoke(s, isTest, c.Seed) is { } ds) return ds;
            if (s.Name != "separable" && DataResolver.Resolve(s.Name, s.Params, isTest, c.Seed) is { } named) return named;
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
        return result;
    }

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

    private static Dataset Binary(TrainConfig c, Dataset data, int[] pair)
    {
        if (pair[0] >= data.Classes || pair[1] >= data.Classes)
            throw c.Error("data.binary", $"names classes [{pair[0]}, {pair[1]}] but '{data.Name}' has classes 0..{data.Classes - 1}");
        var idx = new List<int>();
        for (int i = 0; i < data.N; i++) if (data.Y[i] == pair[0] || data.Y[i] == pair[1]) idx.Add(i);
        var sub = data.Subset(idx.ToArray());
        var labels = sub.Y.Select(v => v == pair[1] ? 1 : 0).ToArray();
        return new Dataset($"{data.Name}[{pair[0]} vs {pair[1]}]", sub.X, labels, sub.SampleShape, 2);
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
        int d = train.D, n = train.N;
        var mean = new double[d];
        var std = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += train.X[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) { double v = train.X[i * d + j] - mean[j]; std[j] += v * v; }
        for (int j = 0; j < d; j++) { std[j] = Math.Sqrt(std[j] / n); if (std[j] == 0) std[j] = 1; }
        Dataset Apply(Dataset s)
        {
            var x = new double[s.X.Length];
            for (int i = 0; i < s.N; i++) for (int j = 0; j < d; j++) x[i * d + j] = (s.X[i * d + j] - mean[j]) / std[j];
            return new Dataset(s.Name, x, s.Y, s.SampleShape, s.Classes);
        }
        return (Apply(train), test is null ? null : Apply(test));
    }
}
