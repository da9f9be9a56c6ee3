using System.Reflection;

namespace Gradscope.Claims;

/// <summary>The claims Gradscope reproduces: each definition (embedded YAML) with its verdict rule, in THEORY.md order.</summary>
public static class ClaimRegistry
{
    private static readonly Lazy<IReadOnlyList<(ClaimDefinition Definition, IClaimRule Rule)>> _all = new(Load);

    /// <summary>Every claim in THEORY.md section 6 order.</summary>
    public static IReadOnlyList<(ClaimDefinition Definition, IClaimRule Rule)> All => _all.Value;

    /// <summary>The claims with the given ids (all when empty); unknown ids are an error listing the known ones.</summary>
    public static IReadOnlyList<(ClaimDefinition Definition, IClaimRule Rule)> Select(IReadOnlyCollection<string> ids)
    {
        if (ids.Count == 0) return All;
        var unknown = ids.Where(id => All.All(c => c.Definition.Id != id)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown claim id{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown)}; known: {string.Join(", ", All.Select(c => c.Definition.Id))}.");
        return All.Where(c => ids.Contains(c.Definition.Id)).ToList();
    }

    /// <summary>Claim ids in THEORY.md order.</summary>
    public static readonly string[] Order =
    [
        "linear-max-margin", "deep-linear-alignment", "balance", "margin-growth", "normalization-is-margin",
        "nmgd-min-norm", "random-labels", "bound-tracks-error", "boosting-margin", "square-loss-lm-wd",
        "low-rank-bias", "neural-collapse", "sgd-noise", "no-overfitting-with-width", "lazy-training",
        "compositional-sparsity", "conv-bound", "min-norm-stability",
    ];

    private static IReadOnlyList<(ClaimDefinition, IClaimRule)> Load()
    {
        var asm = typeof(ClaimRegistry).Assembly;
        var rules = asm.GetTypes()
            .Where(t => typeof(IClaimRule).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
            .Select(t => (IClaimRule)Activator.CreateInstance(t)!)
            .ToDictionary(r => r.Id);
        var result = new List<(ClaimDefinition, IClaimRule)>();
        foreach (string id in Order)
        {
            using var stream = asm.GetManifestResourceStream($"claims/{id}.yaml");
            if (stream is null || !rules.TryGetValue(id, out var rule)) continue; // not yet implemented claims are absent, not faked
            using var reader = new StreamReader(stream);
            result.Add((ClaimDefinition.Parse(reader.ReadToEnd(), $"claims/{id}.yaml"), rule));
        }
        return result;
    }
}
