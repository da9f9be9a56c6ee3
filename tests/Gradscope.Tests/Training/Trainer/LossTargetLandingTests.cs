using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

/// <summary>
/// A loss target with GD or loss-scaled GD ends where the loss crosses the target (the last step shortened), checked
/// against an independent re-implementation of loss-scaled GD on linear logistic regression with separable data,
/// where the loss of every iterate has the closed form mean_i log(1 + exp(-y_i w.x_i)).
/// </summary>
public class LossTargetLandingTests
{
    static TrainConfig Linear(string algorithm, double eta, double target, long steps = 5000) =>
        TrainerTestConfigs.Tiny(algorithm: algorithm, eta: eta) with
        {
            Model = new ModelConfig { Mlp = new MlpConfig { Widths = [5, 1] } },
            Stop = new StoppingRules { Steps = steps, Loss = target },
        };

    // the logistic loss and its gradient of the bias-free linear model w on the trainer's data, computed here
    static (double L, double[] Grad) LossAndGrad(double[] w, Gradscope.Data.Dataset data)
    {
        int n = data.N, d = data.D;
        double l = 0;
        var g = new double[d];
        for (int i = 0; i < n; i++)
        {
            double y = data.Y[i] == 1 ? 1 : -1, m = 0;
            for (int j = 0; j < d; j++) m += w[j] * data.X[i * d + j];
            m *= y;
            l += m > 0 ? Math.Log(1 + Math.Exp(-m)) : -m + Math.Log(1 + Math.Exp(m));
            double sig = 1 / (1 + Math.Exp(m));   // -dl/dm
            for (int j = 0; j < d; j++) g[j] -= y * data.X[i * d + j] * sig;
        }
        for (int j = 0; j < d; j++) g[j] /= n;
        return (l / n, g);
    }

    [Theory]
    [InlineData("loss_scaled_gd", 0.5, 1e-3)]
    [InlineData("gd", 4.0, 0.05)]
    public void RunEndsOnTheSegmentOfTheCrossingStepWithTheLossAtTheTarget(string algorithm, double eta, double target)
    {
        var cfg = Linear(algorithm, eta, target);
        var t = new Trainer<double>(cfg);
        var data = t.Train;
        var w = t.Model.Flat.ToArray();
        Assert.Equal(data.D, w.Length);
        // independent GD iterates until the first one at or below the target
        var iterates = new List<double[]> { (double[])w.Clone() };
        var losses = new List<double>();
        while (true)
        {
            var (l, g) = LossAndGrad(iterates[^1], data);
            losses.Add(l);
            if (l <= target) break;
            double scale = algorithm == "loss_scaled_gd" ? eta / l : eta;
            iterates.Add(iterates[^1].Select((x, j) => x - scale * g[j]).ToArray());
            Assert.True(iterates.Count < 4000);
        }
        int k = iterates.Count - 1;   // first iterate with L <= target
        Assert.True(k >= 2);
        // the fixture needs a real landing: the first iterate below the target is not already at it
        Assert.True(Math.Log(target / losses[k]) > 1e-3, $"L(w_k) = {losses[k]} is already at the target {target}");

        var r = t.Run();
        Assert.Equal("loss", r.Reason);
        Assert.Equal(k, r.Steps);
        var wf = t.Model.Flat.ToArray();
        double lf = LossAndGrad(wf, data).L;
        Assert.True(lf <= target * (1 + 1e-12), $"final loss {lf} above the target {target}");
        Assert.True(lf >= target * Math.Exp(-2e-4), $"final loss {lf} not at the target {target}");
        Assert.Equal(lf, r.Final["train_loss"], 1e-12);
        // the final weights lie on the segment [w_k-1, w_k] at the fraction the run reports, and time = (k - 1 + s) eta
        double s = r.Final["last_step_fraction"];
        Assert.InRange(s, 1e-9, 1.0);
        var a = iterates[k - 1]; var b = iterates[k];
        for (int j = 0; j < wf.Length; j++) Assert.Equal(a[j] + s * (b[j] - a[j]), wf[j], 1e-9);
        Assert.Equal((k - 1 + s) * eta, r.Time, 1e-9);
    }

    [Fact]
    public void ProbeAtTheCrossingStepLandsWithoutWritingARowPastTheTarget()
    {
        // probes at every step: the crossing is seen by the probe of w_k, and no metrics row has a loss below the landing
        var cfg = Linear("loss_scaled_gd", 0.5, 1e-3) with { Probes = new ProbeConfig { Every = 1 } };
        var r = new Trainer<double>(cfg).Run();
        Assert.Equal("loss", r.Reason);
        Assert.True(r.Final["train_loss"] >= 1e-3 * Math.Exp(-2e-4) && r.Final["train_loss"] <= 1e-3);
        Assert.All(r.Rows, row => Assert.True(row["train_loss"] >= r.Final["train_loss"] * (1 - 1e-12)));
        Assert.Equal(r.Steps, (long)r.Rows[^1]["step"]);
        // the same run without probes lands at the same point
        var quiet = new Trainer<double>(Linear("loss_scaled_gd", 0.5, 1e-3)).Run();
        Assert.Equal(quiet.Steps, r.Steps);
        Assert.Equal(quiet.Final["train_loss"], r.Final["train_loss"], 1e-9);
    }

    [Fact]
    public void TargetMetAtInitEndsAtInitWithZeroSteps()
    {
        var t = new Trainer<double>(Linear("loss_scaled_gd", 2.0, 10.0));
        var w0 = t.Model.Flat.ToArray();
        var r = t.Run();
        Assert.Equal("loss", r.Reason);
        Assert.Equal(0, r.Steps);
        Assert.Equal(0.0, r.Time);
        Assert.Equal(w0, t.Model.Flat.ToArray());
    }
}
