using YamlDotNet.RepresentationModel;

namespace Gradscope.Sweeps;

/// <summary>One grid axis: the dotted config key and its values, with the sweep file line that declared it.</summary>
public sealed record GridAxis(string Key, IReadOnlyList<YamlNode> Values, int Line);

/// <summary>Distribution of a random-search axis.</summary>
public enum RandomDistribution
{
    /// <summary>low + (high - low) u, u ~ U[0, 1).</summary>
    Uniform,
    /// <summary>exp(ln low + (ln high - ln low) u); needs 0 &lt; low &lt; high.</summary>
    LogUniform,
    /// <summary>One of the listed values, each with probability 1/count.</summary>
    Choice,
}

/// <summary>One random-search axis: dotted key, distribution and its parameters.</summary>
public sealed record RandomAxis(string Key, RandomDistribution Dist, double Low, double High, IReadOnlyList<YamlNode> Values, int Line)
{
    /// <summary>The distributions by their sweep-file name (<c>dist:</c>).</summary>
    public static readonly IReadOnlyDictionary<string, RandomDistribution> Distributions = new Dictionary<string, RandomDistribution>
    {
        ["uniform"] = RandomDistribution.Uniform, ["loguniform"] = RandomDistribution.LogUniform, ["choice"] = RandomDistribution.Choice,
    };
}

/// <summary>Slurm resources for one array task (any may be null = the cluster default).</summary>
public sealed record SlurmResources(int? Cpus, string? Mem, string? Time, string? Partition);
