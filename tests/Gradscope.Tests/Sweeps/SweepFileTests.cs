using System.Security.Cryptography;
using System.Text;
using Gradscope.Sweeps;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Tests.Sweeps;

public class SweepFileTests
{
    [Fact]
    public void GridTimesSeedsIsTheCartesianProductWithTheLastAxisFastest()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var sweep = SweepFile.Load(t.Write("s.yaml", """
            base: base.yaml
            grid:
              model.width: [4, 16, 32]
              algorithm.eta: [0.5, 0.05]
            seeds: [7, 9]
            """));
        var points = SweepExpander.Expand(sweep);
        Assert.Equal(3 * 2 * 2, points.Count);
        var expected = new List<(string W, string E, long S)>();
        foreach (var w in new[] { "4", "16", "32" }) foreach (var e in new[] { "0.5", "0.05" }) foreach (var s in new long[] { 7, 9 }) expected.Add((w, e, s));
        for (int i = 0; i < points.Count; i++)
        {
            Assert.Equal(i, points[i].Index);
            Assert.Equal(expected[i].W, points[i].Hyperparameters["model.width"]);
            Assert.Equal(expected[i].E, points[i].Hyperparameters["algorithm.eta"]);
            Assert.Equal(expected[i].S, points[i].Seed);
            var cfg = YamlTree.LoadMapping(points[i].ConfigYaml, "point");
            Assert.Equal(expected[i].W, ((YamlScalarNode)((YamlMappingNode)cfg["model"])["width"]).Value);
            Assert.Equal("2", ((YamlScalarNode)((YamlMappingNode)cfg["model"])["depth"]).Value);
            Assert.Equal(expected[i].S.ToString(), ((YamlScalarNode)cfg["seed"]).Value);
        }
        Assert.Equal(points.Count, points.Select(p => p.Hash).Distinct().Count());
    }

    [Fact]
    public void ConfigHashIsSha256OfSortedKeyJson()
    {
        // Independent: the canonical JSON written by hand (keys sorted, numbers typed).
        var cfg = YamlTree.LoadMapping("seed: 3\nmodel: {width: 8, name: 'mlp'}\nflag: true\n", "t");
        const string json = "{\"flag\":true,\"model\":{\"name\":\"mlp\",\"width\":8},\"seed\":3}";
        Assert.Equal(json, YamlTree.ToCanonicalJson(cfg));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json))), SweepExpander.Hash(cfg));
        var reordered = YamlTree.LoadMapping("flag: true\nmodel:\n  name: mlp\n  width: 8\nseed: 3\n", "t");
        Assert.Equal(json, YamlTree.ToCanonicalJson(reordered));
    }

    [Fact]
    public void RandomSearchDrawsWithinBoundsAndIsDeterministic()
    {
        using var t = new SweepTestFiles();
        var text = """
            base:
              algorithm: {eta: 0.1, wd: 0.0}
              model: {act: relu}
            random:
              samples: 50
              seed: 11
              algorithm.eta: {dist: loguniform, low: 0.001, high: 1}
              algorithm.wd: {dist: uniform, low: -1, high: 2}
              model.act: {dist: choice, values: [relu, linear]}
            """;
        var a = SweepExpander.Expand(SweepFile.Load(t.Write("r.yaml", text)));
        var b = SweepExpander.Expand(SweepFile.Load(t.Write("r2.yaml", text)));
        Assert.Equal(50, a.Count);
        Assert.Equal(a.Select(p => p.Hash), b.Select(p => p.Hash));
        foreach (var p in a)
        {
            double eta = double.Parse(p.Hyperparameters["algorithm.eta"], System.Globalization.CultureInfo.InvariantCulture);
            double wd = double.Parse(p.Hyperparameters["algorithm.wd"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(eta, 0.001, 1); Assert.InRange(wd, -1, 2);
            Assert.Contains(p.Hyperparameters["model.act"], new[] { "relu", "linear" });
        }
        // loguniform on [1e-3, 1]: about a third of the draws below 1e-2.
        Assert.InRange(a.Count(p => double.Parse(p.Hyperparameters["algorithm.eta"], System.Globalization.CultureInfo.InvariantCulture) < 0.01), 5, 30);
    }

    [Theory]
    [InlineData("grid:\n  model.heigth: [1, 2]\n", "model.heigth", ":3")]
    [InlineData("grid:\n  model.width: []\n", "empty", ":3")]
    [InlineData("grid:\n  model.width: 8\n", "must be a list", ":3")]
    [InlineData("grid:\n  model: [1]\n  nosuch.key: [1]\n", "nosuch.key", ":4")]
    [InlineData("gird:\n  model.width: [1]\n", "gird: unknown key 'gird' at the top level", ":2")]
    [InlineData("random:\n  samples: 3\n  algorithm.eta: {dist: loguniform, low: 0, high: 1}\n", "low > 0", ":4")]
    // 2 x 1e9 points would be expanded in memory (16 GB) before anything refused them
    [InlineData("grid:\n  model.width: [1, 2]\nreplicates: 1000000000\n", "would have 2000000000 points (grid 2 x random samples 1 x seeds 1000000000); at most 1,000,000", ":4")]
    public void BadSweepFilesNameTheKeyAndLine(string body, string expected, string line)
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var path = t.Write("bad.yaml", "base: base.yaml\n" + body);
        var e = Assert.Throws<SweepException>(() => SweepFile.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path + line, e.Message);
    }

    // The one config-error format of YamlSection ("file:line: dotted.key: message"), the expected texts written out by
    // hand: an unknown key lists the keys its section knows, a wrong type names the value, and the line is the key's.
    [Theory]
    [InlineData("gird:\n  model.width: [1]\n", 2, "gird: unknown key 'gird' at the top level (known: base, chunk, grid, random, replicates, resources, seeds)")]
    [InlineData("resources: {cpus: 2, gpus: 1}\n", 2, "resources.gpus: unknown key 'gpus' in section resources (known: cpus, mem, partition, time)")]
    [InlineData("random:\n  samples: 2\n  algorithm.eta:\n    dist: uniform\n    low: 0\n    hgh: 1\n", 7, "random.algorithm.eta.hgh: unknown key 'hgh' in section random.algorithm.eta (known: dist, high, low)")]
    [InlineData("random:\n  samples: 2\n  algorithm.eta: {dist: choice, values: [1], low: 0}\n", 4, "random.algorithm.eta.low: unknown key 'low' in section random.algorithm.eta (known: dist, values)")]
    [InlineData("random:\n  samples: 2\n  algorithm.eta: {dist: normal, low: 0, high: 1}\n", 4, "random.algorithm.eta.dist: must be one of uniform, loguniform, choice, got 'normal'")]
    [InlineData("random:\n  samples: 2\n  algorithm.eta: {dist: uniform, low: 1, high: 1}\n", 4, "random.algorithm.eta.high: must be greater than low, got low=1, high=1")]
    [InlineData("random:\n  samples: 2\n  algorithm.eta: {dist: uniform, low: zero, high: 1}\n", 4, "random.algorithm.eta.low: must be a number, got 'zero'")]
    [InlineData("random:\n  samples: 0\n  algorithm.eta: {dist: uniform, low: 0, high: 1}\n", 3, "random.samples: must be >= 1, got 0")]
    [InlineData("random:\n  algorithm.eta: {dist: uniform, low: 0, high: 1}\n", 2, "random: missing key 'samples'")]
    [InlineData("random:\n  samples: 2\n  seed: -1\n  algorithm.eta: {dist: uniform, low: 0, high: 1}\n", 4, "random.seed: must be a non-negative integer, got '-1'")]
    [InlineData("chunk: many\n", 2, "chunk: must be an integer, got 'many'")]
    [InlineData("chunk: 0\n", 2, "chunk: must be >= 1, got 0")]
    [InlineData("seeds: [1, x]\n", 2, "seeds[1]: must be an integer, got 'x'")]
    [InlineData("seeds: 3\n", 2, "seeds: must be a list of integers, got '3'")]
    [InlineData("seeds: [1]\nreplicates: 2\n", 3, "replicates: give either 'seeds' or 'replicates', not both")]
    [InlineData("resources: {cpus: [1]}\n", 2, "resources.cpus: must be an integer, got a list")]
    [InlineData("grid: [model.width]\n", 2, "grid: must be a mapping of dotted config keys to lists of values, got a list")]
    [InlineData("grid:\n  algorithm.steps: [1, 2]\n", 3, "grid.algorithm.steps: key 'algorithm.steps' does not exist in the base config ('algorithm' has: eta)")]
    [InlineData("grid:\n  optimizer.eta: [1, 2]\n", 3, "grid.optimizer.eta: key 'optimizer.eta' does not exist in the base config (the top level has: algorithm, model, seed)")]
    [InlineData("grid:\n  model.width.x: [1, 2]\n", 3, "grid.model.width.x: key 'model.width.x' does not exist in the base config ('model.width' is the value '8', which has no key 'x')")]
    [InlineData("grid:\n  model.width: ~\n", 3, "grid.model.width: must be a list of values (one per point), got nothing")]
    public void SweepErrorsHaveTheOneConfigErrorFormat(string body, int line, string expected)
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var path = t.Write("bad.yaml", "base: base.yaml\n" + body);
        var e = Assert.Throws<SweepException>(() => SweepFile.Load(path));
        Assert.StartsWith($"{path}:{line}: {expected}", e.Message);
    }

    [Fact]
    public void AMissingBaseAndABaseFileNotFoundAreNamed()
    {
        using var t = new SweepTestFiles();
        var none = t.Write("none.yaml", "grid:\n  a: [1]\n");
        Assert.StartsWith($"{none}:1: missing key 'base'", Assert.Throws<SweepException>(() => SweepFile.Load(none)).Message);
        var missing = t.Write("missing.yaml", "seeds: [1]\nbase: nowhere.yaml\n");
        Assert.StartsWith($"{missing}:2: base: base config '{Path.Combine(t.Root, "nowhere.yaml")}' not found", Assert.Throws<SweepException>(() => SweepFile.Load(missing)).Message);
    }

    [Fact]
    public void AGridAxisMayIndexAListLikeAnOverride()
    {
        using var t = new SweepTestFiles();
        var sweep = SweepFile.Load(t.Write("s.yaml", "base:\n  model: {widths: [4, 6, 1]}\ngrid:\n  model.widths.1: [8, 16]\n"));
        var points = SweepExpander.Expand(sweep);
        Assert.Equal(["[4, 8, 1]", "[4, 16, 1]"], points.Select(p =>
        {
            var widths = (YamlSequenceNode)((YamlMappingNode)YamlTree.LoadMapping(p.ConfigYaml, "point")["model"])["widths"];
            return "[" + string.Join(", ", widths.Children.Select(c => ((YamlScalarNode)c).Value)) + "]";
        }));
        var bad = t.Write("b.yaml", "base:\n  model: {widths: [4, 6, 1]}\ngrid:\n  model.widths.3: [8]\n");
        Assert.StartsWith($"{bad}:4: grid.model.widths.3: key 'model.widths.3' does not exist in the base config ('model.widths' is a list of 3 items)",
            Assert.Throws<SweepException>(() => SweepFile.Load(bad)).Message);
    }

    [Fact]
    public void ADirectoryOfAnotherSweepIsRefusedWithoutWriting()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var a = SweepFile.Load(t.Write("a.yaml", "base: base.yaml\ngrid:\n  model.width: [1, 2]\n"));
        var b = SweepFile.Load(t.Write("b.yaml", "base: base.yaml\ngrid:\n  model.width: [1, 3]\n"));
        var dir = Path.Combine(t.Root, "out");
        using (var ix = SweepDirectory.CreateOrOpen(a, dir, 1, 30)) Assert.Equal(2, ix.Counts()[PointStatus.Pending]);
        var before = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var e = Assert.Throws<SweepException>(() => SweepDirectory.CreateOrOpen(b, dir, 1, 30));
        Assert.Contains("different sweep file", e.Message);
        var after = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.True(File.Exists(Path.Combine(dir, "points", "0001-" + SweepExpander.Expand(a)[1].Hash[..8], "config.yaml")));
    }
}
