using Gradscope.Losses;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Algorithms;

/// <summary>PyTorch's SGD with momentum, Nesterov and dampening, against the update rule worked by hand on least squares.</summary>
public class MomentumSgdTests
{
    private const int N = 5, D = 3;

    // torch.optim.SGD, written out: g = grad + wd w; b = g (first step) else mu b + (1 - damp) g; d = g + mu b (nesterov) or b; w -= lr d
    private static double[] Reference(double[] x, double[] y, double[] w0, int steps, double lr, double mu, double damp, bool nesterov, double wd)
    {
        var w = (double[])w0.Clone();
        var b = new double[D];
        for (int t = 0; t < steps; t++)
        {
            var g = new double[D];
            for (int i = 0; i < N; i++)
            {
                double r = -y[i];
                for (int j = 0; j < D; j++) r += w[j] * x[i * D + j];
                for (int j = 0; j < D; j++) g[j] += 2.0 / N * r * x[i * D + j];   // L = (1/n) sum (w.x - y)^2
            }
            for (int j = 0; j < D; j++)
            {
                g[j] += wd * w[j];
                b[j] = t == 0 ? g[j] : mu * b[j] + (1 - damp) * g[j];
                w[j] -= lr * (nesterov ? g[j] + mu * b[j] : b[j]);
            }
        }
        return w;
    }

    [Theory]
    [InlineData(0.9, 0.0, false, 0.0)]
    [InlineData(0.9, 0.0, true, 0.0)]
    [InlineData(0.5, 0.3, false, 0.01)]
    [InlineData(0.8, 0.0, true, 0.05)]
    public void FollowsTorchsUpdateRule(double mu, double damp, bool nesterov, double wd)
    {
        var data = Fixtures.Random(N, D, 5);
        var x = data.X.ToArray();
        var y = data.Y.Select(l => l == 1 ? 1.0 : -1.0).ToArray();
        double[] w0 = [0.3, -0.2, 0.1];
        var model = Fixtures.Linear(D, w0);
        Fixtures.Run(new MomentumSgd<double>(mu, damp, nesterov), new Objective<double>(model, data, LossKind.Square), 25, eta: 0.05, lambda: wd);
        var expected = Reference(x, y, w0, 25, 0.05, mu, damp, nesterov, wd);
        for (int j = 0; j < D; j++) Assert.Equal(expected[j], model.Flat[j], 1e-13);
    }

    [Fact]
    public void FirstStepIsPlainGdAndTheBufferResumesBitIdentically()
    {
        var data = Fixtures.Random(N, D, 6);
        double[] w0 = [0.1, 0.2, 0.3];
        var a = Fixtures.Linear(D, w0); var g = Fixtures.Linear(D, w0);
        Fixtures.Run(new MomentumSgd<double>(0.9), new Objective<double>(a, data, LossKind.Square), 1, eta: 0.1);
        Fixtures.Run(new Gd<double>(), new Objective<double>(g, data, LossKind.Square), 1, eta: 0.1);
        Assert.Equal(g.Flat, a.Flat);

        // 10 steps in one go == 4 steps, save, restore into a fresh optimizer, 6 more
        var whole = Fixtures.Linear(D, w0);
        Fixtures.Run(new MomentumSgd<double>(0.9, 0, true), new Objective<double>(whole, data, LossKind.Square), 10, eta: 0.05);
        var part = Fixtures.Linear(D, w0);
        var first = new MomentumSgd<double>(0.9, 0, true);
        var objective = new Objective<double>(part, data, LossKind.Square);
        first.Initialize(objective);
        for (int t = 0; t < 4; t++) first.Step(objective, ReadOnlySpan<int>.Empty, new StepContext(t, 0.05, 0));
        var state = new Dictionary<string, double[]>();
        first.SaveState(state);
        var second = new MomentumSgd<double>(0.9, 0, true);
        second.Initialize(objective);
        second.LoadState(state);
        for (int t = 4; t < 10; t++) second.Step(objective, ReadOnlySpan<int>.Empty, new StepContext(t, 0.05, 0));
        Assert.Equal(whole.Flat, part.Flat);
    }

    [Theory]
    [InlineData(1.0, 0.0, false, "momentum must be in (0, 1)")]
    [InlineData(0.9, 1.0, false, "dampening must be in [0, 1)")]
    [InlineData(0.9, 0.1, true, "nesterov momentum needs dampening 0")]
    public void OutOfRangeSettingsAreRefused(double mu, double damp, bool nesterov, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new MomentumSgd<double>(mu, damp, nesterov));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ConfigKeysReachItAndBadOnesNameTheKey()
    {
        var baseYaml = """
            dtype: f64
            model: { mlp: { widths: [10, 1], activation: identity } }
            data: { train: { name: separable, n: 20, d: 10 } }
            loss: { kind: logistic }
            stop: { steps: 3 }
            """;
        var cfg = TrainConfigYaml.Parse(baseYaml + "\nalgorithm: { name: sgd, eta: 0.1, batch_size: 5, momentum: 0.9, nesterov: true }", "cfg.yaml");
        Assert.Equal("sgd_nesterov", TrainerAlgorithms.Create<double>(cfg).Name);
        cfg = TrainConfigYaml.Parse(baseYaml + "\nalgorithm: { name: gd, eta: 0.1 }", "cfg.yaml");
        Assert.Equal("gd", TrainerAlgorithms.Create<double>(cfg).Name);
        cfg = TrainConfigYaml.Parse(baseYaml + "\nalgorithm: { name: gd, eta: 0.1, momentum: 1.5 }", "cfg.yaml");
        var e = Assert.Throws<TrainConfigException>(() => TrainerAlgorithms.Create<double>(cfg));
        Assert.Contains("algorithm.momentum", e.Message);
        cfg = TrainConfigYaml.Parse(baseYaml + "\nalgorithm: { name: gd, eta: 0.1, nesterov: true }", "cfg.yaml");
        e = Assert.Throws<TrainConfigException>(() => TrainerAlgorithms.Create<double>(cfg));
        Assert.Contains("algorithm.nesterov", e.Message);
    }
}
