using Gradscope.Claims;
using Gradscope.Claims.Rules;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;
using Xunit;

namespace Gradscope.Tests.Claims;

public class ConfigVariantsTests
{
    private const string Mlp = """
        model: { mlp: { widths: [10, 32, 32, 1] } }
        data: { train: { name: separable, n: 40, d: 10 } }
        algorithm: { name: gd }
        stop: { steps: 1 }
        """;

    private const string Layers = """
        model:
          input: [1, 4, 4]
          layers:
            - { type: conv2d, out_channels: 3, kernel: 3, padding: 1 }
            - relu
            - { type: dense, out: 1 }
        data: { train: { name: separable, n: 40, d: 16 } }
        algorithm: { name: gd }
        stop: { steps: 1 }
        """;

    [Fact]
    public void HiddenWidthChangesOnlyHiddenLayers()
    {
        var c = TrainConfigYaml.Parse(Mlp, "t");
        var v = ConfigVariants.WithHiddenWidth(c, 7);
        Assert.Equal(new[] { 10, 7, 7, 1 }, v.Model.Mlp!.Widths);
        Assert.Equal(new[] { 10, 32, 32, 1 }, c.Model.Mlp!.Widths);
        Assert.Equal(10 * 7 + 7 * 7 + 7, new Trainer<double>(v).Model.ParameterCount);
        Assert.Throws<InvalidDataException>(() => ConfigVariants.WithHiddenWidth(TrainConfigYaml.Parse(Layers, "t"), 7));
    }

    [Fact]
    public void LayerParameterAndDataParameterReachTheBuiltRun()
    {
        var c = ConfigVariants.WithLayerParameter(TrainConfigYaml.Parse(Layers, "t"), "conv2d", "out_channels", 5);
        c = ConfigVariants.WithTrainDataParameter(c, "n", 17);
        var t = new Trainer<double>(c);
        Assert.Equal(5 * 1 * 3 * 3 + 5 * 16, t.Model.ParameterCount);
        Assert.Equal(17, t.Train.N);
        Assert.Throws<InvalidDataException>(() => ConfigVariants.WithLayerParameter(c, "locally_connected2d", "out_channels", 5));
    }

    [Fact]
    public void LabelNoiseFlipsThatFractionOfTheSameTrainingSet()
    {
        var c = TrainConfigYaml.Parse(Mlp.Replace("n: 40, d: 10", "n: 40, d: 10, classes: 4").Replace("widths: [10, 32, 32, 1]", "widths: [10, 32, 32, 4]"), "t");
        var clean = new Trainer<double>(c).Train;
        foreach (double p in new[] { 0.25, 1.0 })
        {
            var noisy = new Trainer<double>(ConfigVariants.WithLabelNoise(c, p)).Train;
            Assert.Equal(clean.X, noisy.X);
            Assert.Equal((int)Math.Round(p * 40), Enumerable.Range(0, 40).Count(i => clean.Y[i] != noisy.Y[i]));
        }
        Assert.Equal(0, c.Data.LabelNoise);
        Assert.Throws<InvalidDataException>(() => ConfigVariants.WithLabelNoise(c, 1.5));
    }
}

public class LazyTrainingScaleTests
{
    [Fact]
    public void HeInitializedNtkWithHeScalesApproachesTwiceTheAnalyticNtk()
    {
        // He init: every W_k = sqrt(2 / fan_in) theta_k. The NTK-parameterized net of THEORY.md section 5 is
        // W_1 = theta_1 / sqrt(d), W_k = sqrt(2 / n_{k-1}) theta_k (the sqrt 2 of s folded forward), so the He net
        // is sqrt(2) times it as a function of theta and its theta-NTK is 2 Theta.
        int d = 4, width = 2048, n = 3;
        var layers = new Layer<double>[] { new Dense<double>(d, width), new Relu<double>(), new Dense<double>(width, width), new Relu<double>(), new Dense<double>(width, 1) };
        var m = new Sequential<double>([d], layers);
        Init.Apply(m, InitScheme.He, new Rng(31));
        var scales = LazyTraining.HeScales(m);
        Assert.Equal(new[] { Math.Sqrt(2.0 / d), Math.Sqrt(2.0 / width), Math.Sqrt(2.0 / width) }, scales);
        var rng = new Rng(6);
        var x = Enumerable.Range(0, n * d).Select(_ => rng.NextNormal()).ToArray();
        var emp = EmpiricalNtk.Compute(m, x, n, scales);
        var exact = AnalyticNtk.Compute(x, n, 2).Ntk;
        double toTheta = 0, theta = 0;
        for (int i = 0; i < n * n; i++)
        {
            double diag = exact[(i / n) * n + i / n];
            Assert.True(Math.Abs(emp[i] - 2 * exact[i]) < 0.1 * 2 * diag, $"entry {i}: {emp[i]} vs 2 x {exact[i]}");
            toTheta += (emp[i] - exact[i]) * (emp[i] - exact[i]); theta += exact[i] * exact[i];
        }
        // the factor is 2, not 1: the kernel is about ||Theta||_F away from Theta itself
        Assert.True(Math.Sqrt(toTheta / theta) > 0.7, $"||K - Theta|| / ||Theta|| = {Math.Sqrt(toTheta / theta)}");
    }
}
