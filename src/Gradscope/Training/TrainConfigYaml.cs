using System.Globalization;
using Gradscope.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Training;

/// <summary>
/// Reads a <see cref="TrainConfig"/> from YAML (YamlDotNet representation model, so every error
/// names the line): unknown keys, wrong types and impossible values throw
/// <see cref="TrainConfigException"/> as "config.yaml:12: algorithm.eta must be &gt; 0, got -1".
/// </summary>
public static class TrainConfigYaml
{
    /// <summary>Reads and validates the config file at <paramref name="path"/>.</summary>
    public static TrainConfig Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new TrainConfigException($"{path}: cannot read the config: {e.Message}"); }
        return Parse(text, path);
    }

    /// <summary>Parses and validates YAML text; <paramref name="source"/> names it in errors.</summary>
    public static TrainConfig Parse(string yaml, string source = "config.yaml")
    {
        var stream = YamlInput.Load(yaml, (line, what) => new TrainConfigException($"{source}:{line}: {what}"));
        if (stream.Documents.Count == 0) throw new TrainConfigException($"{source}: the config is empty.");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new TrainConfigException($"{source}:{stream.Documents[0].RootNode.Start.Line}: the config must be a mapping of keys (seed, model, data, ...).");
        var lines = new Dictionary<string, int>();
        var r = new Section(source, "", root, lines);
        var c = new TrainConfig
        {
            Source = source,
            Lines = lines,
            Seed = r.ULong("seed") ?? 0,
            DType = r.Enum("dtype", ["f32", "f64"]) ?? "f64",
            Threads = r.Int("threads") ?? 1,
            Model = ReadModel(r.Map("model") ?? throw r.Missing("model")),
            Data = ReadData(r.Map("data") ?? throw r.Missing("data")),
            Loss = ReadLoss(r.Map("loss")),
            Algorithm = ReadAlgorithm(r.Map("algorithm") ?? throw r.Missing("algorithm")),
            Schedule = ReadSchedule(r.Map("schedule")),
            Stop = ReadStop(r.Map("stop") ?? throw r.Missing("stop")),
            Probes = ReadProbes(r.Map("probes")),
        };
        r.RejectUnknown();
        c.Validate();
        return c;
    }

    private static ModelConfig ReadModel(Section s)
    {
        MlpConfig? mlp = null;
        if (s.Map("mlp") is { } m)
        {
            mlp = new MlpConfig { Widths = m.IntList("widths") ?? throw m.Missing("widths"), Activation = m.Enum("activation", ["relu", "identity"]) ?? "relu", Bias = m.Bool("bias") ?? false };
            m.RejectUnknown();
        }
        List<LayerConfig>? layers = null;
        if (s.Node("layers") is { } ln)
        {
            if (ln is not YamlSequenceNode seq) throw s.Type("layers", ln, "a list of layers");
            layers = [];
            for (int i = 0; i < seq.Children.Count; i++) layers.Add(ReadLayer(s, $"layers[{i}]", seq.Children[i]));
        }
        var input = s.IntList("input");
        var init = new InitConfig();
        if (s.Map("init") is { } im)
        {
            init = new InitConfig
            {
                Scheme = im.Enum("scheme", ["he", "lecun", "gaussian", "pytorch", "orthogonal", "balanced"]) ?? "he",
                Scale = im.Double("scale") ?? 1.0,
                Std = im.Double("std") ?? 1.0,
            };
            im.RejectUnknown();
        }
        s.RejectUnknown();
        if (mlp is null && layers is null) throw s.Missing("mlp' or 'layers");
        if (mlp is not null && layers is not null) throw new TrainConfigException(s.At("layers", "cannot be combined with model.mlp; give one of them"));
        return new ModelConfig { Mlp = mlp, Layers = layers, Input = input, Init = init };
    }

    // A layer is "relu", {dense: {out: 10}} or {type: dense, out: 10}.
    private static LayerConfig ReadLayer(Section parent, string key, YamlNode node)
    {
        string path = parent.Key(key);
        parent.Lines[path] = (int)node.Start.Line;
        if (node is YamlScalarNode sc) return new LayerConfig(sc.Value ?? "");
        if (node is not YamlMappingNode map) throw parent.Type(key, node, "a layer name or mapping");
        var ps = new Dictionary<string, string>();
        string? kind = null;
        if (map.Children.Count == 1 && map.Children.First().Value is YamlMappingNode or YamlScalarNode { Value: null or "" } && ((YamlScalarNode)map.Children.First().Key).Value != "type")
        {
            var (k, v) = map.Children.First();
            kind = ((YamlScalarNode)k).Value;
            if (v is YamlMappingNode inner) Scalars(parent, path, inner, ps);
        }
        else
        {
            Scalars(parent, path, map, ps);
            if (!ps.Remove("type", out kind)) throw new TrainConfigException(parent.At(key, "needs 'type' (e.g. {type: dense, out: 10}) or the form {dense: {out: 10}}"));
        }
        return new LayerConfig(kind ?? "", ps);
    }

    private static void Scalars(Section parent, string path, YamlMappingNode map, Dictionary<string, string> into)
    {
        foreach (var (k, v) in map.Children)
        {
            string name = ((YamlScalarNode)k).Value ?? "";
            parent.Lines[$"{path}.{name}"] = (int)k.Start.Line;
            into[name] = v switch
            {
                YamlScalarNode s => s.Value ?? "",
                YamlSequenceNode q when q.Children.All(c => c is YamlScalarNode) => "[" + string.Join(", ", q.Children.Select(c => ((YamlScalarNode)c).Value)) + "]",
                _ => throw new TrainConfigException($"{parent.Source}:{k.Start.Line}: {path}.{name} must be a scalar or a list of scalars"),
            };
        }
    }

    private static DataSource ReadSource(Section s, string key)
    {
        var node = s.Node(key);
        if (node is null) throw s.Missing(key);
        if (node is YamlScalarNode sc) return new DataSource(sc.Value ?? "");
        if (node is not YamlMappingNode map) throw s.Type(key, node, "a dataset name or {name: generator, ...parameters}");
        var ps = new Dictionary<string, string>();
        Scalars(s, s.Key(key), map, ps);
        if (!ps.Remove("name", out var name)) throw new TrainConfigException(s.At(key, "needs 'name' (a dataset or generator name)"));
        return new DataSource(name, ps);
    }

    private static DataConfig ReadData(Section s)
    {
        var d = new DataConfig
        {
            Train = ReadSource(s, "train"),
            Test = s.Node("test") is null ? null : ReadSource(s, "test"),
            Standardize = s.Bool("standardize") ?? false,
            Subsample = s.Int("subsample"),
            LabelNoise = s.Double("label_noise") ?? 0,
            Binary = s.IntList("binary"),
            BinarySplit = s.Int("binary_split"),
            Split = ReadSplit(s.Map("split")),
        };
        s.RejectUnknown();
        return d;
    }

    private static SplitConfig? ReadSplit(Section? s)
    {
        if (s is null) return null;
        var split = new SplitConfig
        {
            Test = s.Double("test"),
            Validation = s.Double("validation"),
            TrainPerClass = s.Int("train_per_class"),
            TestPerClass = s.Int("test_per_class"),
            ValidationPerClass = s.Int("validation_per_class"),
            Seed = s.ULong("seed"),
            Stratified = s.Bool("stratified") ?? true,
        };
        s.RejectUnknown();
        return split;
    }

    private static LossConfig ReadLoss(Section? s)
    {
        if (s is null) return new LossConfig();
        var l = new LossConfig
        {
            Kind = s.Enum("kind", ["exponential", "logistic", "cross_entropy", "square", "hinge"]) ?? "cross_entropy",
            TargetScale = s.Double("target_scale") ?? 1.0,
        };
        s.RejectUnknown();
        return l;
    }

    private static AlgorithmConfig ReadAlgorithm(Section s)
    {
        string name = s.String("name") ?? throw s.Missing("name");
        var a = new AlgorithmConfig
        {
            Name = name,
            Eta = s.Double("eta") ?? 0.1,
            BatchSize = s.Int("batch_size") ?? 0,
            WeightDecay = s.Double("weight_decay") ?? 0,
        };
        // Remaining keys are algorithm-specific; the algorithm factory checks them by name.
        var options = new Dictionary<string, string>();
        foreach (var k in s.UnusedKeys())
        {
            var v = s.Node(k)!;
            if (v is not YamlScalarNode sc) throw s.Type(k, v, "a scalar");
            options[k] = sc.Value ?? "";
        }
        return a with { Options = options };
    }

    private static ScheduleConfig ReadSchedule(Section? s)
    {
        if (s is null) return new ScheduleConfig();
        string kind = s.Enum("kind", ["constant", "step", "cosine", "loss_scaled"]) ?? "constant";
        var c = new ScheduleConfig
        {
            Kind = kind switch { "step" => ScheduleKind.Step, "cosine" => ScheduleKind.Cosine, "loss_scaled" => ScheduleKind.LossScaled, _ => ScheduleKind.Constant },
            Factor = s.Double("factor") ?? 0.1,
            Every = s.Long("every") ?? 1000,
            Total = s.Long("total"),
            MinEta = s.Double("min_eta") ?? 0,
        };
        s.RejectUnknown();
        return c;
    }

    private static StoppingRules ReadStop(Section s)
    {
        var r = new StoppingRules
        {
            Steps = s.Long("steps"),
            Time = s.Double("time"),
            Loss = s.Double("loss"),
            TrainAccuracy = s.Double("train_acc"),
            Margin = s.Double("margin"),
            Gamma = s.Double("gamma"),
            CheckEvery = s.Long("check_every") ?? 1,
        };
        s.RejectUnknown();
        return r;
    }

    private static ProbeConfig ReadProbes(Section? s)
    {
        if (s is null) return new ProbeConfig();
        int perDecade = 0;
        if (s.Node("log_spaced") is YamlMappingNode)
        {
            var m = s.Map("log_spaced")!;
            perDecade = m.Int("per_decade") ?? throw m.Missing("per_decade");
            m.RejectUnknown();
        }
        else perDecade = s.Int("log_spaced") ?? 0;
        var p = new ProbeConfig
        {
            Every = s.Long("every") ?? 100,
            PerDecade = perDecade,
            CheckpointEvery = s.Long("checkpoint_every") ?? 1000,
            KeepCheckpoints = s.Bool("keep_checkpoints") ?? false,
            Measures = ReadProbeMeasures(s),
        };
        if (s.Map("measure_every") is { } me)
        {
            var every = new Dictionary<string, long>(); var at = new Dictionary<string, string>();
            foreach (var k in me.UnusedKeys())
            {
                long v = me.Long(k)!.Value;
                if (v < 1) throw new TrainConfigException(me.At(k, $"must be >= 1, got {v}"));
                every[k] = v; at[k] = me.At(k, "").TrimEnd();
            }
            p = p with { MeasureEvery = every, MeasureEveryAt = at };
        }
        s.RejectUnknown();
        return p;
    }

    // probes.measures: a list of names/globs or {name, every} mappings.
    private static IReadOnlyList<ProbeMeasure> ReadProbeMeasures(Section s)
    {
        var v = s.Node("measures");
        if (v is null) return [];
        if (v is not YamlSequenceNode seq) throw s.Type("measures", v, "a list of measure names or globs (gradscope measures)");
        var list = new List<ProbeMeasure>();
        for (int i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            string where = $"{s.Source}:{item.Start.Line}: {s.Key("measures")}[{i}]";
            if (item is YamlScalarNode { Value: { Length: > 0 } name }) { list.Add(new ProbeMeasure(name, null, where)); continue; }
            if (item is YamlMappingNode)
            {
                var m = new Section(s.Source, $"{s.Key("measures")}[{i}]", (YamlMappingNode)item, s.Lines);
                string n = m.String("name") ?? throw m.Missing("name");
                long? every = m.Long("every");
                if (every is < 1) throw new TrainConfigException(m.At("every", $"must be >= 1, got {every}"));
                m.RejectUnknown();
                list.Add(new ProbeMeasure(n, every, where));
                continue;
            }
            throw new TrainConfigException($"{where} must be a measure name or glob, or {{name: ..., every: N}}");
        }
        return list;
    }

    /// <summary>One mapping of the config with typed getters that record lines and reject unknown keys.</summary>
    private sealed class Section(string source, string path, YamlMappingNode node, Dictionary<string, int> lines)
    {
        private readonly HashSet<string> _used = [];
        public string Source => source;
        public Dictionary<string, int> Lines => lines;

        public string Key(string key) => path.Length == 0 ? key : $"{path}.{key}";
        private int LineOf(YamlNode n) => (int)n.Start.Line;
        public string At(string key, string message)
        {
            int line = lines.TryGetValue(Key(key), out int l) ? l : LineOf(node);
            return $"{source}:{line}: {Key(key)} {message}";
        }

        public YamlNode? Node(string key)
        {
            _used.Add(key);
            foreach (var (k, v) in node.Children)
                if (k is YamlScalarNode ks && ks.Value == key)
                {
                    lines[Key(key)] = LineOf(k);
                    return v is YamlScalarNode { Value: null or "~" or "null", Style: ScalarStyle.Plain } ? null : v;
                }
            return null;
        }

        public IEnumerable<string> UnusedKeys() =>
            node.Children.Keys.Select(k => ((YamlScalarNode)k).Value ?? "").Where(k => !_used.Contains(k)).ToList();

        public void RejectUnknown()
        {
            foreach (var (k, _) in node.Children)
            {
                string name = (k as YamlScalarNode)?.Value ?? k.ToString();
                if (!_used.Contains(name))
                {
                    string known = string.Join(", ", _used.OrderBy(x => x));
                    throw new TrainConfigException($"{source}:{LineOf(k)}: unknown key '{Key(name)}'" + (known.Length > 0 ? $" (known keys here: {known})" : ""));
                }
            }
        }

        public TrainConfigException Missing(string key) => new($"{source}:{LineOf(node)}: {(path.Length == 0 ? "" : path + ": ")}missing key '{key}'");
        public TrainConfigException Type(string key, YamlNode v, string expected) =>
            new($"{source}:{LineOf(v)}: {Key(key)} must be {expected}, got {Describe(v)}");

        private static string Describe(YamlNode v) => v switch
        {
            YamlScalarNode s => $"'{s.Value}'",
            YamlSequenceNode => "a list",
            YamlMappingNode => "a mapping",
            _ => v.NodeType.ToString(),
        };

        public Section? Map(string key)
        {
            var v = Node(key);
            if (v is null) return null;
            if (v is not YamlMappingNode m) throw Type(key, v, "a mapping");
            return new Section(source, Key(key), m, lines);
        }

        private string? Scalar(string key, string expected)
        {
            var v = Node(key);
            if (v is null) return null;
            if (v is not YamlScalarNode s) throw Type(key, v, expected);
            return s.Value;
        }

        public string? String(string key) => Scalar(key, "a string");

        public string? Enum(string key, string[] allowed)
        {
            var s = Scalar(key, $"one of {string.Join(", ", allowed)}");
            if (s is null) return null;
            if (!allowed.Contains(s)) throw new TrainConfigException(At(key, $"must be one of {string.Join(", ", allowed)}, got '{s}'"));
            return s;
        }

        public double? Double(string key)
        {
            var s = Scalar(key, "a number");
            if (s is null) return null;
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
                throw new TrainConfigException(At(key, $"must be a number, got '{s}'"));
            return d;
        }

        public long? Long(string key)
        {
            var s = Scalar(key, "an integer");
            if (s is null) return null;
            if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)) return v;
            // accept 1e6-style integers
            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
            throw new TrainConfigException(At(key, $"must be an integer, got '{s}'"));
        }

        public int? Int(string key)
        {
            long? v = Long(key);
            if (v is null) return null;
            if (v < int.MinValue || v > int.MaxValue) throw new TrainConfigException(At(key, $"is out of range, got {v}"));
            return (int)v;
        }

        public ulong? ULong(string key)
        {
            var s = Scalar(key, "a non-negative integer");
            if (s is null) return null;
            if (!ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v))
                throw new TrainConfigException(At(key, $"must be a non-negative integer, got '{s}'"));
            return v;
        }

        public bool? Bool(string key)
        {
            var s = Scalar(key, "true or false");
            if (s is null) return null;
            return s switch
            {
                "true" or "True" or "yes" => true,
                "false" or "False" or "no" => false,
                _ => throw new TrainConfigException(At(key, $"must be true or false, got '{s}'")),
            };
        }

        public int[]? IntList(string key)
        {
            var v = Node(key);
            if (v is null) return null;
            if (v is not YamlSequenceNode seq) throw Type(key, v, "a list of integers");
            var result = new int[seq.Children.Count];
            for (int i = 0; i < result.Length; i++)
            {
                if (seq.Children[i] is not YamlScalarNode s || !int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]))
                    throw new TrainConfigException($"{source}:{LineOf(seq.Children[i])}: {Key(key)}[{i}] must be an integer, got {Describe(seq.Children[i])}");
            }
            return result;
        }
    }
}
