using Gradscope.Data;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

/// <summary>data.binary_split: every sample kept, labels thresholded, checked against the source loaded independently.</summary>
public class BinarySplitConfigTests
{
    private static TrainConfig Config(string data) => TrainConfigYaml.Parse($$"""
        seed: 3
        model:
          mlp: {widths: [64, 3, 1], activation: relu}
        data: {{data}}
        loss: {kind: logistic}
        algorithm: {name: gd, eta: 0.1}
        stop: {steps: 1}
        """, "config.yaml");

    [Fact]
    public void BinarySplitKeepsEverySampleAndThresholdsTheLabels()
    {
        var c = Config("{train: optdigits-train, test: optdigits-test, binary_split: 5}");
        var l = TrainerData.LoadAll(c, new Rng(c.Seed).Fork());
        var source = DataRegistry.Default().Load("optdigits-train");
        Assert.Equal(source.N, l.Train.N);
        Assert.Equal(2, l.Train.Classes);
        for (int i = 0; i < source.N; i++) Assert.Equal(source.Y[i] >= 5 ? 1 : 0, l.Train.Y[i]);
        Assert.Equal(2, l.Test!.Classes);
        Assert.Contains("binary_split: 5", TrainConfigWriter.ToYaml(c));
    }

    [Fact]
    public void BadThresholdsNameTheKey()
    {
        Assert.Contains("data.binary_split", Assert.Throws<TrainConfigException>(() => Config("{train: optdigits-train, binary_split: 0}")).Message);
        Assert.Contains("data.binary_split", Assert.Throws<TrainConfigException>(() => Config("{train: optdigits-train, binary_split: 5, binary: [1, 2]}")).Message);
        var c = Config("{train: optdigits-train, binary_split: 10}");
        Assert.Contains("data.binary_split", Assert.Throws<TrainConfigException>(() => TrainerData.LoadAll(c, new Rng(3))).Message);
    }
}
