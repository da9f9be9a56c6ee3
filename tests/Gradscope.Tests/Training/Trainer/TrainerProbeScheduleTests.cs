using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

public class TrainerProbeScheduleTests
{
    [Fact]
    public void LogSpacedStepsArePowersOfTenToTheJOverK()
    {
        // k = 3: round(10^(j/3)) = 1, 2, 5, 10, 22, 46, 100, 215, 464, 1000
        Assert.Equal(new long[] { 0, 1, 2, 5, 10, 22, 46, 100, 215, 464, 1000 }, new ProbeSchedule(0, 3).StepsUpTo(1000));
        Assert.Equal(new long[] { 0, 1, 10, 100, 1000, 1234 }, new ProbeSchedule(0, 1).StepsUpTo(1234));
    }

    [Fact]
    public void EveryAndLogSpacedCombineWithFirstAndLast()
    {
        Assert.Equal(new long[] { 0, 1, 10, 25, 50, 75, 77 }, new ProbeSchedule(25, 1).StepsUpTo(77));
        Assert.Equal(new long[] { 0, 13 }, new ProbeSchedule(0, 0).StepsUpTo(13));
    }

    [Fact]
    public void TrainerProbesExactlyAtScheduledSteps()
    {
        var cfg = TrainerTestConfigs.Tiny(steps: 120) with { Probes = new ProbeConfig { Every = 50, PerDecade = 2, CheckpointEvery = 0 } };
        var result = new Trainer<double>(cfg).Run();
        var steps = result.Rows.Select(r => (long)r["step"]).ToArray();
        // round(10^(j/2)) = 1, 3, 10, 32, 100
        Assert.Equal(new long[] { 0, 1, 3, 10, 32, 50, 100, 120 }, steps);
        Assert.Equal(steps, new ProbeSchedule(50, 2).StepsUpTo(120));
    }
}

public class TrainerProbeProviderTests
{
    private sealed class ParameterCountProbe<T>(int p) : IProbe<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        public IReadOnlyList<string> Keys { get; } = ["params"];
        public void Measure(ProbeContext<T> context, MetricRow row) => row.Set("params", p);
    }

    private sealed class Provider : IProbeProvider
    {
        public IEnumerable<IProbe<T>> Create<T>(Gradscope.Training.Trainer<T> trainer) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
            => [new ParameterCountProbe<T>(trainer.Model.ParameterCount)];
    }

    [Fact]
    public void ProvidedProbeKeysJoinTheCsvHeader()
    {
        string dir = TrainerTestConfigs.TempDir();
        try
        {
            TrainerRunner.Start(TrainerTestConfigs.Tiny(steps: 10, dtype: "f32"), new TrainerRunOptions { RunDirectory = dir, ProbeProviders = [new Provider()] });
            var lines = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            Assert.EndsWith(",gamma_min,params", lines[0]);
            Assert.EndsWith(",48", lines[^1]);   // P = 5 * 8 + 8 * 1
        }
        finally { Directory.Delete(dir, true); }
    }
}
