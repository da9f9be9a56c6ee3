using Gradscope.Claims;
using Gradscope.Nn;
using Gradscope.Sweeps;
using Gradscope.Tests.Sweeps;
using Gradscope.Tests.Training.Trainer;
using Gradscope.Training;

namespace Gradscope.Tests.IO;

/// <summary>
/// Hostile YAML through every reader (training config, model description, sweep file, claim definition): each is
/// refused with the reader's own error type naming the file, the real line and, where there is one, the key; none
/// crashes, overflows the stack or exhausts memory.
/// </summary>
public class HostileYamlTests
{
    private const string Model = "input: [4]\nlayers:\n  - {type: dense, out: 3}\n  - {type: relu}\n  - {type: dense, out: 1}\n";

    /// <summary>Every YAML reader, as a function of its text that returns the error message (or null when it accepts).</summary>
    public static readonly (string Name, Func<string, string?> Read)[] Readers =
    [
        ("config", text => Message<TrainConfigException>(() => TrainConfigYaml.Parse(text, "cfg.yaml"))),
        ("model", text => Message<InvalidDataException>(() => ModelSpec.Parse(text, "model.yaml"))),
        ("sweep", text => Message<SweepException>(() => YamlTree.LoadMapping(text, "sweep.yaml"))),
        ("claim", text => Message<InvalidDataException>(() => ClaimDefinition.Parse(text, "claim.yaml"))),
    ];

    private static string? Message<T>(Action read) where T : Exception
    {
        try { read(); return null; }
        catch (T e) { return e.Message; }
    }

    public static TheoryData<int> ReaderIndices() => [0, 1, 2, 3];

    [Theory]
    [MemberData(nameof(ReaderIndices))]
    public void AnUndefinedAliasReportsItsOwnLine(int reader)
    {
        var (name, read) = Readers[reader];
        string text = string.Concat(Enumerable.Range(0, 28).Select(i => $"# comment line {i + 1}\n")) + "x: *nowhere\n";
        var m = read(text);
        Assert.NotNull(m);
        Assert.Matches(@"(:29:| line 29:)", m);
        Assert.Contains("*nowhere", m);
        Assert.DoesNotContain("line 1:", m);
        _ = name;
    }

    [Theory]
    [MemberData(nameof(ReaderIndices))]
    public void DeepNestingIsRefusedBeforeParsing(int reader)
    {
        var (_, read) = Readers[reader];
        // 20,000 levels used to overflow the stack (exit 134) in the representation model
        var m = read("a: " + string.Concat(Enumerable.Repeat("{a: ", 20_000)) + "1" + new string('}', 20_000) + "\n");
        Assert.NotNull(m);
        Assert.Contains("deeper than 128 levels", m);
        Assert.Contains("a.a.a.a", m);
        Assert.Contains("deeper than 128 levels", read("a: " + new string('[', 20_000) + new string(']', 20_000) + "\n"));
        // {{{...: the second brace is a mapping used as a key, refused as such before the depth is reached
        Assert.Matches("deeper than 128 levels|a mapping key must be a plain value", read("a: " + new string('{', 20_000) + new string('}', 20_000) + "\n"));
        var block = string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', 2 * i) + $"k{i}:\n")) + new string(' ', 400) + "v\n";
        Assert.Contains("deeper than 128 levels", read(block));
    }

    [Theory]
    [MemberData(nameof(ReaderIndices))]
    public void AnAliasBombIsRefused(int reader)
    {
        var (_, read) = Readers[reader];
        // 10 levels of 10 aliases each: 10^10 nodes once expanded, in about 600 bytes
        var lines = new List<string> { "l0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (int i = 1; i <= 10; i++) lines.Add($"l{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]");
        var m = read(string.Join("\n", lines) + "\n");
        Assert.NotNull(m);
        Assert.Contains("expands to more than", m);
    }

    [Fact]
    public void AnAliasBombInASweepFilesInlineBaseIsRefused()
    {
        using var t = new SweepTestFiles();
        var lines = new List<string> { "base:", "  l0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (int i = 1; i <= 10; i++) lines.Add($"  l{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]");
        lines.Add("grid:\n  l0: [1, 2]");
        var path = t.Write("bomb.yaml", string.Join("\n", lines) + "\n");
        var e = Assert.Throws<SweepException>(() => SweepFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("expands to more than", e.Message);
    }

    [Theory]
    [MemberData(nameof(ReaderIndices))]
    public void ASecondDocumentIsRefusedAtItsLine(int reader)
    {
        var (_, read) = Readers[reader];
        var m = read("a: 1\nb: 2\n---\nc: 3\n");
        Assert.NotNull(m);
        Assert.Matches(@"(:3:| line 3:)", m);
        Assert.Contains("second YAML document", m);
    }

    [Theory]
    [InlineData("algorithm: {name: gd, eta: 0.1, ? [a, b] : 3}", "cfg.yaml:8: algorithm: a mapping key must be a plain value, got a list")]
    [InlineData("algorithm: {name: gd, eta: 0.1, ? {a: 1} : 3}", "cfg.yaml:8: algorithm: a mapping key must be a plain value, got a mapping")]
    public void ANonScalarKeyInTheConfigNamesFileLineAndKey(string algorithm, string expected)
    {
        var text = TrainerTestConfigs.YamlTiny.Replace("algorithm: {name: sgd, eta: 0.1, batch_size: 8}", algorithm);
        var e = Assert.Throws<TrainConfigException>(() => TrainConfigYaml.Parse(text, "cfg.yaml"));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void NonScalarKeysUnderDataTrainAndModelLayersNameTheKey()
    {
        var text = TrainerTestConfigs.YamlTiny.Replace("train: {name: separable, n: 30, d: 4}", "train: {name: separable, n: 30, d: 4, ? [x] : 1}");
        Assert.Equal("cfg.yaml:6: data.train: a mapping key must be a plain value, got a list",
            Assert.Throws<TrainConfigException>(() => TrainConfigYaml.Parse(text, "cfg.yaml")).Message);
        var layers = TrainerTestConfigs.YamlTiny.Replace("mlp: {widths: [4, 6, 1], activation: relu}",
            "layers:\n    - {type: dense, out: 6}\n    - {? [a] : relu}\n    - {type: dense, out: 1}");
        Assert.Equal("cfg.yaml:6: model.layers[1]: a mapping key must be a plain value, got a list",
            Assert.Throws<TrainConfigException>(() => TrainConfigYaml.Parse(layers, "cfg.yaml")).Message);
    }

    [Theory]
    [InlineData("\"relu\\0\"", "0000")]
    [InlineData("\"relu\\x07\"", "0007")]
    [InlineData("\"re\\x85lu\"", "0085")]
    public void AControlCharacterInAnEnumValueIsRefused(string value, string code)
    {
        var text = TrainerTestConfigs.YamlTiny.Replace("activation: relu", "activation: " + value);
        var e = Assert.Throws<TrainConfigException>(() => TrainConfigYaml.Parse(text, "cfg.yaml"));
        Assert.StartsWith("cfg.yaml:4: model.mlp.activation: value", e.Message);
        Assert.Contains("U+" + code, e.Message);
    }

    [Fact]
    public void ATabInIndentationReportsItsLine()
    {
        var e = Assert.Throws<TrainConfigException>(() => TrainConfigYaml.Parse("seed: 1\ndtype: f64\nmodel:\n\tmlp: {widths: [2, 1]}\n", "cfg.yaml"));
        Assert.StartsWith("cfg.yaml:4: YAML syntax error", e.Message);
    }

    [Fact]
    public void AnUnclosedFlowMappingInAModelDescriptionNamesFileAndLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => ModelSpec.Parse("input: [2]\nlayers:\n  - {type: relu\n", "model.yaml"));
        Assert.StartsWith("model.yaml:4: YAML syntax error", e.Message);
        Assert.EndsWith("(the '{' opened on line 3)", e.Message);
        // YamlDotNet's scanner fails without a position on a plain scalar running out of an unclosed '['
        var c = Assert.Throws<TrainConfigException>(() => TrainConfigYaml.Parse("seed: 1\nmodel: [unclosed\ndata: 2\n", "cfg.yaml"));
        Assert.StartsWith("cfg.yaml:2: YAML syntax error", c.Message);
        Assert.EndsWith("(the '[' opened on line 2)", c.Message);
    }

    [Fact]
    public void AValidConfigWithAnchorsAndAliasesStillLoads()
    {
        var text = TrainerTestConfigs.YamlTiny.Replace("seed: 5", "seed: &s 5").Replace("stop: {steps: 60}", "stop: {steps: 60, check_every: *s}");
        var c = TrainConfigYaml.Parse(text, "cfg.yaml");
        Assert.Equal(5L, c.Stop.CheckEvery);
        Assert.Equal(5UL, c.Seed);
        Assert.Equal(3, ModelSpec.Parse(Model, "m.yaml").Layers.Count);
    }
}
