using System.Text;
using Gradscope.Claims;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Tests.Claims;

/// <summary>
/// Rewriting every claim's <c>full</c> as overrides of its <c>quick</c> changed no effective setting: the quick and full
/// parameters the registry now gives (full merged over quick) equal, key by key, the complete quick and full sections of
/// the definitions as they were before (kept verbatim as fixtures, read here with YamlDotNet alone).
/// </summary>
public class ClaimFullMergeEquivalenceTests
{
    private const string Prefix = "fixtures/claims/";

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var id in ClaimRegistry.All.Select(c => c.Definition.Id)) data.Add(id);
        return data;
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void EffectiveQuickAndFullEqualTheDefinitionBeforeTheRewrite(string id)
    {
        var asm = typeof(ClaimFullMergeEquivalenceTests).Assembly;
        using var stream = asm.GetManifestResourceStream(Prefix + id + ".yaml");
        Assert.True(stream is not null, $"no fixture for claim {id}: run gradscope dev claims-full-as-overrides after adding or changing a definition");
        var before = new YamlStream();
        before.Load(new StreamReader(stream!));
        var root = (YamlMappingNode)before.Documents[0].RootNode;
        var def = ClaimRegistry.Select([id]).Single().Definition;
        foreach (string scale in new[] { "quick", "full" })
        {
            string expected = Canon(root.Children[new YamlScalarNode(scale)]);
            string actual = Canon(def.Parameters(scale).Map);
            Assert.True(expected == actual, $"{id} {scale}:\n  before: {expected}\n  now:    {actual}");
        }
    }

    [Fact]
    public void EveryFixtureNamesARegisteredClaim()
    {
        var ids = ClaimRegistry.All.Select(c => c.Definition.Id).ToHashSet();
        var fixtures = typeof(ClaimFullMergeEquivalenceTests).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(ids.Count, fixtures.Count);
        Assert.All(fixtures, f => Assert.Contains(f[Prefix.Length..^".yaml".Length], ids));
    }

    // A canonical text of a tree: mapping keys sorted, keys with a null value left out (a reader sees them as absent),
    // scalars as their text with their quotedness; written here independently of the merge code.
    private static string Canon(YamlNode node)
    {
        var b = new StringBuilder();
        Write(node, b);
        return b.ToString();
    }

    private static bool IsNull(YamlNode n) => n is YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain or ScalarStyle.Any };

    private static void Write(YamlNode node, StringBuilder b)
    {
        switch (node)
        {
            case YamlMappingNode m:
                b.Append('{');
                foreach (var (k, v) in m.Children.Where(p => !IsNull(p.Value)).OrderBy(p => ((YamlScalarNode)p.Key).Value, StringComparer.Ordinal))
                {
                    b.Append(((YamlScalarNode)k).Value).Append(':');
                    Write(v, b);
                    b.Append(',');
                }
                b.Append('}');
                break;
            case YamlSequenceNode q:
                b.Append('[');
                foreach (var c in q.Children) { Write(c, b); b.Append(','); }
                b.Append(']');
                break;
            case YamlScalarNode s:
                bool quoted = s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted;
                b.Append(quoted ? "\"" : "").Append(s.Value).Append(quoted ? "\"" : "");
                break;
        }
    }
}
