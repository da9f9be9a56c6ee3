using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gradscope.Tensors;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Sweeps;

/// <summary>Expands a sweep file into points: (grid cartesian product, last axis fastest) x (random samples) x (seeds),
/// each point's config = the base config with the dotted keys replaced.</summary>
public static class SweepExpander
{
    /// <summary>All points in index order. Random values come from <see cref="Rng"/> seeded with random.seed, drawn per
    /// grid point and sample in axis order, so the expansion is deterministic.</summary>
    public static IReadOnlyList<SweepPoint> Expand(SweepFile sweep)
    {
        var points = new List<SweepPoint>();
        var rng = new Rng(sweep.RandomSeed);
        var counts = sweep.Grid.Select(a => a.Values.Count).ToArray();
        long total = counts.Aggregate(1L, (p, c) => p * c);
        var seeds = sweep.Seeds.Count > 0 ? sweep.Seeds.Select(s => (long?)s).ToArray() : [null];
        var digits = new int[counts.Length];
        for (long g = 0; g < total; g++)
        {
            long rest = g;
            for (int a = counts.Length - 1; a >= 0; a--) { digits[a] = (int)(rest % counts[a]); rest /= counts[a]; }
            for (int s = 0; s < (sweep.Random.Count > 0 ? sweep.Samples : 1); s++)
            {
                var hp = new Dictionary<string, string>();
                var assignments = new List<(string Key, YamlNode Value)>();
                for (int a = 0; a < counts.Length; a++)
                {
                    var v = sweep.Grid[a].Values[digits[a]];
                    assignments.Add((sweep.Grid[a].Key, v));
                    hp[sweep.Grid[a].Key] = YamlTree.Label(v);
                }
                foreach (var axis in sweep.Random)
                {
                    var v = Draw(axis, rng);
                    assignments.Add((axis.Key, v));
                    hp[axis.Key] = YamlTree.Label(v);
                }
                foreach (var seed in seeds)
                {
                    var config = (YamlMappingNode)YamlTree.Clone(sweep.Base);
                    foreach (var (key, value) in assignments) YamlTree.Set(config, key, value);
                    if (seed is long sv) YamlTree.SetTopLevel(config, "seed", new YamlScalarNode(sv.ToString(CultureInfo.InvariantCulture)));
                    points.Add(new SweepPoint(points.Count, Hash(config), YamlTree.ToYaml(config), hp, seed));
                }
            }
        }
        return points;
    }

    /// <summary>SHA-256 (lower-case hex) of the canonical JSON of a config (<see cref="YamlTree.ToCanonicalJson"/>).</summary>
    public static string Hash(YamlMappingNode config) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(YamlTree.ToCanonicalJson(config))));

    static YamlNode Draw(RandomAxis axis, Rng rng)
    {
        double u = rng.NextDouble();
        return axis.Dist switch
        {
            RandomDistribution.Uniform => Number(axis.Low + (axis.High - axis.Low) * u),
            RandomDistribution.LogUniform => Number(Math.Exp(Math.Log(axis.Low) + (Math.Log(axis.High) - Math.Log(axis.Low)) * u)),
            _ => axis.Values[Math.Min((int)(u * axis.Values.Count), axis.Values.Count - 1)],
        };
    }

    static YamlScalarNode Number(double x) => new(x.ToString("R", CultureInfo.InvariantCulture));
}
