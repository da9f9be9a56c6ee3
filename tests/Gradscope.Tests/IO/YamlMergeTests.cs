using Gradscope.Claims;
using Gradscope.IO;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Tests.IO;

/// <summary>The deep merge of a claim's full over its quick, and the mechanical rewrite that produces such full sections.</summary>
public class YamlMergeTests
{
    private static YamlMappingNode Map(string yaml) =>
        (YamlMappingNode)YamlInput.Load(yaml, (l, w) => new InvalidDataException($"{l}: {w}")).Documents[0].RootNode;

    [Fact]
    public void MappingsMergeOtherValuesReplaceAndNullRemoves()
    {
        var origins = new YamlOrigins("m.yaml");
        var merged = YamlMerge.Merge(
            Map("a: 1\nb: {x: 1, y: [1, 2], z: {p: 1}}\nc: [3]\nd: keep\n"),
            Map("a: 2\nb: {y: [9], z: {q: 2}}\nc: ~\ne: new\n"), origins);
        // written out by hand: the expected merged tree
        var expected = Map("a: 2\nb: {x: 1, y: [9], z: {p: 1, q: 2}}\nd: keep\ne: new\n");
        Assert.True(ClaimFullAsOverrides.Same(expected, merged), Gradscope.Sweeps.YamlTree.ToYaml(merged));
        Assert.False(merged.Children.ContainsKey(new YamlScalarNode("c")));
    }

    [Fact]
    public void MergeKeepsLinesForErrorsAndLeavesItsInputsAlone()
    {
        var origins = new YamlOrigins("m.yaml");
        var quick = Map("n: 1\nt: {k: 2}\n");
        var full = Map("t: {k: x}\n");
        var merged = YamlMerge.Merge(quick, full, origins);
        var s = new YamlSection(origins, "full", merged, m => new InvalidDataException(m));
        Assert.Equal("m.yaml:1: full.t.k: must be an integer, got 'x'", Assert.Throws<InvalidDataException>(() => s.Map("t")!.Int("k")).Message);
        Assert.Equal("2", ((YamlScalarNode)((YamlMappingNode)quick.Children[new YamlScalarNode("t")]).Children[new YamlScalarNode("k")]).Value);
    }

    [Fact]
    public void RewriteStatesOnlyTheDifferencesAndIsIdempotent()
    {
        const string text = """
            id: demo
            quick:
              n: 10
              gone: 3
              train:
                model: { mlp: { widths: [2, 8, 1] }, init: { scheme: he } }
                stop: { steps: 100 }
            full:
              # why n is 100
              n: 100
              train:
                model: { mlp: { widths: [2, 64, 1] }, init: { scheme: he } }
                stop: { steps: 100 }
            """;
        var rewritten = ClaimFullAsOverrides.Rewrite(text, "demo.yaml")!;
        var root = Map(rewritten);
        var full = (YamlMappingNode)root.Children[new YamlScalarNode("full")];
        // by hand: n changes, gone is removed, train changes only its widths
        Assert.True(ClaimFullAsOverrides.Same(Map("n: 100\ngone: ~\ntrain: {model: {mlp: {widths: [2, 64, 1]}}}\n"), full), rewritten);
        Assert.Contains("  # why n is 100\n  n: 100", rewritten);
        Assert.Contains(ClaimFullAsOverrides.Marker + "\nfull:", rewritten);
        Assert.Null(ClaimFullAsOverrides.Rewrite(rewritten, "demo.yaml"));
        // quick is untouched
        Assert.StartsWith(text[..text.IndexOf("full:", StringComparison.Ordinal)], rewritten);
    }
}
