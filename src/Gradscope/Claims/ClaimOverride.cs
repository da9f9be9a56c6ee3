using Gradscope.IO;

namespace Gradscope.Claims;

/// <summary>
/// A command-line override of a claim's parameters: <c>CLAIM.SCALE.key=value</c> applies to that scale
/// (<c>balance.quick.relu.algorithm.eta=0.02</c>), <c>CLAIM.key=value</c> to whichever scale runs
/// (<c>balance.relu.algorithm.eta=0.02</c>). The key below the claim (and scale) is a dotted path into the
/// scale's parameters (<see cref="ConfigOverride"/>).
/// </summary>
public sealed record ClaimOverride(string Claim, string? Scale, ConfigOverride Override)
{
    /// <summary>Parses <c>claim[.scale].key=value</c>.</summary>
    /// <exception cref="ArgumentException">No '=', no key below the claim id, or an empty part (message quotes the argument).</exception>
    public static ClaimOverride Parse(string text)
    {
        var all = ConfigOverride.Parse(text);
        var path = all.Path;
        string claim = path[0];
        string? scale = path.Count > 1 && path[1] is "quick" or "full" ? path[1] : null;
        int skip = scale is null ? 1 : 2;
        if (path.Count <= skip)
            throw new ArgumentException($"override '{text}': name a parameter below the claim, e.g. {claim}.{scale ?? "quick"}.train.algorithm.eta=0.1");
        return new ClaimOverride(claim, scale, all with { Path = path.Skip(skip).ToList() });
    }
}
