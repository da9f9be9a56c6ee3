using System.Globalization;
using System.Text.Json;
using Gradscope.Tests.Training.Trainer;

namespace Gradscope.Tests.Cli;

/// <summary>
/// gradscope measure --run on runs the real CLI trained: the run's own train/test accuracy and loss (final.json) are
/// reproduced exactly, the data rows are checked against data_indices.json, and bad run directories fail with clear errors.
/// </summary>
public class MeasureRunTests
{
    private static (int Code, string Out, string Err) Run(string args) => CliProcess.Run(args);

    // f32, per_class + standardize + label_noise, separate test set, kept checkpoints.
    private const string ConfigA = """
        dtype: f32
        seed: 3
        model: { mlp: { widths: [64, 32, 10], activation: relu }, init: { scheme: he } }
        data: { train: { name: optdigits-train, scale: 0.0625, per_class: 20 }, test: { name: optdigits-test, scale: 0.0625 }, standardize: true, label_noise: 0.1 }
        loss: { kind: cross_entropy }
        algorithm: { name: gd, eta: 0.2 }
        stop: { steps: 60 }
        probes: { every: 20, checkpoint_every: 20, keep_checkpoints: true }
        """;

    // f64, data.split + binary + subsample, one output.
    private const string ConfigB = """
        dtype: f64
        seed: 5
        model: { mlp: { widths: [64, 16, 1], activation: relu } }
        data: { train: { name: optdigits-train, scale: 0.0625 }, split: { test: 0.3 }, binary: [3, 8], subsample: 150 }
        loss: { kind: logistic }
        algorithm: { name: gd, eta: 0.1 }
        stop: { steps: 40 }
        """;

    private static string Train(string root, string name, string yaml)
    {
        string cfg = Path.Combine(root, name + ".yaml"), dir = Path.Combine(root, name);
        File.WriteAllText(cfg, yaml);
        var (code, _, err) = Run($"train \"{cfg}\" --out \"{dir}\" --threads 1");
        Assert.True(code == 0, err);
        return dir;
    }

    private static Dictionary<string, double> Numbers(JsonElement o)
    {
        var d = new Dictionary<string, double>();
        foreach (var p in o.EnumerateObject()) if (p.Value.ValueKind == JsonValueKind.Number) d[p.Name] = p.Value.GetDouble();
        return d;
    }

    private static Dictionary<string, double> Final(string dir) => Numbers(JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "final.json"))).RootElement);

    private static Dictionary<string, double> Measures(string path) =>
        Numbers(JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("measures"));

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void ReproducesTheRunsOwnAccuracyExactly(string which)
    {
        string root = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            string dir = Train(root, which, which == "a" ? ConfigA : ConfigB);
            var (code, output, err) = Run($"measure --run \"{dir}\" --spectra --outputs" + (which == "b" ? " --hessian exact" : ""));
            Assert.True(code == 0, err);
            var final = Final(dir);
            var m = Measures(Path.Combine(dir, "measures.json"));
            Assert.Equal(final["train_error"], m["run.train_error"]);
            Assert.Equal(final["test_error"], m["run.test_error"]);
            Assert.Equal(final["train_loss"], m["run.train_loss"]);
            Assert.Contains("reproduced exactly", output);
            Assert.DoesNotContain("DIFFERS", output);
            Assert.Contains("rows checked against data_indices.json", output);
            // The data selection the measures saw is the run's: n = 10 classes x 20 per class (a), the subsample of 150 (b).
            var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "measures.json"))).RootElement;
            Assert.Equal(which == "a" ? 200 : 150, doc.GetProperty("train").GetProperty("n").GetInt32());
            if (which == "b")
            {
                // f64: the suite's own float64 forward pass (a second route) agrees with the run's accuracy; split test part = 30% of 3s and 8s.
                Assert.Equal(final["train_error"], m["train_error"], 15);
                Assert.Equal(final["test_error"], m["test_error"], 15);
                // the registry's loss entries with the run's own loss (logistic), named in the header, agree with the trainer's
                Assert.Equal("logistic", doc.GetProperty("loss").GetString());
                Assert.Equal(final["train_loss"], m["train_loss"], 12);
                Assert.Equal(final["train_log_loss"], m["train_log_loss"], 12);
                Assert.True(m.ContainsKey("test_loss") && m.ContainsKey("test_log_loss"));
                Assert.Equal("binary", doc.GetProperty("task").GetString());
            }
            // --outputs: per-row margins in data-row order; a sample is right iff its margin is positive.
            var arrays = doc.GetProperty("arrays");
            var margins = Gradscope.Data.Npy.Read(Path.Combine(dir, arrays.GetProperty("train.margins").GetString()!));
            Assert.Equal([which == "a" ? 200 : 150], margins.Shape);
            Assert.Equal(which == "a" ? [200, 10] : [150, 1], Gradscope.Data.Npy.Read(Path.Combine(dir, arrays.GetProperty("train.outputs").GetString()!)).Shape);
            Assert.Equal(m["margin.mean"], margins.Data.Average(), 12);
            if (which == "b") Assert.Equal(final["train_error"], 1 - margins.Data.Count(v => v > 0) / (double)margins.Data.Length);
            if (which == "b")
            {
                // --hessian exact with the run's own loss: all P = 64*16 + 16 eigenvalues, their sum is the trace, the loss is the run's.
                var eig = Gradscope.Data.Npy.Read(Path.Combine(dir, arrays.GetProperty("hessian.eigenvalues").GetString()!)).Data;
                Assert.Equal(64 * 16 + 16, eig.Length);
                Assert.Equal(m["hessian.trace"], eig.Sum(), 1e-9 * eig.Sum(Math.Abs));
                Assert.Equal(eig[0], m["hessian.lambda_min"]);
                Assert.Equal(final["train_loss"], m["hessian.loss"], 12);
                Assert.False(doc.GetProperty("omitted").TryGetProperty("hessian.*", out _));
            }
            // --spectra: sum of squared singular values = ||W||_F^2, the largest = ||W||_2.
            for (int k = 0; k < 2; k++)
            {
                var s = Gradscope.Data.Npy.Read(Path.Combine(dir, arrays.GetProperty($"layer.{k}.singular_values").GetString()!)).Data;
                Assert.Equal(m[$"layer.{k}.frobenius"], Math.Sqrt(s.Sum(v => v * v)), 10);
                Assert.Equal(m[$"layer.{k}.spectral"], s[0], 8);
            }
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void CheckpointsStepsAndBadInput()
    {
        string root = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            string dir = Train(root, "a", ConfigA);
            var metrics = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            int accCol = Array.IndexOf(metrics[0].Split(','), "train_error");
            var accAt = metrics.Skip(1).Select(l => l.Split(',')).ToDictionary(c => long.Parse(c[0], CultureInfo.InvariantCulture), c => double.Parse(c[accCol], CultureInfo.InvariantCulture));

            // One kept checkpoint: its accuracy is the probe row of that step in metrics.csv.
            var (code, _, err) = Run($"measure --run \"{dir}\" --step 20");
            Assert.True(code == 0, err);
            Assert.Equal(accAt[20], Measures(Path.Combine(dir, "measures-step-20.json"))["run.train_error"]);

            // Every kept checkpoint: the table over steps has the rows 0, 20, 40, 60 with metrics.csv's accuracies.
            (code, _, err) = Run($"measure --run \"{dir}\" --all-checkpoints");
            Assert.True(code == 0, err);
            var csv = File.ReadAllLines(Path.Combine(dir, "measures-over-steps.csv"));
            int col = Array.IndexOf(csv[0].Split(','), "run.train_error");
            Assert.Equal(["0", "20", "40", "60"], csv.Skip(1).Select(l => l.Split(',')[0]));
            foreach (var row in csv.Skip(1).Select(l => l.Split(',')))
                Assert.Equal(accAt[long.Parse(row[0], CultureInfo.InvariantCulture)], double.Parse(row[col], CultureInfo.InvariantCulture));
            var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "measures-over-steps.json"))).RootElement;
            Assert.Equal(4, json.GetProperty("steps").GetArrayLength());

            // A step that was not kept: the error lists the kept ones.
            (code, _, err) = Run($"measure --run \"{dir}\" --step 7");
            Assert.Equal(1, code);
            Assert.Contains("step 7", err);
            Assert.Contains("kept steps: 0, 20, 40, 60", err);

            // Weights of another architecture: names the file and the tensor shapes.
            string other = Train(root, "b", ConfigB);
            File.Copy(Path.Combine(other, "model.safetensors"), Path.Combine(dir, "model.safetensors"), overwrite: true);
            (code, _, err) = Run($"measure --run \"{dir}\"");
            Assert.Equal(1, code);
            Assert.Contains("model.safetensors", err);
            Assert.Contains("shape", err);
            Assert.DoesNotContain("   at ", err);

            // Rows that no longer match what the config selects: names data_indices.json and the part.
            string idx = Path.Combine(other, "data_indices.json");
            File.WriteAllText(idx, File.ReadAllText(idx).Replace("\"source_rows\": ", "\"source_rows\": 1"));
            (code, _, err) = Run($"measure --run \"{other}\"");
            Assert.Equal(1, code);
            Assert.Contains("data_indices.json", err);
            Assert.Contains("'train'", err);

            // An old run without data_indices.json: rebuilt from the config, said so, still exact.
            File.Delete(idx);
            (code, string output, err) = Run($"measure --run \"{other}\"");
            Assert.True(code == 0, err);
            Assert.Contains("data_indices.json is absent", output);
            Assert.Equal(Final(other)["train_error"], Measures(Path.Combine(other, "measures.json"))["run.train_error"]);

            // No config.yaml; --step without --run.
            (code, _, err) = Run($"measure --run \"{root}\"");
            Assert.Equal(1, code);
            Assert.Contains("has no config.yaml", err);
            (code, _, err) = Run("measure --step 3 --weights w.safetensors --model m.yaml --data digits");
            Assert.Equal(1, code);
            Assert.Contains("--step and --all-checkpoints need --run", err);
        }
        finally { Directory.Delete(root, true); }
    }
}
