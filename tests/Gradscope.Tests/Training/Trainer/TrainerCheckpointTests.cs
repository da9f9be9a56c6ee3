using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

public class TrainerCheckpointTests
{
    private static byte[] Model(string dir) => File.ReadAllBytes(Path.Combine(dir, "model.safetensors"));

    [Theory]
    [InlineData("f64", 0)]
    [InlineData("f32", 6)]
    public void InterruptedAndResumedRunEqualsUninterruptedBitForBit(string dtype, int batch)
    {
        var cfg = TrainerTestConfigs.Tiny(batch == 0 ? "gd" : "sgd", batch, steps: 60, dtype: dtype);
        string a = TrainerTestConfigs.TempDir(), b = TrainerTestConfigs.TempDir();
        try
        {
            var full = TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = a });
            // interrupted at step 25: the latest checkpoint is at step 21 (checkpoint_every 7), steps 22..25 are redone
            var part = TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = b, StopAfterSteps = 25 });
            Assert.Equal(TrainerStatus.Interrupted, part.Status);
            File.AppendAllText(Path.Combine(b, "metrics.csv"), "garbage row written after the checkpoint\n");
            var resumed = TrainerRunner.Resume(b, new TrainerRunOptions());
            Assert.Equal(TrainerStatus.Completed, resumed.Status);
            Assert.Equal(Model(a), Model(b));
            Assert.Equal(full.Final["train_loss"], resumed.Final["train_loss"]);
            // metrics rows are identical apart from wall-clock seconds
            static string[] Strip(string dir) => File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Select(l => { var c = l.Split(','); c[2] = ""; return string.Join(",", c); }).ToArray();
            Assert.Equal(Strip(a), Strip(b));
        }
        finally { Directory.Delete(a, true); Directory.Delete(b, true); }
    }

    [Fact]
    public void CheckpointRoundTripsEveryField()
    {
        var t = new Trainer<float>(TrainerTestConfigs.Tiny("sgd", 6, dtype: "f32"));
        for (int i = 0; i < 11; i++) t.NextBatch();
        var state = t.CaptureState(12.5, (123, 456)) with { Step = 11, Time = 0.1 * 11 };
        string dir = TrainerTestConfigs.TempDir();
        try
        {
            Checkpoint.Save(dir, "abc123abc123abc123", state, keep: false);
            var back = Checkpoint.Load(dir, "abc123abc123abc123");
            Assert.Equal(state.Step, back.Step);
            Assert.Equal(state.Time, back.Time);
            Assert.Equal(12.5, back.WallSeconds);
            Assert.Equal(state.Epoch, back.Epoch);
            Assert.Equal(state.Cursor, back.Cursor);
            Assert.Equal(state.Order, back.Order);
            Assert.Equal(state.Rng, back.Rng);
            Assert.Equal((123L, 456L), back.MetricsLengths);
            Assert.Equal(state.Weights.Select(w => w.Data), back.Weights.Select(w => w.Data));
            Assert.Equal(Gradscope.IO.SafeTensorDType.F32, back.Weights[0].DType);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ResumeRejectsChangedConfigOldFormatForeignAndTruncatedCheckpointsWithoutWriting()
    {
        var cfg = TrainerTestConfigs.Tiny(steps: 40);
        string dir = TrainerTestConfigs.TempDir(), other = TrainerTestConfigs.TempDir();
        try
        {
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = dir, StopAfterSteps = 15 });
            TrainerRunner.Start(cfg with { Seed = 99 }, new TrainerRunOptions { RunDirectory = other, StopAfterSteps = 15 });
            string configPath = Path.Combine(dir, "config.yaml");
            string original = File.ReadAllText(configPath);

            // a different config
            File.WriteAllText(configPath, original.Replace("eta: 0.1", "eta: 0.2"));
            var snap = RunDirectoryRecoveryTests.Snapshot(dir);
            Assert.Contains("different configuration", Assert.Throws<InvalidDataException>(() => TrainerRunner.Resume(dir, new TrainerRunOptions())).Message);
            RunDirectoryRecoveryTests.AssertUnchanged(snap, dir);
            File.WriteAllText(configPath, original);

            // a different seed override
            Assert.Contains("different configuration", Assert.Throws<InvalidDataException>(() => TrainerRunner.Resume(dir, new TrainerRunOptions(), seed: 3)).Message);

            // a foreign run's checkpoint
            string latest = Path.Combine(dir, "checkpoints", "latest.json");
            string latestText = File.ReadAllText(latest);
            File.Copy(Path.Combine(other, "checkpoints", "latest.json"), latest, overwrite: true);
            snap = RunDirectoryRecoveryTests.Snapshot(dir);
            Assert.Contains("different configuration", Assert.Throws<InvalidDataException>(() => TrainerRunner.Resume(dir, new TrainerRunOptions())).Message);
            RunDirectoryRecoveryTests.AssertUnchanged(snap, dir);

            // an older format version
            File.WriteAllText(latest, latestText.Replace("\"version\": 1", "\"version\": 0"));
            Assert.Contains("format version 0", Assert.Throws<InvalidDataException>(() => TrainerRunner.Resume(dir, new TrainerRunOptions())).Message);

            // a truncated checkpoint file and a truncated latest.json
            File.WriteAllText(latest, latestText);
            string st = Directory.GetFiles(Path.Combine(dir, "checkpoints"), "*.safetensors").Single();
            var bytes = File.ReadAllBytes(st);
            File.WriteAllBytes(st, bytes[..(bytes.Length / 2)]);
            snap = RunDirectoryRecoveryTests.Snapshot(dir);
            Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => TrainerRunner.Resume(dir, new TrainerRunOptions())).Message);
            RunDirectoryRecoveryTests.AssertUnchanged(snap, dir);
            File.WriteAllText(latest, latestText[..(latestText.Length / 2)]);
            Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => TrainerRunner.Resume(dir, new TrainerRunOptions())).Message);

            // a directory that already holds a run cannot be started again
            Assert.Throws<InvalidOperationException>(() => TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = dir }));
        }
        finally { Directory.Delete(dir, true); Directory.Delete(other, true); }
    }
}
