using System.Diagnostics;
using Gradscope.Tests.Training.Trainer;

namespace Gradscope.Tests.Cli;

/// <summary>Runs the built gradscope CLI as a real process (dotnet Gradscope.Cli.dll).</summary>
public class TrainCommandTests
{
    private static Process Start(string args, string? cwd = null) => CliProcess.Start(args, cwd);

    private static (int Code, string Out, string Err) Run(string args, string? cwd = null) => CliProcess.Run(args, cwd);

    [Fact]
    public void TrainsATinyNetAndWritesTheRunDirectory()
    {
        string root = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            string cfg = Path.Combine(root, "tiny.yaml"), run = Path.Combine(root, "run");
            File.WriteAllText(cfg, TrainerTestConfigs.YamlTiny);
            var (code, output, err) = Run($"train \"{cfg}\" --out \"{run}\" --threads 1");
            Assert.True(code == 0, err);
            Assert.Contains("done: 60 steps", output);
            foreach (var f in new[] { "config.yaml", "metrics.csv", "metrics.jsonl", "log.txt", "model.safetensors", "final.json", "checkpoints/latest.json" })
                Assert.True(File.Exists(Path.Combine(run, f)), f);
            Assert.Contains("\"status\": \"completed\"", File.ReadAllText(Path.Combine(run, "final.json")));
            Assert.StartsWith("step,t,wall_s,train_loss,train_log_loss,train_error", File.ReadAllLines(Path.Combine(run, "metrics.csv"))[0]);
            Assert.Equal(["0", "20", "40", "60"], File.ReadAllLines(Path.Combine(run, "metrics.csv")).Skip(1).Select(l => l.Split(',')[0]));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void ConfigErrorIsOneLineWithFileAndLine()
    {
        string root = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            string cfg = Path.Combine(root, "bad.yaml");
            File.WriteAllText(cfg, TrainerTestConfigs.YamlTiny.Replace("eta: 0.1", "eta: -1"));
            var (code, _, err) = Run("train bad.yaml --out run", cwd: root);
            Assert.Equal(1, code);
            Assert.Equal("error: bad.yaml:8: algorithm.eta: must be > 0, got -1", err.Trim());
            Assert.False(Directory.Exists(Path.Combine(root, "run")));
            var (code2, _, err2) = Run($"train --resume \"{Path.Combine(root, "nothing")}\"");
            Assert.Equal(2, code2);
            Assert.DoesNotContain("   at ", err2);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void SigkillThenResumeEqualsUninterruptedRunByteForByte()
    {
        string root = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            string yaml = TrainerTestConfigs.YamlTiny.Replace("stop: {steps: 60}", "stop: {steps: 3000}").Replace("checkpoint_every: 5", "checkpoint_every: 50");
            string cfg = Path.Combine(root, "c.yaml");
            File.WriteAllText(cfg, yaml);
            string a = Path.Combine(root, "a"), b = Path.Combine(root, "b");
            Assert.Equal(0, Run($"train \"{cfg}\" --out \"{a}\"").Code);

            using (var p = Start($"train \"{cfg}\" --out \"{b}\""))
            {
                // wait for a checkpoint past step 0, then kill without warning
                var latest = Path.Combine(b, "checkpoints", "latest.json");
                var sw = Stopwatch.StartNew();
                while (!p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(60))
                {
                    if (File.Exists(latest) && !File.ReadAllText(latest).Contains("\"step\": 0,")) break;
                    Thread.Sleep(20);
                }
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }
            Assert.False(File.Exists(Path.Combine(b, "model.safetensors")), "the run finished before it could be killed");
            var (code, output, err) = Run($"train --resume \"{b}\"");
            Assert.True(code == 0, err);
            Assert.Contains("done: 3000 steps", output);
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
        }
        finally { Directory.Delete(root, true); }
    }
}
