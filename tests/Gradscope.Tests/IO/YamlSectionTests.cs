using Gradscope.IO;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Tests.IO;

/// <summary>The one typed section reader: types, enums, ranges, unknown keys and the one error format "where: key: message".</summary>
public class YamlSectionTests
{
    private sealed class ReadError(string m) : Exception(m);

    private static YamlSection Root(string yaml, string source = "t.yaml")
    {
        var root = (YamlMappingNode)YamlInput.Load(yaml, (l, w) => new ReadError($"{source}:{l}: {w}")).Documents[0].RootNode;
        return new YamlSection(new YamlOrigins(source), "", root, m => new ReadError(m));
    }

    private static string Fails(Action a) => Assert.Throws<ReadError>(a).Message;

    [Fact]
    public void ReadsEveryTypeAndTreatsNullAsAbsent()
    {
        var s = Root("a: 3\nb: 2.5\nc: true\nd: [1, 2]\ne: [0.5, 1e-3]\nf: [x, y]\ng: hello\nh: ~\nn: 1e6\nm: {k: 7}\nu: 18446744073709551615\n");
        Assert.Equal(3, s.Int("a"));
        Assert.Equal(2.5, s.Double("b"));
        Assert.True(s.Bool("c"));
        Assert.Equal([1, 2], s.IntList("d")!);
        Assert.Equal([0.5, 1e-3], s.DoubleList("e")!);
        Assert.Equal(["x", "y"], s.StringList("f")!);
        Assert.Equal("hello", s.String("g"));
        Assert.Null(s.String("h"));
        Assert.Null(s.Int("absent"));
        Assert.Equal(1_000_000L, s.Long("n"));
        Assert.Equal(7, s.Map("m")!.Int("k"));
        Assert.Equal(ulong.MaxValue, s.ULong("u"));
    }

    [Fact]
    public void ErrorsHaveOneFormatFileLineKeyMessage()
    {
        const string yaml = "top: 1\nsection:\n  n: many\n  kind: tanh\n  r: 1.5\n  list: [1, x]\n  inner: {k: [1]}\n";
        Assert.Equal("t.yaml:3: section.n: must be an integer, got 'many'", Fails(() => Root(yaml).Map("section")!.Int("n")));
        Assert.Equal("t.yaml:4: section.kind: must be one of relu, identity, got 'tanh'", Fails(() => Root(yaml).Map("section")!.Enum("kind", ["relu", "identity"])));
        Assert.Equal("t.yaml:5: section.r: must lie in [0, 1], got 1.5", Fails(() => Root(yaml).Map("section")!.Double("r", 0, 1)));
        Assert.Equal("t.yaml:6: section.list[1]: must be an integer, got 'x'", Fails(() => Root(yaml).Map("section")!.IntList("list")));
        Assert.Equal("t.yaml:7: section.inner.k: must be a number, got a list", Fails(() => Root(yaml).Map("section")!.Map("inner")!.Double("k")));
        Assert.Equal("t.yaml:1: top: must be a mapping, got '1'", Fails(() => Root(yaml).Map("top")));
        Assert.Equal("t.yaml:2: section: missing key 'name'", Fails(() => { var s = Root(yaml).Map("section")!; throw s.Missing("name"); }));
        Assert.Equal("t.yaml:3: section.n: must be >= 5, got 4", Fails(() => Root("top: 1\nsection:\n  n: 4\n").Map("section")!.Int("n", min: 5)));
    }

    [Fact]
    public void UnknownKeyNamesTheSectionAndTheKnownKeys()
    {
        var s = Root("algorithm:\n  name: gd\n  etaa: 0.1\n");
        var a = s.Map("algorithm")!;
        a.String("name"); a.Double("eta");
        Assert.Equal("t.yaml:3: algorithm.etaa: unknown key 'etaa' in section algorithm (known: eta, name)", Fails(a.RejectUnknown));
        var top = Root("sed: 1\n");
        top.ULong("seed");
        Assert.Equal("t.yaml:1: sed: unknown key 'sed' at the top level (known: seed)", Fails(top.RejectUnknown));
        var none = Root("x: 1\n");
        Assert.Equal("t.yaml:1: x: unknown key 'x' at the top level (it takes no keys)", Fails(none.RejectUnknown));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("False", false)]
    [InlineData("yes", true)]
    [InlineData("no", false)]
    public void BooleansAcceptTheDocumentedSpellings(string text, bool expected) => Assert.Equal(expected, Root($"b: {text}\n").Bool("b"));

    [Fact]
    public void BadBooleanAndOutOfRangeIntegerAreErrors()
    {
        Assert.Equal("t.yaml:1: b: must be true or false, got 'maybe'", Fails(() => Root("b: maybe\n").Bool("b")));
        Assert.Equal("t.yaml:1: i: is out of range, got 3000000000", Fails(() => Root("i: 3000000000\n").Int("i")));
        Assert.Equal("t.yaml:1: u: must be a non-negative integer, got '-1'", Fails(() => Root("u: -1\n").ULong("u")));
    }
}
