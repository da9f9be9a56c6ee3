namespace Gradscope.Sweeps;

/// <summary>One expanded point: its index, config hash (SHA-256 hex of the canonical JSON of its config),
/// config YAML text, and the hyperparameter values that distinguish it (dotted key -> label; the seed is separate).</summary>
public sealed record SweepPoint(int Index, string Hash, string ConfigYaml, IReadOnlyDictionary<string, string> Hyperparameters, long? Seed)
{
    /// <summary>Directory name below <c>points/</c>: "&lt;index&gt;-&lt;first 8 hex digits of the hash&gt;".</summary>
    public string DirectoryName => $"{Index:D4}-{Hash[..8]}";
}
