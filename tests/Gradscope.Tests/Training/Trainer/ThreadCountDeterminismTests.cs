using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

/// <summary>
/// Same seed, different thread counts: convolutional and locally connected nets train to bit-identical weights
/// with 1, 2 and 3 threads (their weight gradients are summed over fixed chunks of the batch in a fixed order,
/// not per thread). The batch is large enough for several sample groups and reduction chunks.
/// </summary>
public class ThreadCountDeterminismTests
{
    static string Yaml(string dtype, string layer, int batch) => layer == "mlp" ? $$"""
        seed: 11
        dtype: {{dtype}}
        model:
          mlp: {widths: [128, 64, 32, 1]}
        data:
          train: {name: relu_teacher, n: 100, d: 128}
        loss: {kind: logistic}
        algorithm: {{(batch == 0 ? "{name: gd, eta: 0.5}" : $"{{name: sgd, eta: 0.5, batch_size: {batch}}}")}}
        stop: {steps: 4}
        """ : $$"""
        seed: 11
        dtype: {{dtype}}
        model:
          input: [2, 8, 8]
          layers:
            - {type: conv2d, out_channels: 4, kernel: 3, padding: 1}
            - relu
            - {type: {{layer}}, out_channels: 6, kernel: 3, stride: 2, padding: 1}
            - relu
            - global_avgpool2d
            - dense: {out: 1}
        data:
          train: {name: relu_teacher, n: 100, d: 128}
        loss: {kind: logistic}
        algorithm: {{(batch == 0 ? "{name: gd, eta: 0.5}" : $"{{name: sgd, eta: 0.5, batch_size: {batch}}}")}}
        stop: {steps: 4}
        """;

    // the trained weights as raw bytes (every parameter, in the model's flat layout) and the final loss
    static (byte[] Weights, double Loss) Train<T>(TrainConfig cfg) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var t = new Trainer<T>(cfg);
        var r = t.Run();
        Assert.Equal(TrainerStatus.Completed, r.Status);
        return (System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Model.Flat.AsSpan()).ToArray(), r.Final["train_loss"]);
    }

    [Theory]
    [InlineData("f32", "conv2d", 0)]
    [InlineData("f64", "conv2d", 96)]
    [InlineData("f32", "locally_connected2d", 0)]
    [InlineData("f64", "locally_connected2d", 0)]
    [InlineData("f64", "conv2d", 0)]
    [InlineData("f32", "conv2d", 96)]
    [InlineData("f32", "mlp", 0)]
    public void TheSameRunWith1And2And3ThreadsGivesBitIdenticalWeights(string dtype, string layer, int batch)
    {
        var runs = new[] { 1, 2, 3 }.Select(threads =>
        {
            var cfg = TrainConfigYaml.Parse(Yaml(dtype, layer, batch)) with { Threads = threads };
            return dtype == "f32" ? Train<float>(cfg) : Train<double>(cfg);
        }).ToList();
        for (int i = 1; i < runs.Count; i++)
        {
            Assert.Equal(runs[0].Loss, runs[i].Loss);
            Assert.True(runs[0].Weights.AsSpan().SequenceEqual(runs[i].Weights), $"weights with {i + 1} threads differ from 1 thread");
        }
    }
}
