using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

public class TrainerStoppingTests
{
    [Fact]
    public void TimeRuleStopsWhenSumOfEtaReachesT()
    {
        // GD advances t by eta per step: eta = 0.25, time 1 -> exactly 4 steps (binary fractions, no rounding).
        var cfg = TrainerTestConfigs.Tiny(eta: 0.25) with { Stop = new StoppingRules { Time = 1.0 } };
        var r = new Trainer<double>(cfg).Run();
        Assert.Equal("time", r.Reason);
        Assert.Equal(4, r.Steps);
        Assert.Equal(1.0, r.Time);
    }

    [Fact]
    public void LossRuleEndsGdWhereTheLossCrossesTheThreshold()
    {
        const double threshold = 0.3;
        var cfg = TrainerTestConfigs.Tiny(eta: 0.5) with { Stop = new StoppingRules { Steps = 5000, Loss = threshold } };
        var r = new Trainer<double>(cfg).Run();
        Assert.Equal(TrainerStatus.Completed, r.Status);
        Assert.Equal("loss", r.Reason);
        long k = r.Steps;
        Assert.True(k > 2);
        // the last step is shortened to land on the threshold (within 0.01%)
        Assert.InRange(r.Final["train_loss"], threshold * Math.Exp(-2e-4), threshold);
        // Independent runs with a fixed step budget: L(W_k) <= threshold < L(W_{k-1}).
        double Final(long steps) => new Trainer<double>(cfg with { Stop = new StoppingRules { Steps = steps } }).Run().Final["train_loss"];
        Assert.True(Final(k) <= threshold);
        Assert.True(Final(k - 1) > threshold);
    }

    [Fact]
    public void LossRuleWithMomentumStopsAfterTheStepThatStartedBelowTheThreshold()
    {
        // algorithms whose step is not a straight segment without state keep the plain rule
        const double threshold = 0.3;
        var cfg = TrainerTestConfigs.Tiny(eta: 0.2) with
        {
            Algorithm = new AlgorithmConfig { Name = "gd", Eta = 0.2, Options = new Dictionary<string, string> { ["momentum"] = "0.5" } },
            Stop = new StoppingRules { Steps = 5000, Loss = threshold },
        };
        var r = new Trainer<double>(cfg).Run();
        Assert.Equal("loss", r.Reason);
        long k = r.Steps;
        Assert.True(k > 2);
        double Final(long steps) => new Trainer<double>(cfg with { Stop = new StoppingRules { Steps = steps } }).Run().Final["train_loss"];
        Assert.True(Final(k - 1) <= threshold);
        Assert.True(Final(k - 2) > threshold);
        Assert.False(r.Final.ContainsKey("last_step_fraction"));
    }

    [Fact]
    public void AccuracyAndGammaRulesStopWithTheirNames()
    {
        var acc = new Trainer<double>(TrainerTestConfigs.Tiny(eta: 0.5) with { Stop = new StoppingRules { Steps = 5000, TrainAccuracy = 1.0 } }).Run();
        Assert.Equal("train_acc", acc.Reason);
        Assert.True(acc.Steps < 5000);

        var cfg = TrainerTestConfigs.Tiny(eta: 0.5) with { Stop = new StoppingRules { Steps = 5000, Gamma = 1e-3 } };
        var g = new Trainer<double>(cfg).Run();
        Assert.Equal("gamma", g.Reason);
        Assert.True(g.Final["gamma_min"] >= 1e-3);
        // one step fewer has not reached it (margins checked after every step)
        var before = new Trainer<double>(cfg with { Stop = new StoppingRules { Steps = g.Steps - 1 } }).Run();
        Assert.True(before.Final["gamma_min"] < 1e-3);
    }

    [Fact]
    public void GammaEqualsMinMarginOverProductOfFrobeniusNorms()
    {
        var t = new Trainer<double>(TrainerTestConfigs.Tiny(steps: 20));
        var r = t.Run();
        var last = r.Rows[^1];
        // ||W_k||_F from the weights themselves, each against its column layer.{k}.frobenius
        var ws = t.Model.Weights;
        double F(int k) { double s = 0; foreach (double v in ws[k].Value.Span) s += v * v; return Math.Sqrt(s); }
        Assert.Equal(2, ws.Count);
        Assert.Equal(F(0), last["layer.0.frobenius"], 12);
        Assert.Equal(F(1), last["layer.1.frobenius"], 12);
        double rho = F(0) * F(1);
        // bit for bit: the probe's rho is the product of the same double-accumulated norms, formed in layer order (Rho.Product)
        Assert.Equal(rho, last["rho"]);
        Assert.Equal(Gradscope.Measures.Rho.Product([last["layer.0.frobenius"], last["layer.1.frobenius"]]), last["rho"]);
        // min margin recomputed from Sequential.Predict
        var x = new Gradscope.Tensors.Tensor<double>([t.Train.N, t.Train.D]);
        t.Train.X.CopyTo(x.Span);
        var z = t.Model.Predict(x).Span;
        double min = double.PositiveInfinity;
        for (int i = 0; i < t.Train.N; i++) min = Math.Min(min, (t.Train.Y[i] == 1 ? 1 : -1) * z[i]);
        Assert.Equal(min, last["margin.min"], 12);
        Assert.Equal(min / rho, last["gamma_min"], 12);
        // the error: the misclassified share counted from the same outputs
        int wrong = 0;
        for (int i = 0; i < t.Train.N; i++) if ((z[i] > 0 ? 1 : 0) != t.Train.Y[i]) wrong++;
        Assert.Equal(wrong / (double)t.Train.N, last["train_error"], 15);
        Assert.Equal(last["train_error"], r.Final["train_error"]);
    }
}
