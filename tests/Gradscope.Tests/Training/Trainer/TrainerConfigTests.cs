using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

public class TrainerConfigTests
{
    private const string Good = """
        seed: 1
        dtype: f32
        model:
          mlp: {widths: [4, 6, 1], activation: relu}
          init: {scheme: orthogonal, scale: 0.5}
        data:
          train: {name: separable, n: 30, d: 4}
          standardize: true
        loss: {kind: exponential}
        algorithm:
          name: gd
          eta: 0.1
        schedule: {kind: step, factor: 0.5, every: 10}
        stop: {steps: 100, loss: 1e-3}
        probes: {every: 10, log_spaced: {per_decade: 4}, checkpoint_every: 50}
        """;

    private static string Error(string yaml) => Assert.Throws<TrainConfigException>(() => TrainConfigYaml.Parse(yaml, "config.yaml")).Message;

    [Fact]
    public void ParsesEveryDocumentedSection()
    {
        var c = TrainConfigYaml.Parse(Good);
        Assert.Equal("f32", c.DType);
        Assert.Equal([4, 6, 1], c.Model.Mlp!.Widths);
        Assert.Equal("orthogonal", c.Model.Init.Scheme);
        Assert.Equal(0.5, c.Model.Init.Scale);
        Assert.True(c.Data.Standardize);
        Assert.Equal(ScheduleKind.Step, c.Schedule.Kind);
        Assert.Equal(1e-3, c.Stop.Loss);
        Assert.Equal(4, c.Probes.PerDecade);
    }

    [Fact]
    public void ImpossibleValueNamesKeyAndLine()
    {
        Assert.Equal("config.yaml:12: algorithm.eta: must be > 0, got -1", Error(Good.Replace("eta: 0.1", "eta: -1")));
    }

    [Fact]
    public void UnknownKeyNamesKeyAndLine()
    {
        var m = Error(Good.Replace("  standardize: true", "  standardise: true"));
        Assert.StartsWith("config.yaml:8: data.standardise: unknown key 'standardise' in section data (known: ", m);
    }

    [Fact]
    public void WrongTypeNamesKeyAndLine()
    {
        Assert.StartsWith("config.yaml:14: stop.steps: must be an integer, got 'many'", Error(Good.Replace("steps: 100", "steps: many")));
        Assert.StartsWith("config.yaml:4: model.mlp: must be a mapping", Error(Good.Replace("  mlp: {widths: [4, 6, 1], activation: relu}", "  mlp: [4, 6]")));
        Assert.StartsWith("config.yaml:4: model.mlp.activation: must be one of relu, identity, got 'tanh'", Error(Good.Replace("activation: relu", "activation: tanh")));
    }

    [Fact]
    public void FactoryErrorsNameKeyAndLine()
    {
        var unknownAlg = TrainConfigYaml.Parse(Good.Replace("name: gd", "name: adamw"));
        Assert.StartsWith("config.yaml:11: algorithm.name: is not a known algorithm, got 'adamw'", Assert.Throws<TrainConfigException>(() => new Trainer<float>(unknownAlg)).Message);
        var extra = TrainConfigYaml.Parse(Good.Replace("  eta: 0.1", "  eta: 0.1\n  rtol: 1e-6"));
        Assert.StartsWith("config.yaml:13: algorithm.rtol: unknown key 'rtol' in section algorithm for algorithm 'gd'", Assert.Throws<TrainConfigException>(() => new Trainer<float>(extra)).Message);
        var wide = TrainConfigYaml.Parse(Good.Replace("widths: [4, 6, 1]", "widths: [5, 6, 1]"));
        Assert.StartsWith("config.yaml:4: model.mlp.widths: starts with input width 5", Assert.Throws<TrainConfigException>(() => new Trainer<float>(wide)).Message);
    }

    [Fact]
    public void MissingBoundAndBadRangesAreRejected()
    {
        Assert.Contains("stop: needs steps or time", Error(Good.Replace("stop: {steps: 100, loss: 1e-3}", "stop: {loss: 1e-3}")));
        Assert.Contains("data.label_noise: must lie in [0, 1], got 2", Error(Good.Replace("  standardize: true", "  label_noise: 2")));
    }

    [Fact]
    public void CanonicalYamlRoundTripsAndHashesEqual()
    {
        var c = TrainConfigYaml.Parse(Good);
        string y = TrainConfigWriter.ToYaml(c);
        var back = TrainConfigYaml.Parse(y);
        Assert.Equal(y, TrainConfigWriter.ToYaml(back));
        Assert.Equal(TrainConfigWriter.Hash(c), TrainConfigWriter.Hash(back));
        Assert.NotEqual(TrainConfigWriter.Hash(c), TrainConfigWriter.Hash(c with { Seed = 2 }));
    }

    [Fact]
    public void InlineLayerListBuildsTheSameNetAsTheMlpShorthand()
    {
        string inline = Good.Replace("  mlp: {widths: [4, 6, 1], activation: relu}", "  layers:\n    - dense: {out: 6}\n    - relu\n    - {type: dense, out: 1}");
        var a = new Trainer<float>(TrainConfigYaml.Parse(Good));
        var b = new Trainer<float>(TrainConfigYaml.Parse(inline));
        Assert.Equal(a.Model.Flat, b.Model.Flat);
        Assert.Equal(TrainConfigWriter.ToYaml(TrainConfigYaml.Parse(inline)), TrainConfigWriter.ToYaml(TrainConfigYaml.Parse(TrainConfigWriter.ToYaml(TrainConfigYaml.Parse(inline)))));
    }

    [Fact]
    public void CodeBuiltConfigValidatesWithKeyNames()
    {
        var c = TrainerTestConfigs.Tiny() with { Algorithm = new AlgorithmConfig { Name = "gd", Eta = 0 } };
        Assert.Equal("config: algorithm.eta: must be > 0, got 0", Assert.Throws<TrainConfigException>(c.Validate).Message);
    }
}
