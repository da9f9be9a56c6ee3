using Gradscope.IO;
using Gradscope.Nn;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Training;

/// <summary>
/// Reads a <see cref="TrainConfig"/> from YAML through <see cref="YamlSection"/> (so every error names where and
/// which key): unknown keys, wrong types and impossible values throw <see cref="TrainConfigException"/> as
/// "config.yaml:12: algorithm.eta: must be &gt; 0, got -1". Command-line overrides (<see cref="ConfigOverride"/>)
/// are applied to the tree before it is read, so they are judged like lines of the file. Every default is the
/// config record's own (<see cref="InitConfig"/>, <see cref="AlgorithmConfig"/>, ...).
/// </summary>
public static class TrainConfigYaml
{
    /// <summary>
    /// Reads and validates the config file at <paramref name="path"/>, with <paramref name="overrides"/> applied. Relative
    /// data file paths (<c>data.train</c>, <c>data.test</c>) are made absolute against the file's directory
    /// (<see cref="DataConfig.ResolveFiles"/>), so the config reads the same data from any working directory.
    /// </summary>
    public static TrainConfig Load(string path, IReadOnlyList<ConfigOverride>? overrides = null)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new TrainConfigException($"{path}: cannot read the config: {e.Message}"); }
        return Parse(text, path, overrides, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>Parses and validates YAML text; <paramref name="source"/> names it in errors.</summary>
    /// <param name="yaml">The config text.</param>
    /// <param name="source">Names the text in errors.</param>
    /// <param name="overrides">Command-line overrides, applied before the tree is read.</param>
    /// <param name="baseDirectory">When given, relative data file paths are made absolute against it (the config file's directory).</param>
    public static TrainConfig Parse(string yaml, string source = "config.yaml", IReadOnlyList<ConfigOverride>? overrides = null, string? baseDirectory = null)
    {
        var stream = YamlInput.Load(yaml, (line, what) => new TrainConfigException($"{source}:{line}: {what}"));
        if (stream.Documents.Count == 0) throw new TrainConfigException($"{source}: the config is empty.");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new TrainConfigException($"{source}:{stream.Documents[0].RootNode.Start.Line}: the config must be a mapping of keys (seed, model, data, ...).");
        var c = Read(root, new YamlOrigins(source), overrides);
        return baseDirectory is null ? c : c with { Data = c.Data.ResolveFiles(baseDirectory) };
    }

    /// <summary>
    /// Reads and validates a config tree (a file's, or one embedded in a claim definition); <paramref name="overrides"/>
    /// are applied to <paramref name="root"/> first (it is changed).
    /// </summary>
    /// <exception cref="TrainConfigException">An override that cannot apply, an unknown key, a wrong type or an impossible value.</exception>
    public static TrainConfig Read(YamlMappingNode root, YamlOrigins origins, IReadOnlyList<ConfigOverride>? overrides = null)
    {
        try { ConfigOverride.ApplyAll(root, origins, overrides ?? []); }
        catch (ArgumentException e) { throw new TrainConfigException(e.Message); }
        var lines = new Dictionary<string, string>();
        var r = new YamlSection(origins, "", root, m => new TrainConfigException(m), lines);
        var d = new TrainConfig();
        var c = new TrainConfig
        {
            Source = origins.Source,
            Locations = lines,
            Seed = r.ULong("seed") ?? d.Seed,
            DType = r.Enum("dtype", TrainConfig.DTypes) ?? d.DType,
            Threads = r.Int("threads") ?? d.Threads,
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

    private static ModelConfig ReadModel(YamlSection s)
    {
        MlpConfig? mlp = null;
        if (s.Map("mlp") is { } m)
        {
            var dm = new MlpConfig();
            mlp = new MlpConfig { Widths = m.IntList("widths") ?? throw m.Missing("widths"), Activation = m.Enum("activation", MlpConfig.Activations) ?? dm.Activation, Bias = m.Bool("bias") ?? dm.Bias };
            m.RejectUnknown();
        }
        List<LayerConfig>? layers = null;
        if (s.List("layers", "a list of layers") is { } seq)
        {
            layers = [];
            for (int i = 0; i < seq.Children.Count; i++) layers.Add(ReadLayer(s, i, seq.Children[i]));
        }
        var input = s.IntList("input");
        var init = new InitConfig();
        if (s.Map("init") is { } im)
        {
            init = new InitConfig
            {
                Scheme = im.Enum("scheme", InitConfig.Schemes) ?? init.Scheme,
                Scale = im.Double("scale") ?? init.Scale,
                Std = im.Double("std") ?? init.Std,
            };
            im.RejectUnknown();
        }
        s.RejectUnknown();
        if (mlp is null && layers is null) throw s.Missing("mlp' or 'layers");
        if (mlp is not null && layers is not null) throw s.Error("layers", "cannot be combined with model.mlp; give one of them");
        return new ModelConfig { Mlp = mlp, Layers = layers, Input = input, Init = init };
    }

    // A layer is "relu", {dense: {out: 10}} or {type: dense, out: 10}. The kinds of the model description format are read
    // here by its one layer reader (ModelSpec.ReadLayer), so a bad value is named at its line as model.layers[i].key;
    // dense/relu/identity and kinds registered by a library are checked when the model is built (TrainerModels).
    private static LayerConfig ReadLayer(YamlSection model, int index, YamlNode node)
    {
        string key = $"layers[{index}]";
        model.Locations[model.Key(key)] = model.Origins.Of(node);
        if (node is YamlScalarNode sc)
        {
            string name = sc.Value ?? "";
            if (TrainerModels.IsSpecKind(name)) ModelSpec.ReadLayer(model.Item("layers", index, Located(new YamlMappingNode(), node, model.Origins)), name, "", (int)node.Start.Line);
            return new LayerConfig(name);
        }
        if (node is not YamlMappingNode map) throw model.Type(key, node, "a layer name or mapping");
        var ps = new Dictionary<string, string>();
        string? kind = null;
        YamlSection? parameters = null; // the mapping holding the layer's parameters, for its reader
        if (map.Children.Count == 1 && map.Children.First().Value is YamlMappingNode or YamlScalarNode { Value: null or "" } && ((YamlScalarNode)map.Children.First().Key).Value != "type")
        {
            var (k, v) = map.Children.First();
            kind = ((YamlScalarNode)k).Value;
            var inner = v as YamlMappingNode ?? Located(new YamlMappingNode(), node, model.Origins);
            if (v is YamlMappingNode) Scalars(model.Item("layers", index, inner), ps);
            parameters = model.Item("layers", index, inner);
        }
        else
        {
            Scalars(model.Item("layers", index, map), ps);
            if (!ps.Remove("type", out kind)) throw model.Error(key, "needs 'type' (e.g. {type: dense, out: 10}) or the form {dense: {out: 10}}");
            parameters = model.Item("layers", index, map);
            parameters.Node("type");
        }
        if (ps.ContainsKey("key")) throw parameters.Error("key", "is not supported in run configs (parameters are named by layer index)");
        if (TrainerModels.IsSpecKind(kind ?? "")) ModelSpec.ReadLayer(parameters, kind!, "", (int)node.Start.Line);
        return new LayerConfig(kind ?? "", ps);
    }

    // An empty mapping standing for a layer written without parameters, located at the layer.
    private static YamlMappingNode Located(YamlMappingNode empty, YamlNode at, YamlOrigins origins)
    {
        origins.MarkOne(empty, origins.Of(at));
        return empty;
    }

    // The keys of a mapping whose reader comes later (layer, generator and algorithm parameters), as strings with their locations.
    private static void Scalars(YamlSection section, Dictionary<string, string> into, IEnumerable<string>? only = null)
    {
        foreach (string name in only ?? section.Mapping.Children.Keys.Select(k => (k as YamlScalarNode)?.Value ?? "").ToList())
        {
            var v = section.Node(name);
            into[name] = v switch
            {
                null => "",
                YamlScalarNode sc => sc.Value ?? "",
                YamlSequenceNode q when q.Children.All(c => c is YamlScalarNode) => "[" + string.Join(", ", q.Children.Select(c => ((YamlScalarNode)c).Value)) + "]",
                _ => throw section.Type(name, v, "a scalar or a list of scalars"),
            };
        }
    }

    private static DataSource ReadSource(YamlSection s, string key)
    {
        var node = s.Node(key);
        if (node is null) throw s.Missing(key);
        if (node is YamlScalarNode sc) return new DataSource(sc.Value ?? "");
        if (node is not YamlMappingNode) throw s.Type(key, node, "a dataset name or {name: generator, ...parameters}");
        var ps = new Dictionary<string, string>();
        Scalars(s.Map(key)!, ps);
        if (!ps.Remove("name", out var name)) throw s.Error(key, "needs 'name' (a dataset or generator name)");
        return new DataSource(name, ps);
    }

    private static DataConfig ReadData(YamlSection s)
    {
        var def = new DataConfig();
        var d = new DataConfig
        {
            Train = ReadSource(s, "train"),
            Test = s.Has("test") ? ReadSource(s, "test") : Skip(s, "test"),
            Standardize = s.Bool("standardize") ?? def.Standardize,
            Subsample = s.Int("subsample"),
            LabelNoise = s.Double("label_noise") ?? def.LabelNoise,
            Binary = s.IntList("binary"),
            BinarySplit = s.Int("binary_split"),
            Split = ReadSplit(s.Map("split")),
        };
        s.RejectUnknown();
        return d;
    }

    // An optional key read as absent (a null value): marks it known.
    private static DataSource? Skip(YamlSection s, string key) { s.Node(key); return null; }

    private static SplitConfig? ReadSplit(YamlSection? s)
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
            Stratified = s.Bool("stratified") ?? new SplitConfig().Stratified,
        };
        s.RejectUnknown();
        return split;
    }

    private static LossConfig ReadLoss(YamlSection? s)
    {
        var d = new LossConfig();
        if (s is null) return d;
        var l = new LossConfig
        {
            Kind = s.Enum("kind", LossConfig.Kinds) ?? d.Kind,
            TargetScale = s.Double("target_scale") ?? d.TargetScale,
        };
        s.RejectUnknown();
        return l;
    }

    private static AlgorithmConfig ReadAlgorithm(YamlSection s)
    {
        var d = new AlgorithmConfig();
        var a = new AlgorithmConfig
        {
            Name = s.String("name") ?? throw s.Missing("name"),
            Eta = s.Double("eta") ?? d.Eta,
            BatchSize = s.Int("batch_size") ?? d.BatchSize,
            WeightDecay = s.Double("weight_decay") ?? d.WeightDecay,
        };
        // Remaining keys are algorithm-specific; the algorithm factory checks them by name (TrainerOptions).
        var options = new Dictionary<string, string>();
        foreach (var k in s.UnusedKeys())
        {
            var v = s.Node(k);
            if (v is null) continue;
            if (v is not YamlScalarNode sc) throw s.Type(k, v, "a scalar");
            options[k] = sc.Value ?? "";
        }
        return a with { Options = options };
    }

    private static ScheduleConfig ReadSchedule(YamlSection? s)
    {
        var d = new ScheduleConfig();
        if (s is null) return d;
        string? kind = s.Enum("kind", ScheduleConfig.Kinds.Keys.ToList());
        var c = new ScheduleConfig
        {
            Kind = kind is null ? d.Kind : ScheduleConfig.Kinds[kind],
            Factor = s.Double("factor") ?? d.Factor,
            Every = s.Long("every") ?? d.Every,
            Total = s.Long("total"),
            MinEta = s.Double("min_eta") ?? d.MinEta,
        };
        s.RejectUnknown();
        return c;
    }

    private static StoppingRules ReadStop(YamlSection s)
    {
        var r = new StoppingRules
        {
            Steps = s.Long("steps"),
            Time = s.Double("time"),
            Loss = s.Double("loss"),
            TrainAccuracy = s.Double("train_acc"),
            Margin = s.Double("margin"),
            Gamma = s.Double("gamma"),
            CheckEvery = s.Long("check_every") ?? new StoppingRules().CheckEvery,
        };
        s.RejectUnknown();
        return r;
    }

    private static ProbeConfig ReadProbes(YamlSection? s)
    {
        var d = new ProbeConfig();
        if (s is null) return d;
        int perDecade;
        if (s.Node("log_spaced") is YamlMappingNode)
        {
            var m = s.Map("log_spaced")!;
            perDecade = m.Int("per_decade") ?? throw m.Missing("per_decade");
            m.RejectUnknown();
        }
        else perDecade = s.Int("log_spaced") ?? d.PerDecade;
        var p = new ProbeConfig
        {
            Every = s.Long("every") ?? d.Every,
            PerDecade = perDecade,
            CheckpointEvery = s.Long("checkpoint_every") ?? d.CheckpointEvery,
            KeepCheckpoints = s.Bool("keep_checkpoints") ?? d.KeepCheckpoints,
            Measures = ReadProbeMeasures(s),
        };
        if (s.Map("measure_every") is { } me)
        {
            var every = new Dictionary<string, long>(); var at = new Dictionary<string, string>();
            foreach (var k in me.UnusedKeys())
            {
                long v = me.Long(k, min: 1)!.Value;
                every[k] = v; at[k] = $"{me.Locations[me.Key(k)]}: {me.Key(k)}";
            }
            p = p with { MeasureEvery = every, MeasureEveryAt = at };
        }
        s.RejectUnknown();
        return p;
    }

    // probes.measures: a list of names/globs or {name, every} mappings.
    private static IReadOnlyList<ProbeMeasure> ReadProbeMeasures(YamlSection s)
    {
        var seq = s.List("measures", "a list of measure names or globs (gradscope measures)");
        if (seq is null) return [];
        var list = new List<ProbeMeasure>();
        for (int i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            string where = $"{s.Origins.Of(item)}: {s.Key("measures")}[{i}]";
            if (item is YamlScalarNode { Value: { Length: > 0 } name }) { list.Add(new ProbeMeasure(name, null, where)); continue; }
            if (item is YamlMappingNode)
            {
                var m = s.Item("measures", i, (YamlMappingNode)item);
                string n = m.String("name") ?? throw m.Missing("name");
                long? every = m.Long("every", min: 1);
                m.RejectUnknown();
                list.Add(new ProbeMeasure(n, every, where));
                continue;
            }
            throw new TrainConfigException($"{where}: must be a measure name or glob, or {{name: ..., every: N}}");
        }
        return list;
    }
}
