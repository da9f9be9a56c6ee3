using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Sweeps;

/// <summary>
/// A parsed sweep file: <c>base</c> (path to a train config relative to the sweep file, or an inline mapping),
/// <c>grid</c> (dotted key -> list, cartesian product), <c>random</c> (dotted key -> {dist, low, high, values},
/// plus <c>samples</c> and <c>seed</c>), <c>seeds</c> (list) or <c>replicates</c> (count), <c>resources</c>
/// (cpus, mem, time, partition) and <c>chunk</c> (points per Slurm task).
/// </summary>
public sealed class SweepFile
{
    /// <summary>Absolute path of the sweep file.</summary>
    public required string Path { get; init; }
    /// <summary>SHA-256 (hex) of the sweep file bytes followed by the base config bytes when the base is a file.</summary>
    public required string Hash { get; init; }
    /// <summary>The base train config.</summary>
    public required YamlMappingNode Base { get; init; }
    /// <summary>Grid axes in file order (the last varies fastest).</summary>
    public required IReadOnlyList<GridAxis> Grid { get; init; }
    /// <summary>Random axes.</summary>
    public required IReadOnlyList<RandomAxis> Random { get; init; }
    /// <summary>Random samples per grid point (1 when there is no random section).</summary>
    public int Samples { get; init; } = 1;
    /// <summary>Seed of the random search.</summary>
    public ulong RandomSeed { get; init; }
    /// <summary>Values of the config's <c>seed</c> key per replicate; empty = keep the base seed.</summary>
    public required IReadOnlyList<long> Seeds { get; init; }
    /// <summary>Slurm resources per task.</summary>
    public SlurmResources Resources { get; init; } = new(null, null, null, null);
    /// <summary>Points per Slurm array task.</summary>
    public int Chunk { get; init; } = 1;

    /// <summary>Reads and validates a sweep file.</summary>
    /// <exception cref="SweepException">Missing file, unknown key, empty or non-list axis, a key absent from the base
    /// config, bad distribution parameters: every message in the one config-error format of <see cref="IO.YamlSection"/>,
    /// <c>sweep.yaml:LINE: dotted.key: message</c> (an unknown key lists the known ones).</exception>
    /// <param name="path">The sweep file.</param>
    /// <param name="overrides">Command-line overrides of the base config (<c>algorithm.eta=0.1</c>), applied before the axes
    /// are checked and hashed with the file; the base with them must be a valid training config.</param>
    public static SweepFile Load(string path, IReadOnlyList<IO.ConfigOverride>? overrides = null)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path)) throw new SweepException($"sweep file '{path}' not found");
        var text = File.ReadAllText(path);
        var root = YamlTree.LoadMapping(text, path);
        var hash = new StringBuilder(text);
        var r = new IO.YamlSection(new IO.YamlOrigins(path), "", root, m => new SweepException(m));

        var (baseConfig, baseSource) = ReadBase(r, path, hash);
        if (overrides is { Count: > 0 }) ApplyOverrides(baseConfig, baseSource, overrides, hash);
        var grid = ReadGrid(r, baseConfig);
        var (random, samples, randomSeed) = ReadRandom(r, baseConfig);
        var seeds = new List<long>();
        if (r.LongList("seeds") is { } listed)
        {
            if (listed.Length == 0) throw r.Error("seeds", "must list at least one seed (or leave it out to keep the base config's seed)");
            seeds.AddRange(listed);
        }
        if (r.Int("replicates", min: 1) is int n)
        {
            if (seeds.Count > 0) throw r.Error("replicates", "give either 'seeds' or 'replicates', not both");
            CheckPointCount(r, "replicates", grid, samples, n);
            long baseSeed = baseConfig.Children.TryGetValue(new YamlScalarNode("seed"), out var bsd) && bsd is YamlScalarNode bss
                && long.TryParse(bss.Value, CultureInfo.InvariantCulture, out var b) ? b : 0;
            for (int i = 0; i < n; i++) seeds.Add(baseSeed + i);
        }
        else CheckPointCount(r, seeds.Count > 0 ? "seeds" : grid.Count > 0 ? "grid" : "random", grid, samples, Math.Max(1, seeds.Count));
        var resources = new SlurmResources(null, null, null, null);
        if (r.Map("resources") is { } res)
        {
            resources = new SlurmResources(res.Int("cpus"), res.String("mem"), res.String("time"), res.String("partition"));
            res.RejectUnknown();
        }
        int chunk = r.Int("chunk", min: 1) ?? 1;
        r.RejectUnknown();

        return new SweepFile
        {
            Path = path,
            Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hash.ToString()))),
            Base = baseConfig, Grid = grid, Random = random, Samples = samples, RandomSeed = randomSeed,
            Seeds = seeds, Resources = resources, Chunk = chunk,
        };
    }

    // base: a path relative to the sweep file (its text is hashed with the sweep's) or an inline mapping (copied).
    private static (YamlMappingNode Config, string Source) ReadBase(IO.YamlSection r, string path, StringBuilder hash)
    {
        var node = r.Node("base") ?? throw r.Missing("base", "(a train config path relative to the sweep file, or the config inline as a mapping)");
        if (node is YamlMappingNode inline) return ((YamlMappingNode)YamlTree.Clone(inline), path);
        if (node is not YamlScalarNode { Value: { Length: > 0 } relative }) throw r.Type("base", node, "a train config path or an inline mapping");
        var basePath = System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, relative));
        if (!File.Exists(basePath)) throw r.Error("base", $"base config '{basePath}' not found");
        var baseText = File.ReadAllText(basePath);
        hash.Append('\0').Append(baseText);
        return (YamlTree.LoadMapping(baseText, basePath), relative);
    }

    // grid: dotted key of the base config -> non-empty list of values.
    private static List<GridAxis> ReadGrid(IO.YamlSection r, YamlMappingNode baseConfig)
    {
        var grid = new List<GridAxis>();
        if (r.Node("grid") is not { } node) return grid;
        if (node is not YamlMappingNode) throw r.Type("grid", node, "a mapping of dotted config keys to lists of values");
        var g = r.Map("grid")!;
        foreach (var (k, v) in g.Mapping.Children)
        {
            string key = ((YamlScalarNode)k).Value ?? "";
            CheckKey(g, k, key, baseConfig);
            if (v is not YamlSequenceNode seq || IO.YamlSection.IsNull(v))
                throw g.ErrorAt(k, g.Key(key), $"must be a list of values (one per point), got {(IO.YamlSection.IsNull(v) ? "nothing" : IO.YamlSection.Describe(v))}");
            if (seq.Children.Count == 0) throw g.ErrorAt(k, g.Key(key), "must be a non-empty list of values, got an empty list");
            grid.Add(new GridAxis(key, seq.Children.ToList(), (int)k.Start.Line));
        }
        return grid;
    }

    // random: samples (required), seed, and dotted key -> distribution.
    private static (List<RandomAxis> Axes, int Samples, ulong Seed) ReadRandom(IO.YamlSection r, YamlMappingNode baseConfig)
    {
        var axes = new List<RandomAxis>();
        if (r.Node("random") is not { } node) return (axes, 1, 0);
        if (node is not YamlMappingNode) throw r.Type("random", node, "a mapping: samples, seed and dotted config keys -> distributions");
        var rs = r.Map("random")!;
        int samples = rs.Int("samples", min: 1) ?? throw rs.Missing("samples", "(random draws per grid point, e.g. samples: 4)");
        ulong seed = rs.ULong("seed") ?? 0;
        foreach (var key in rs.UnusedKeys())
        {
            var k = rs.Mapping.Children.Keys.First(n => ((YamlScalarNode)n).Value == key);
            CheckKey(rs, k, key, baseConfig);
            axes.Add(ReadRandomAxis(rs, key, (int)k.Start.Line));
        }
        if (axes.Count == 0) throw rs.ErrorAt(rs.Mapping, "random", "declares no axis (add a dotted config key with a distribution, e.g. algorithm.eta: {dist: loguniform, low: 0.01, high: 1})");
        return (axes, samples, seed);
    }

    private static RandomAxis ReadRandomAxis(IO.YamlSection rs, string key, int line)
    {
        const string shape = "a mapping {dist: uniform|loguniform, low, high} or {dist: choice, values: [...]}";
        var node = rs.Node(key);
        if (node is not YamlMappingNode) throw node is null ? rs.Error(key, $"must be {shape}, got nothing") : rs.Type(key, node, shape);
        var a = rs.Map(key)!;
        var dist = RandomAxis.Distributions[a.Enum("dist", RandomAxis.Distributions.Keys.ToList()) ?? throw a.Missing("dist", $"(one of {string.Join(", ", RandomAxis.Distributions.Keys)})")];
        RandomAxis axis;
        if (dist == RandomDistribution.Choice)
        {
            var values = a.List("values", "a list of values") ?? throw a.Missing("values", "(the list to choose from)");
            if (values.Children.Count == 0) throw a.Error("values", "must be a non-empty list, got an empty list");
            axis = new RandomAxis(key, dist, 0, 0, values.Children.ToList(), line);
        }
        else
        {
            double? lo = a.Double("low"), hi = a.Double("high");
            a.RejectUnknown(); // before the missing keys, so that a misspelt key is named as such
            double low = lo ?? throw a.Missing("low"), high = hi ?? throw a.Missing("high");
            if (!double.IsFinite(low) || !double.IsFinite(high)) throw a.Error(double.IsFinite(low) ? "high" : "low", "must be a finite number");
            if (!(low < high)) throw a.Error("high", $"must be greater than low, got low={Fmt(low)}, high={Fmt(high)}");
            if (dist == RandomDistribution.LogUniform && low <= 0) throw a.Error("low", $"loguniform needs low > 0, got {Fmt(low)}");
            axis = new RandomAxis(key, dist, low, high, [], line);
        }
        a.RejectUnknown();
        return axis;
    }

    private static string Fmt(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The most points one sweep may expand to: a million run directories is past any use, and a count such as
    /// <c>replicates: 1000000000</c> would otherwise be expanded in memory before anything could refuse it.</summary>
    public const long MaxPoints = 1_000_000;

    // Refuses a sweep whose grid x random samples x seeds product exceeds MaxPoints (checked before any expansion).
    private static void CheckPointCount(IO.YamlSection r, string key, List<GridAxis> grid, int samples, long seeds)
    {
        double points = grid.Aggregate(1.0, (p, a) => p * a.Values.Count) * samples * seeds;
        if (points > MaxPoints)
            throw r.Error(key, $"the sweep would have {points:0} points (grid {string.Join(" x ", grid.Select(a => a.Values.Count).DefaultIfEmpty(1))} x random samples {samples} x seeds {seeds}); at most {MaxPoints:N0} are allowed");
    }

    // The overrides change the base tree; a copy with them is read as a training config, so that an unknown key or a
    // wrong type fails now, named like a line of the file ("override algorithm.etaa=0.1: algorithm.etaa: unknown key ...").
    static void ApplyOverrides(YamlMappingNode baseConfig, string baseSource, IReadOnlyList<IO.ConfigOverride> overrides, StringBuilder hash)
    {
        var origins = new IO.YamlOrigins(baseSource);
        try
        {
            Training.TrainerAlgorithms.Create<double>(Training.TrainConfigYaml.Read((YamlMappingNode)IO.YamlMerge.Copy(baseConfig, origins), origins, overrides));
            IO.ConfigOverride.ApplyAll(baseConfig, new IO.YamlOrigins(baseSource), overrides);
        }
        catch (Training.TrainConfigException e) { throw new SweepException(e.Message); }
        catch (ArgumentException e) { throw new SweepException(e.Message); }
        foreach (var o in overrides) hash.Append('\0').Append("override ").Append(o.Text);
    }

    // An axis must name an existing entry of the base config: a typo would otherwise silently sweep nothing.
    private static void CheckKey(IO.YamlSection section, YamlNode keyNode, string key, YamlMappingNode baseConfig)
    {
        if (YamlTree.Absent(baseConfig, key) is { } why)
            throw section.ErrorAt(keyNode, section.Key(key), $"key '{key}' does not exist in the base config ({why})");
    }
}
