using System.Diagnostics;
using Gradscope.Tests.Training.Trainer;
using Xunit.Abstractions;

namespace Gradscope.Tests.Cli;

/// <summary>The uninterrupted reference run the kill trials compare with (the real CLI, run once per class).</summary>
public sealed class KillTrialReference : IDisposable
{
    public const long Steps = 20000;
    public string Root { get; } = Directory.CreateTempSubdirectory("gs-kill-").FullName;
    public string Config => Path.Combine(Root, "c.yaml");
    public string Reference => Path.Combine(Root, "reference");

    public KillTrialReference()
    {
        File.WriteAllText(Config, TrainerTestConfigs.YamlTiny
            .Replace("stop: {steps: 60}", $"stop: {{steps: {Steps}}}")
            .Replace("probes: {every: 20, checkpoint_every: 5}", "probes: {every: 1000, checkpoint_every: 373}"));
        var (code, _, err) = CliProcess.Run($"train \"{Config}\" --out \"{Reference}\"");
        if (code != 0) throw new InvalidOperationException("reference run failed: " + err);
    }

    public void Dispose() { try { Directory.Delete(Root, true); } catch (IOException) { } }
}

/// <summary>
/// Fault trials against the real CLI: `train` is SIGKILLed (up to three times per trial: as soon as config.yaml
/// appears, i.e. before or during the first checkpoint; as soon as the final checkpoint appears, i.e. after the last
/// checkpoint and before final.json; and at a seeded random moment), then continued with `train --resume` (or started
/// again when no directory is left) until it completes. Final weights and metrics.csv/jsonl (wall-clock column aside)
/// must equal the uninterrupted run's byte for byte, and no temporary file may remain.
/// </summary>
public class TrainKillTests(KillTrialReference r, ITestOutputHelper output) : IClassFixture<KillTrialReference>
{
    private string Command(string run) => File.Exists(Path.Combine(run, "config.yaml"))
        ? $"train --resume \"{run}\""
        : $"train \"{r.Config}\" --out \"{run}\"";

    private static string Classify(string run)
    {
        if (!Directory.Exists(run)) return "no directory";
        if (File.Exists(Path.Combine(run, "final.json"))) return "finished";
        string latest = Path.Combine(run, "checkpoints", "latest.json");
        if (!File.Exists(latest)) return File.Exists(Path.Combine(run, "config.yaml")) ? "config, no checkpoint" : "empty directory";
        string text = File.ReadAllText(latest);
        return text.Contains($"\"step\": {KillTrialReference.Steps},") ? "after the final checkpoint" : "mid-run checkpoint";
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void SigkillAtRandomPointsThenResumeEqualsTheUninterruptedRun(int trial)
    {
        var rng = new Random(trial);
        string run = Path.Combine(r.Root, $"trial-{trial}");
        var outcomes = new List<string>();
        for (int k = 0; k < 3 && !File.Exists(Path.Combine(run, "final.json")); k++)
        {
            string mode = ((trial + k) % 3) switch { 0 => "at config.yaml", 1 => "at the final checkpoint", _ => "random" };
            int delay = rng.Next(0, 1800);
            using var p = CliProcess.Start(Command(run));
            var watch = Stopwatch.StartNew();
            string cfg = Path.Combine(run, "config.yaml"), latest = Path.Combine(run, "checkpoints", "latest.json");
            while (!p.HasExited && watch.Elapsed < TimeSpan.FromSeconds(60))
            {
                bool now = mode switch
                {
                    "at config.yaml" => File.Exists(cfg),
                    "at the final checkpoint" => File.Exists(latest) && SafeRead(latest).Contains($"\"step\": {KillTrialReference.Steps},"),
                    _ => watch.ElapsedMilliseconds >= delay,
                };
                if (now) break;
                Thread.Sleep(1);
            }
            bool killed = !p.HasExited;
            if (killed) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            outcomes.Add($"{mode}: {(killed ? "killed" : "exited " + p.ExitCode)} -> {Classify(run)}");
            if (!killed) Assert.Equal(0, p.ExitCode);
        }
        if (!File.Exists(Path.Combine(run, "final.json")))
        {
            var (code, _, err) = CliProcess.Run(Command(run));
            Assert.True(code == 0, err);
        }
        output.WriteLine($"trial {trial}: " + string.Join("; ", outcomes));

        Assert.Equal(File.ReadAllBytes(Path.Combine(r.Reference, "model.safetensors")), File.ReadAllBytes(Path.Combine(run, "model.safetensors")));
        Assert.Equal(RunDirectoryRecoveryTests.StripCsv(r.Reference), RunDirectoryRecoveryTests.StripCsv(run));
        Assert.Equal(RunDirectoryRecoveryTests.StripJsonl(r.Reference), RunDirectoryRecoveryTests.StripJsonl(run));
        Assert.Contains("\"status\": \"completed\"", File.ReadAllText(Path.Combine(run, "final.json")));
        Assert.Empty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories));
    }

    private static string SafeRead(string path)
    {
        try { return File.ReadAllText(path); } catch (IOException) { return ""; }
    }
}
