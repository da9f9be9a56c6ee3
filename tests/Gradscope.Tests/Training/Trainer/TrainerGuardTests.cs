using System.Text.RegularExpressions;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

public class TrainerGuardTests
{
    [Fact]
    public void DivergingRunStopsNamingStepAndTensorAndKeepsLastGoodCheckpoint()
    {
        // square loss with a huge step size: the weights grow geometrically until they overflow
        var cfg = TrainerTestConfigs.Tiny(loss: "square", eta: 50, steps: 10_000) with { Probes = new ProbeConfig { Every = 0, CheckpointEvery = 3 } };
        string dir = TrainerTestConfigs.TempDir();
        try
        {
            var r = TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = dir });
            Assert.Equal(TrainerStatus.NonFinite, r.Status);
            Assert.Matches(new Regex(@"^non-finite (loss at step \d+: L = |gradient at step \d+: gradient of parameter '\d\.weight'|weight at step \d+: weight of parameter '\d\.weight')"), r.Reason);
            Assert.True(r.Steps < 10_000);
            Assert.Contains("\"status\": \"non_finite\"", File.ReadAllText(Path.Combine(dir, "final.json")));
            Assert.False(File.Exists(Path.Combine(dir, "model.safetensors")));
            // the kept checkpoint is finite and loads
            var state = Checkpoint.Load(dir, TrainConfigWriter.Hash(cfg));
            Assert.True(state.Step <= r.Steps);
            Assert.All(state.Weights.SelectMany(w => w.Data), v => Assert.True(double.IsFinite(v)));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void NanInWeightsStopsTheFirstStep()
    {
        var t = new Trainer<double>(TrainerTestConfigs.Tiny(steps: 5));
        t.Model.Flat[t.Model["2.weight"].Offset + 3] = double.NaN;
        var r = t.Run();
        Assert.Equal(TrainerStatus.NonFinite, r.Status);
        // the NaN weight makes the loss NaN in the first step
        Assert.StartsWith("non-finite loss at step 0", r.Reason);
    }
}
