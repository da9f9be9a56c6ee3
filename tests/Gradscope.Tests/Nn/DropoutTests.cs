using Gradscope.Autodiff;
using Gradscope.Claims;
using Gradscope.Data;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Tests.Training.Trainer;
using Gradscope.Training;

namespace Gradscope.Tests.Nn;

/// <summary>
/// The dropout layer: identity at evaluation; in training y = x * m with m in {0, 1/(1-p)} (inverted dropout) and a zero
/// fraction near p; masks fixed by (seed, layer, step, draw); finite-difference gradients with a fixed mask; a run
/// interrupted and resumed equals the uninterrupted one bit for bit; claims needing plain GD refuse it.
/// </summary>
public class DropoutTests
{
    private static Tensor<double> Input(int rows, int cols, ulong seed)
    {
        var x = new Tensor<double>([rows, cols]);
        var rng = new Rng(seed);
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        return x;
    }

    [Fact]
    public void EvaluationIsTheIdentityAndTrainingIsAnInvertedDropoutMask()
    {
        const double p = 0.3;
        var layer = new Dropout<double>(p);
        var x = Input(200, 500, 1);
        var tape = new Tape<double>();
        var eval = layer.Forward(tape, tape.Input(x), training: false);
        Assert.Equal(x.Span.ToArray(), eval.Value.Span.ToArray());

        layer.SetClock(5, 0, 0);
        var y = layer.Forward(tape, tape.Input(x), training: true).Value.Span.ToArray();
        int zeros = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (y[i] == 0) zeros++;
            else Assert.Equal(x[i] * (1.0 / (1 - p)), y[i]);
        }
        // 100,000 Bernoulli(p) draws: the zero fraction is within 5 standard deviations (0.0072) of p
        Assert.InRange((double)zeros / y.Length, p - 0.0072, p + 0.0072);
        // the mean is kept: E[y] = x, so mean(y - x) is small against mean |x| ~ 0.8
        Assert.InRange(y.Zip(x.Span.ToArray(), (a, b) => a - b).Average(), -0.01, 0.01);
    }

    [Fact]
    public void MasksAreAFunctionOfSeedLayerStepAndDraw()
    {
        var layer = new Dropout<double>(0.5);
        var x = Input(4, 64, 2);
        var tape = new Tape<double>();
        double[] Mask(ulong seed, long step, int draws)
        {
            layer.SetClock(seed, 1, step);
            double[] m = [];
            for (int k = 0; k < draws; k++) { tape.Reset(); layer.Forward(tape, tape.Input(x), true); m = layer.LastMask!.Span.ToArray(); }
            return m;
        }
        Assert.Equal(Mask(3, 10, 1), Mask(3, 10, 1));
        Assert.Equal(Mask(3, 10, 2), Mask(3, 10, 2));
        Assert.NotEqual(Mask(3, 10, 1), Mask(3, 10, 2));
        Assert.NotEqual(Mask(3, 10, 1), Mask(3, 11, 1));
        Assert.NotEqual(Mask(3, 10, 1), Mask(4, 10, 1));
        Assert.Equal(x.Span.ToArray(), new Dropout<double>(0).Forward(tape, tape.Input(x), true).Value.Span.ToArray());
    }

    [Fact]
    public void GradientsMatchFiniteDifferencesWithAFixedMask()
    {
        var model = ModelSpec.Parse("""
            input: [6]
            layers:
              - {type: dense, out: 8}
              - {type: dropout, p: 0.4}
              - {type: relu}
              - {type: dense, out: 3}
            """, "m.yaml").Build<double>();
        var rng = new Rng(11);
        for (int i = 0; i < model.Flat.Length; i++) model.Flat[i] = rng.NextNormal() * 0.5;
        var x = Input(5, 6, 12);
        var r = Input(5, 3, 13);
        var tape = new Tape<double>();
        double Loss(bool backward)
        {
            model.SetMaskClock(21, 4);
            tape.Reset();
            model.ZeroGrad();
            var y = model.Forward(tape, x, training: true);
            var f = tape.Sum(tape.Mul(y, tape.Input(r)));
            if (backward) tape.Backward(f);
            return f.Value[0];
        }
        Loss(true);
        var dropout = (Dropout<double>)model.Layers[1];
        Assert.Contains(0.0, dropout.LastMask!.Span.ToArray()); // the mask really drops units
        var analytic = (double[])model.FlatGrad.Clone();
        double worst = 0;
        const double h = 1e-6;
        for (int i = 0; i < model.Flat.Length; i++)
        {
            double v = model.Flat[i];
            model.Flat[i] = v + h; double fp = Loss(false);
            model.Flat[i] = v - h; double fm = Loss(false);
            model.Flat[i] = v;
            double fd = (fp - fm) / (2 * h);
            worst = Math.Max(worst, Math.Abs(fd - analytic[i]) / Math.Max(1e-6, Math.Abs(fd) + Math.Abs(analytic[i])));
        }
        Assert.True(worst < 1e-6, $"worst relative error {worst}");
    }

    [Theory]
    [InlineData("1", "dropout probability p must be in [0, 1), got 1")]
    [InlineData("1.5", "dropout probability p must be in [0, 1), got 1.5")]
    [InlineData("-0.1", ".p: must be a non-negative number, got -0.1")]
    [InlineData("half", ".p: must be a number, got 'half'")]
    public void AProbabilityOutsideTheUnitIntervalIsAClearError(string p, string expected)
    {
        var e = Assert.ThrowsAny<Exception>(() => ModelSpec.Parse($"input: [4]\nlayers:\n  - {{type: dense, out: 3}}\n  - {{type: dropout, p: {p}}}\n", "m.yaml").Build<double>());
        Assert.IsType<InvalidDataException>(e);
        Assert.Contains("m.yaml:4: layers[1]", e.Message);
        Assert.Contains(expected, e.Message);
        var c = Assert.Throws<TrainConfigException>(() => new Trainer<double>(TrainerTestConfigs.Tiny() with
        {
            Model = new ModelConfig { Layers = [new LayerConfig("dense", new Dictionary<string, string> { ["out"] = "4" }), new LayerConfig("dropout", new Dictionary<string, string> { ["p"] = p }), new LayerConfig("dense", new Dictionary<string, string> { ["out"] = "1" })] },
        }));
        Assert.Contains("model.layers[1]", c.Message);
        Assert.Contains(expected, c.Message);
    }

    private static TrainConfig WithDropout(double p, string algorithm = "sgd", int batch = 8) => TrainerTestConfigs.Tiny(algorithm, batch, steps: 40) with
    {
        Model = new ModelConfig
        {
            Layers =
            [
                new LayerConfig("dense", new Dictionary<string, string> { ["out"] = "16" }), new LayerConfig("relu"),
                new LayerConfig("dropout", new Dictionary<string, string> { ["p"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
                new LayerConfig("dense", new Dictionary<string, string> { ["out"] = "1" }),
            ],
        },
    };

    private static byte[] Weights(string dir) => File.ReadAllBytes(Path.Combine(dir, "model.safetensors"));

    [Theory]
    [InlineData("sgd", 8)]
    [InlineData("armijo", 0)]
    public void AResumedRunEqualsTheUninterruptedRunBitForBit(string algorithm, int batch)
    {
        string a = TrainerTestConfigs.TempDir(), b = TrainerTestConfigs.TempDir(), c = TrainerTestConfigs.TempDir(), z = TrainerTestConfigs.TempDir();
        try
        {
            var cfg = WithDropout(0.5, algorithm, batch);
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = a });
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = c });
            Assert.Equal(Weights(a), Weights(c)); // same seed: identical
            // interrupted at step 25 (last checkpoint at 21), resumed: the masks of steps 21..39 are drawn again identically
            Assert.Equal(TrainerStatus.Interrupted, TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = b, StopAfterSteps = 25 }).Status);
            Assert.Equal(TrainerStatus.Completed, TrainerRunner.Resume(b, new TrainerRunOptions()).Status);
            Assert.Equal(Weights(a), Weights(b));
            // and the masks matter: without dropout the weights differ
            TrainerRunner.Start(WithDropout(0, algorithm, batch), new TrainerRunOptions { RunDirectory = z });
            Assert.NotEqual(Weights(a), Weights(z));
        }
        finally { foreach (var d in new[] { a, b, c, z }) if (Directory.Exists(d)) Directory.Delete(d, true); }
    }

    [Fact]
    public void HomogeneityChecksRefuseDropout()
    {
        var t = new Trainer<double>(WithDropout(0.2));
        Assert.True(t.Model.IsStochastic);
        Assert.Contains("layer 2 (dropout)", Homogeneity.NotAllowed(t.Model));
        Assert.Equal(double.PositiveInfinity, Homogeneity.Error(t.Model, t.Train));
        var plain = new Trainer<double>(WithDropout(0));
        Assert.Null(Homogeneity.NotAllowed(plain.Model));
        Assert.True(Homogeneity.Error(plain.Model, plain.Train) < 1e-12);
    }
}
