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

    static readonly string[] TopKeys = ["base", "grid", "random", "seeds", "replicates", "resources", "chunk"];

    /// <summary>Reads and validates a sweep file.</summary>
    /// <exception cref="SweepException">Missing file, unknown key, empty or non-list axis, a key absent from the base
    /// config (message: sweep file, line and key), bad distribution parameters.</exception>
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
        string Where(YamlNode n) => $"{path}:{n.Start.Line}";

        foreach (var (k, v) in root.Children)
        {
            var name = ((YamlScalarNode)k).Value ?? "";
            if (!TopKeys.Contains(name))
                throw new SweepException($"{Where(k)}: unknown sweep key '{name}' (expected one of {string.Join(", ", TopKeys)})");
        }

        YamlNode? Get(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        var baseNode = Get("base") ?? throw new SweepException($"{path}: missing 'base' (a train config path or an inline mapping)");
        YamlMappingNode baseConfig;
        if (baseNode is YamlScalarNode bs)
        {
            var basePath = System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, bs.Value ?? ""));
            if (!File.Exists(basePath)) throw new SweepException($"{Where(bs)}: base config '{basePath}' not found");
            var baseText = File.ReadAllText(basePath);
            hash.Append('\0').Append(baseText);
            baseConfig = YamlTree.LoadMapping(baseText, basePath);
        }
        else if (baseNode is YamlMappingNode bm) baseConfig = (YamlMappingNode)YamlTree.Clone(bm);
        else throw new SweepException($"{Where(baseNode)}: 'base' must be a path or a mapping");
        if (overrides is { Count: > 0 }) ApplyOverrides(baseConfig, baseNode is YamlScalarNode b ? b.Value ?? path : path, overrides, hash);

        var grid = new List<GridAxis>();
        if (Get("grid") is { } g)
        {
            if (g is not YamlMappingNode gm) throw new SweepException($"{Where(g)}: 'grid' must map dotted keys to lists");
            foreach (var (k, v) in gm.Children)
            {
                var key = ((YamlScalarNode)k).Value ?? "";
                CheckKey(baseConfig, key, Where(k));
                if (v is not YamlSequenceNode seq) throw new SweepException($"{Where(k)}: grid axis '{key}' must be a list of values, got {v.NodeType}");
                if (seq.Children.Count == 0) throw new SweepException($"{Where(k)}: grid axis '{key}' is empty");
                grid.Add(new GridAxis(key, seq.Children.ToList(), (int)k.Start.Line));
            }
        }

        var random = new List<RandomAxis>();
        int samples = 1; ulong randomSeed = 0;
        if (Get("random") is { } r)
        {
            if (r is not YamlMappingNode rm) throw new SweepException($"{Where(r)}: 'random' must be a mapping");
            bool hasSamples = false;
            foreach (var (k, v) in rm.Children)
            {
                var key = ((YamlScalarNode)k).Value ?? "";
                if (key == "samples") { samples = Int(v, Where(v), "random.samples"); hasSamples = true; continue; }
                if (key == "seed") { randomSeed = (ulong)Int(v, Where(v), "random.seed"); continue; }
                CheckKey(baseConfig, key, Where(k));
                random.Add(ParseRandom(key, v, Where(k), (int)k.Start.Line));
            }
            if (!hasSamples) throw new SweepException($"{Where(r)}: 'random' needs 'samples: N'");
            if (samples < 1) throw new SweepException($"{Where(r)}: random.samples must be >= 1, got {samples}");
            if (random.Count == 0) throw new SweepException($"{Where(r)}: 'random' declares no axis");
        }

        var seeds = new List<long>();
        if (Get("seeds") is { } sd)
        {
            if (sd is not YamlSequenceNode sq) throw new SweepException($"{Where(sd)}: 'seeds' must be a list of integers");
            if (sq.Children.Count == 0) throw new SweepException($"{Where(sd)}: 'seeds' is empty");
            seeds.AddRange(sq.Children.Select(c => (long)Int(c, Where(c), "seeds")));
        }
        CheckPointCount(grid, samples, Math.Max(1, seeds.Count), path);
        if (Get("replicates") is { } rep)
        {
            if (seeds.Count > 0) throw new SweepException($"{Where(rep)}: give either 'seeds' or 'replicates', not both");
            int n = Int(rep, Where(rep), "replicates");
            if (n < 1) throw new SweepException($"{Where(rep)}: replicates must be >= 1, got {n}");
            CheckPointCount(grid, samples, n, Where(rep));
            long baseSeed = baseConfig.Children.TryGetValue(new YamlScalarNode("seed"), out var bsd) && bsd is YamlScalarNode bss
                && long.TryParse(bss.Value, CultureInfo.InvariantCulture, out var b) ? b : 0;
            for (int i = 0; i < n; i++) seeds.Add(baseSeed + i);
        }

        var resources = new SlurmResources(null, null, null, null);
        if (Get("resources") is { } res)
        {
            if (res is not YamlMappingNode resm) throw new SweepException($"{Where(res)}: 'resources' must be a mapping");
            int? cpus = null; string? mem = null, time = null, partition = null;
            foreach (var (k, v) in resm.Children)
            {
                var key = ((YamlScalarNode)k).Value;
                var val = (v as YamlScalarNode)?.Value ?? throw new SweepException($"{Where(v)}: resources.{key} must be a scalar");
                switch (key)
                {
                    case "cpus": cpus = Int(v, Where(v), "resources.cpus"); break;
                    case "mem": mem = val; break;
                    case "time": time = val; break;
                    case "partition": partition = val; break;
                    default: throw new SweepException($"{Where(k)}: unknown resource '{key}' (expected cpus, mem, time, partition)");
                }
            }
            resources = new SlurmResources(cpus, mem, time, partition);
        }
        int chunk = Get("chunk") is { } ch ? Int(ch, Where(ch), "chunk") : 1;
        if (chunk < 1) throw new SweepException($"{path}: chunk must be >= 1, got {chunk}");

        return new SweepFile
        {
            Path = path,
            Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hash.ToString()))),
            Base = baseConfig, Grid = grid, Random = random, Samples = samples, RandomSeed = randomSeed,
            Seeds = seeds, Resources = resources, Chunk = chunk,
        };
    }

    /// <summary>The most points one sweep may expand to: a million run directories is past any use, and a count such as
    /// <c>replicates: 1000000000</c> would otherwise be expanded in memory before anything could refuse it.</summary>
    public const long MaxPoints = 1_000_000;

    // Refuses a sweep whose grid x random samples x seeds product exceeds MaxPoints (checked before any expansion).
    private static void CheckPointCount(List<GridAxis> grid, int samples, long seeds, string where)
    {
        double points = grid.Aggregate(1.0, (p, a) => p * a.Values.Count) * samples * seeds;
        if (points > MaxPoints)
            throw new SweepException($"{where}: the sweep would have {points:0} points (grid {string.Join(" x ", grid.Select(a => a.Values.Count).DefaultIfEmpty(1))} x random samples {samples} x seeds {seeds}); at most {MaxPoints:N0} are allowed");
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

    static void CheckKey(YamlMappingNode baseConfig, string key, string where)
    {
        if (!YamlTree.Contains(baseConfig, key))
            throw new SweepException($"{where}: key '{key}' does not exist in the base config");
    }

    static RandomAxis ParseRandom(string key, YamlNode v, string where, int line)
    {
        if (v is not YamlMappingNode m) throw new SweepException($"{where}: random axis '{key}' must be a mapping {{dist, low, high}} or {{dist: choice, values}}");
        string? Scalar(string k) => m.Children.TryGetValue(new YamlScalarNode(k), out var n) ? (n as YamlScalarNode)?.Value : null;
        var dist = Scalar("dist") switch
        {
            "uniform" => RandomDistribution.Uniform,
            "loguniform" => RandomDistribution.LogUniform,
            "choice" => RandomDistribution.Choice,
            var d => throw new SweepException($"{where}: random axis '{key}': dist must be uniform, loguniform or choice, got '{d}'"),
        };
        if (dist == RandomDistribution.Choice)
        {
            if (!m.Children.TryGetValue(new YamlScalarNode("values"), out var vals) || vals is not YamlSequenceNode vs)
                throw new SweepException($"{where}: random axis '{key}': choice needs 'values' as a list");
            if (vs.Children.Count == 0) throw new SweepException($"{where}: random axis '{key}': 'values' is empty");
            return new RandomAxis(key, dist, 0, 0, vs.Children.ToList(), line);
        }
        double Num(string k) => double.TryParse(Scalar(k), NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
            ? x : throw new SweepException($"{where}: random axis '{key}': '{k}' must be a number, got '{Scalar(k)}'");
        double low = Num("low"), high = Num("high");
        if (!(low < high)) throw new SweepException($"{where}: random axis '{key}': need low < high, got low={low}, high={high}");
        if (dist == RandomDistribution.LogUniform && low <= 0) throw new SweepException($"{where}: random axis '{key}': loguniform needs low > 0, got {low}");
        return new RandomAxis(key, dist, low, high, [], line);
    }

    static int Int(YamlNode n, string where, string what) =>
        n is YamlScalarNode s && int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
            ? i : throw new SweepException($"{where}: {what} must be an integer, got '{(n as YamlScalarNode)?.Value ?? n.NodeType.ToString()}'");
}
