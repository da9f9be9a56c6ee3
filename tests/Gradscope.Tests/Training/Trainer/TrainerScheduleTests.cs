using Gradscope.Losses;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

public class TrainerScheduleTests
{
    [Fact]
    public void StepDecayFollowsClosedForm()
    {
        var s = new Schedule(ScheduleKind.Step, 1.0, factor: 0.5, every: 10);
        Assert.Equal(1.0, s.At(0));
        Assert.Equal(1.0, s.At(9));
        Assert.Equal(0.5, s.At(10));
        Assert.Equal(0.25, s.At(25));
        Assert.Equal(0.125, s.At(30));
    }

    [Fact]
    public void CosineHitsEtaHalfwayAndMin()
    {
        var s = new Schedule(ScheduleKind.Cosine, 0.4, total: 100, minEta: 0.1);
        Assert.Equal(0.4, s.At(0), 15);
        Assert.Equal(0.25, s.At(50), 15);        // (0.4 + 0.1) / 2
        Assert.Equal(0.1 + 0.3 * (1 + Math.Cos(Math.PI / 4)) / 2, s.At(25), 15);
        Assert.Equal(0.1, s.At(100), 15);
        Assert.Equal(0.1, s.At(1000), 15);
        Assert.Equal(0.4, new Schedule(ScheduleKind.Constant, 0.4).At(12345));
    }

    [Fact]
    public void BadScheduleValuesThrow()
    {
        Assert.Throws<ArgumentException>(() => new Schedule(ScheduleKind.Constant, -1));
        Assert.Throws<ArgumentException>(() => new Schedule(ScheduleKind.Step, 1, factor: 0));
        Assert.Throws<ArgumentException>(() => new Schedule(ScheduleKind.Cosine, 1, total: 10, minEta: 2));
    }

    [Fact]
    public void LossScaledStepIsEtaOverLTimesGradL()
    {
        // Independent computation: one full-batch gradient of L at W_0, then W_1 = W_0 - (eta / L) grad L.
        var cfg = TrainerTestConfigs.Tiny(loss: "exponential", steps: 1, eta: 0.3) with { Schedule = new ScheduleConfig { Kind = ScheduleKind.LossScaled } };
        var reference = new Trainer<double>(cfg);
        var eval = reference.Objective.Evaluate(ReadOnlySpan<int>.Empty, LossOutput.Value);
        var w0 = reference.Model.SnapshotParameters();
        var g = (double[])reference.Model.FlatGrad.Clone();
        var trained = new Trainer<double>(cfg);
        trained.Run();
        for (int i = 0; i < w0.Length; i++)
            Assert.Equal(w0[i] - 0.3 / eval.L * g[i], trained.Model.Flat[i], 12);
    }
}
