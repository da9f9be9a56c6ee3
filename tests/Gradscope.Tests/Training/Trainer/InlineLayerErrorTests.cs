using Gradscope.IO;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

/// <summary>
/// Inline layer lists (<c>model.layers</c>) are read by the model description format's one layer reader straight from
/// the config's tree: a bad value is one error "file:line: model.layers[i].key: message" (the texts below are written out
/// by hand), never the config's prefix around a second, re-parsed one.
/// </summary>
public class InlineLayerErrorTests
{
    // layers[2] (the text given) starts on line 7.
    private static string Config(string layer2) => $$"""
        seed: 2
        model:
          input: [1, 8, 8]
          layers:
            - {type: conv2d, out_channels: 2, kernel: 3, padding: 1}
            - relu
        {{layer2}}
            - flatten
            - dense: {out: 1}
        data:
          train: {name: relu_teacher, n: 20, d: 64}
        loss: {kind: logistic}
        algorithm: {name: gd, eta: 0.1}
        stop: {steps: 3}
        """;

    private static string Error(string layer2, params string[] overrides) =>
        Assert.Throws<TrainConfigException>(() => TrainConfigYaml.Parse(Config(layer2), "cfg.yaml", overrides.Select(ConfigOverride.Parse).ToList())).Message;

    [Theory]
    [InlineData("    - {type: maxpool2d, kernel: two}", "cfg.yaml:7: model.layers[2].kernel: must be an integer, got 'two'")]
    [InlineData("    - maxpool2d: {kernel: 0}", "cfg.yaml:7: model.layers[2].kernel: must be >= 1, got 0")]
    [InlineData("    - {type: maxpool2d, kernal: 2}", "cfg.yaml:7: model.layers[2].kernal: unknown key 'kernal' in section model.layers[2] (known: kernel, padding, stride, type)")]
    [InlineData("    - maxpool2d: {kernal: 2}", "cfg.yaml:7: model.layers[2].kernal: unknown key 'kernal' in section model.layers[2] (known: kernel, padding, stride)")]
    [InlineData("    - {type: maxpool2d}", "cfg.yaml:7: model.layers[2]: missing key 'kernel'")]
    [InlineData("    - conv2d", "cfg.yaml:7: model.layers[2]: missing key 'out_channels'")]
    [InlineData("    - {type: dropout, p: -0.5}", "cfg.yaml:7: model.layers[2].p: must be a non-negative number, got -0.5")]
    [InlineData("    - {type: batchnorm, eps: small}", "cfg.yaml:7: model.layers[2].eps: must be a number, got 'small'")]
    [InlineData("    - {type: conv2d, out_channels: 2, kernel: 3, key: c}", "cfg.yaml:7: model.layers[2].key: is not supported in run configs (parameters are named by layer index)")]
    [InlineData("    - maxpool2d:\n        kernel: 2\n        stride: [1]", "cfg.yaml:9: model.layers[2].stride: must be an integer, got a list")]
    public void ABadLayerValueIsOneCleanError(string layer2, string expected)
    {
        string message = Error(layer2);
        Assert.Equal(expected, message);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(message, "cfg\\.yaml"));
    }

    [Fact]
    public void AnOverrideOfALayerValueIsNamedByTheOverride()
    {
        Assert.Equal("override model.layers.2.kernel=two: model.layers[2].kernel: must be an integer, got 'two'",
            Error("    - {type: maxpool2d, kernel: 2}", "model.layers.2.kernel=two"));
    }

    [Fact]
    public void AGoodInlineListBuildsTheLayersTheModelDescriptionFormatBuilds()
    {
        // conv 1->2 (3x3, padding 1) keeps 8x8; maxpool 2 gives 2 x 4 x 4 = 32 features; dense 32 -> 1.
        var t = new Trainer<double>(TrainConfigYaml.Parse(Config("    - maxpool2d: {kernel: 2}"), "cfg.yaml"));
        Assert.Equal(2 * 1 * 3 * 3 + 32, t.Model.ParameterCount);
        Assert.Equal([2, 4, 4], t.Model.Layers[2].OutputShape([2, 8, 8]));
    }

    [Fact]
    public void AShapeThatDoesNotFitIsOneErrorAtTheLayer()
    {
        // a conv2d after flatten has no (C, H, W) input: found when the model is built, named once at the layer's line
        var c = TrainConfigYaml.Parse(Config("    - flatten\n    - {type: conv2d, out_channels: 1, kernel: 1}").Replace("    - flatten\n    - dense", "    - dense"), "cfg.yaml");
        var e = Assert.Throws<TrainConfigException>(() => new Trainer<double>(c));
        Assert.StartsWith("cfg.yaml:8: model.layers[3]: (conv2d): ", e.Message);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(e.Message, "cfg\\.yaml"));
    }

    [Fact]
    public void AConfigBuiltInCodeIsCheckedByTheSameReader()
    {
        var bad = TrainerTestConfigs.Tiny() with
        {
            Model = new ModelConfig
            {
                Layers = [new LayerConfig("dense", new Dictionary<string, string> { ["out"] = "4" }), new LayerConfig("dropout", new Dictionary<string, string> { ["q"] = "0.1" }), new LayerConfig("dense", new Dictionary<string, string> { ["out"] = "1" })],
            },
        };
        Assert.Equal("config: model.layers[1].q: unknown key 'q' in section model.layers[1] (known: p)", Assert.Throws<TrainConfigException>(() => new Trainer<double>(bad)).Message);
    }
}
