using System.Diagnostics;
using Gradscope.Tests.Training.Trainer;

namespace Gradscope.Tests.Cli;

/// <summary>SIGTERM and SIGINT stop `train` with its interrupt checkpoint and exit code 4; `--resume` then equals the uninterrupted run.</summary>
public class TrainSignalTests(KillTrialReference r) : IClassFixture<KillTrialReference>
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public void ASignalWritesTheCheckpointExitsFourAndResumesBitIdentically(string signal)
    {
        string run = Path.Combine(r.Root, $"signal-{signal}");
        using (var p = CliProcess.Start($"train \"{r.Config}\" --out \"{run}\""))
        {
            // wait until the run is past its first checkpoint, then signal it
            var watch = Stopwatch.StartNew();
            string latest = Path.Combine(run, "checkpoints", "latest.json");
            while (!p.HasExited && !File.Exists(latest) && watch.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            Assert.False(p.HasExited, "the run finished before it could be signalled");
            using (var kill = Process.Start("kill", $"-{signal} {p.Id}")!) kill.WaitForExit();
            Assert.True(p.WaitForExit(60_000), "the run did not stop after the signal");
            string stdout = p.StandardOutput.ReadToEnd();
            Assert.False(File.Exists(Path.Combine(run, "final.json")), "the signal came after the last step (the run is 20,000 steps: it should not)");
            Assert.Equal(4, p.ExitCode);
            Assert.Contains("interrupted at step", stdout);
            Assert.Contains("resume with", stdout);
        }
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "latest.json")));
        var (code, _, err) = CliProcess.Run($"train --resume \"{run}\"");
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(r.Reference, "model.safetensors")), File.ReadAllBytes(Path.Combine(run, "model.safetensors")));
        Assert.Equal(RunDirectoryRecoveryTests.StripCsv(r.Reference), RunDirectoryRecoveryTests.StripCsv(run));
        Assert.Equal(RunDirectoryRecoveryTests.StripJsonl(r.Reference), RunDirectoryRecoveryTests.StripJsonl(run));
    }
}
