using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

/// <summary>The algorithms, layers and datasets of the other libraries run through the trainer and resume bit for bit.</summary>
public class TrainerWiringTests
{
    [Theory]
    [InlineData("flow", "logistic")]
    [InlineData("loss_scaled_flow", "exponential")]
    [InlineData("armijo", "logistic")]
    [InlineData("weight_norm", "logistic")]
    [InlineData("lagrange", "logistic")]
    [InlineData("nmgd", "square")]
    [InlineData("halpern", "square")]
    public void AlgorithmResumesBitForBit(string name, string loss)
    {
        var cfg = TrainerTestConfigs.Tiny(name, steps: 30, loss: loss, eta: 0.05);
        string a = TrainerTestConfigs.TempDir(), b = TrainerTestConfigs.TempDir();
        try
        {
            var full = TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = a });
            Assert.Equal(TrainerStatus.Completed, full.Status);
            Assert.True(full.Time > 0);
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = b, StopAfterSteps = 17 });
            var resumed = TrainerRunner.Resume(b, new TrainerRunOptions());
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
            Assert.Equal(full.Time, resumed.Time);
        }
        finally { foreach (var d in new[] { a, b }) if (Directory.Exists(d)) Directory.Delete(d, true); }
    }

    [Fact]
    public void AlgorithmOptionsAreCheckedByName()
    {
        var cfg = TrainerTestConfigs.Tiny("flow") with { Algorithm = new AlgorithmConfig { Name = "flow", Eta = 0.1, Options = new Dictionary<string, string> { ["rtol"] = "-1" } } };
        Assert.Equal("config: algorithm.rtol: must be > 0, got -1", Assert.Throws<TrainConfigException>(() => new Trainer<double>(cfg)).Message);
        foreach (var (key, value) in new[] { ("fallback_max_dt", "-1"), ("event_tol", "0") })
        {
            var bad = TrainerTestConfigs.Tiny("flow") with { Algorithm = new AlgorithmConfig { Name = "flow", Eta = 0.1, Options = new Dictionary<string, string> { [key] = value } } };
            Assert.Equal($"config: algorithm.{key}: must be > 0, got {value}", Assert.Throws<TrainConfigException>(() => new Trainer<double>(bad)).Message);
        }
        var sgdFlow = TrainerTestConfigs.Tiny("flow", batch: 4);
        Assert.StartsWith("config: algorithm.batch_size: must be 0 for flow", Assert.Throws<TrainConfigException>(() => new Trainer<double>(sgdFlow)).Message);
    }

    [Fact]
    public void InlineConvLayersAndDataGeneratorsResolve()
    {
        const string yaml = """
            seed: 2
            model:
              input: [1, 4, 4]
              layers:
                - {type: conv2d, out_channels: 2, kernel: 3, padding: 1}
                - relu
                - dense: {out: 1}
            data:
              train: {name: relu_teacher, n: 20, d: 16}
            loss: {kind: logistic}
            algorithm: {name: gd, eta: 0.1}
            stop: {steps: 3}
            """;
        var t = new Trainer<double>(TrainConfigYaml.Parse(yaml));
        Assert.Equal(2 * 1 * 3 * 3 + 2 * 16, t.Model.ParameterCount);
        Assert.Equal(TrainerStatus.Completed, t.Run().Status);
    }
}
