using System.Text.Json;
using Gradscope.Measures.PacBayes;
using Gradscope.Tests.Training.Trainer;

namespace Gradscope.Tests.Cli;

public class BoundCommandTests
{
    private const string Config = """
        seed: 3
        dtype: f64
        model:
          mlp: {widths: [64, 32, 1], activation: relu, bias: true}
          init: {scheme: pytorch}
        data:
          train: {name: optdigits-train, scale: 0.0625}
          test: {name: optdigits-test, scale: 0.0625}
          binary: [0, 1]
        loss: {kind: logistic}
        algorithm: {name: sgd, eta: 0.05, batch_size: 20, momentum: 0.9}
        stop: {steps: 400}
        probes: {every: 100, checkpoint_every: 1000, keep_checkpoints: true}
        """;

    [Fact]
    public void BoundOnATrainRunIsWrittenWithEveryTerm()
    {
        string root = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            string cfg = Path.Combine(root, "c.yaml"), run = Path.Combine(root, "run");
            File.WriteAllText(cfg, Config);
            var (code, _, err) = CliProcess.Run($"train \"{cfg}\" --out \"{run}\" --threads 1");
            Assert.True(code == 0, err);
            (code, var output, err) = CliProcess.Run($"bound pac-bayes --run \"{run}\" --iterations 300 --lr 0.003 --sigma-lr 0.01 --mc-passes 3");
            Assert.True(code == 0, err);
            Assert.Contains("PAC-Bayes bound", output);
            Assert.Contains("step-0000000000.safetensors", err);   // the prior mean came from the step-0 checkpoint
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "pac-bayes", "bound.json")));
            var j = doc.RootElement;
            foreach (var key in new[] { "bound", "kl", "train_error_mc_bound", "test_error_stochastic", "test_error_deterministic", "seconds", "lambda", "delta", "delta_prime", "m" })
                Assert.True(j.TryGetProperty(key, out _), key);
            double bound = j.GetProperty("bound").GetDouble();
            Assert.InRange(bound, j.GetProperty("test_error_stochastic").GetDouble(), 1.0);
            // recompute the final step from the reported terms
            double budget = (j.GetProperty("kl").GetDouble() + j.GetProperty("union_cost").GetDouble() + j.GetProperty("confidence_term").GetDouble()) / j.GetProperty("n").GetInt32();
            Assert.Equal(BernoulliKl.Inverse(j.GetProperty("train_error_mc_bound").GetDouble(), budget), bound, 9);
            // The same numbers under the registry's keys, read by MeasureFile as a measures.json is read.
            var m = Gradscope.Measures.Registry.MeasureFile.Read(Path.Combine(run, "pac-bayes", "bound.json")).Values;
            foreach (var (flat, key) in new[] { ("bound", "pacbayes.bound"), ("kl", "pacbayes.kl"), ("train_error_mc_bound", "pacbayes.train_error_mc_bound"), ("lambda", "pacbayes.lambda"),
                ("budget", "pacbayes.budget"), ("test_error_stochastic", "pacbayes.test_error_stochastic"), ("train_error_deterministic", "train_error"), ("parameters", "n_params") })
                Assert.Equal(j.GetProperty(flat).GetDouble(), m[key]);
            Assert.Equal(j.GetProperty("m").GetDouble(), m["pacbayes.mc_trials"]);
            Assert.Equal(j.GetProperty("j").GetDouble(), m["pacbayes.grid_index"]);
            Assert.All(m.Keys, k => Assert.NotNull(Gradscope.Measures.Registry.MeasureRegistry.Find(k)));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void BadInputGetsAMessageAndNoBound()
    {
        var (code, _, err) = CliProcess.Run("bound pac-bayes --setting T-601");
        Assert.Equal(1, code);
        Assert.Contains("unknown setting 'T-601'", err);
        (code, _, err) = CliProcess.Run("bound pac-bayes --setting T-600 --delta 1.5");
        Assert.Equal(1, code);
        Assert.Contains("delta must lie in (0, 1)", err);
        (code, _, err) = CliProcess.Run("bound pac-bayes --setting R-600 --epochs 0");
        Assert.Equal(1, code);
        Assert.Contains("--epochs must be >= 1, got 0", err);
        (code, _, err) = CliProcess.Run("bound pac-bayes --run /nonexistent/run");
        Assert.Equal(1, code);
        Assert.Contains("no config.yaml", err);
        Assert.DoesNotContain("   at ", err);
    }
}
