using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gradscope.Measures.Registry;
using Gradscope.Report;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

/// <summary>
/// Run directories written before the probe used registry keys (loss, log_loss, train_acc, fro[NAME], min_margin,
/// gamma): built here by writing the old header and converting the rows by hand, then read and resumed.
/// </summary>
public class OldColumnNamesTests
{
    // The old name of each registry key the built-in probe writes for the Tiny net (weights 0.weight and 2.weight),
    // and whether the old column held 1 - value (an accuracy for an error).
    private static readonly Dictionary<string, (string Old, bool Complement)> Old = new()
    {
        ["train_loss"] = ("loss", false), ["train_log_loss"] = ("log_loss", false), ["train_error"] = ("train_acc", true),
        ["layer.0.frobenius"] = ("fro[0.weight]", false), ["layer.1.frobenius"] = ("fro[2.weight]", false),
        ["margin.min"] = ("min_margin", false), ["gamma_min"] = ("gamma", false),
    };

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    // metrics.csv in the old names: header renamed, complemented columns written as 1 - value.
    private static string OldCsv(string text)
    {
        var lines = text.Split('\n');
        var header = lines[0].Split(',');
        var sb = new StringBuilder(string.Join(",", header.Select(h => Old.TryGetValue(h, out var o) ? o.Old : h))).Append('\n');
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var cells = line.Split(',');
            for (int c = 0; c < cells.Length; c++)
                if (Old.TryGetValue(header[c], out var o) && o.Complement && cells[c].Length > 0)
                    cells[c] = Num(1 - double.Parse(cells[c], CultureInfo.InvariantCulture));
            sb.Append(string.Join(",", cells)).Append('\n');
        }
        return sb.ToString();
    }

    private static string OldJsonl(string text)
    {
        var sb = new StringBuilder();
        foreach (var line in text.Split('\n').Where(l => l.Length > 0))
        {
            var o = JsonNode.Parse(line)!.AsObject();
            var n = new JsonObject();
            foreach (var (k, v) in o)
            {
                if (!Old.TryGetValue(k, out var old)) { n[k] = v?.DeepClone(); continue; }
                n[old.Old] = old.Complement ? JsonValue.Create(1 - v!.GetValue<double>()) : v?.DeepClone();
            }
            sb.Append(n.ToJsonString()).Append('\n');
        }
        return sb.ToString();
    }

    [Fact]
    public void MetricsWithOldNamesReadUnderRegistryKeys()
    {
        string dir = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "metrics.csv"),
                "step,t,wall_s,loss,log_loss,train_acc,test_acc,fro[0.weight],fro[2.weight],rho,min_margin,gamma,gamma_min\n0,0,0.1,0.5,-0.69,0.75,0.625,2,4,8,0.4,0.05,0.07\n");
            var m = RunMetrics.Read(dir);
            Assert.Equal(["step", "t", "wall_s", "train_loss", "train_log_loss", "train_error", "test_error", "layer.0.frobenius", "layer.1.frobenius", "rho", "margin.min", "gamma", "gamma_min"], m.Columns);
            Assert.Equal(0.25, m.Column("train_error")[0]);     // 1 - 0.75
            Assert.Equal(0.375, m.Column("test_error")[0]);     // 1 - 0.625
            Assert.Equal(4, m.Column("layer.1.frobenius")[0]);
            Assert.Equal(0.4, m.Column("margin.min")[0]);
            // an old column whose registry key the file also holds keeps its own name and value
            Assert.Equal(0.05, m.Column("gamma")[0]);
            Assert.Equal(0.07, m.Column("gamma_min")[0]);
            // the alias map names the same keys
            Assert.Equal(["train_loss", "train_error", "layer.0.frobenius", "layer.1.frobenius"],
                MeasureAliases.Columns(["loss", "train_acc", "fro[a]", "fro[b]"]).Select(a => a!.Key));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ResumeOfARunWrittenWithOldNamesContinuesItInItsColumns()
    {
        var cfg = TrainerTestConfigs.Tiny(steps: 60);
        string a = TrainerTestConfigs.TempDir(), b = TrainerTestConfigs.TempDir();
        try
        {
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = a });
            // interrupted at step 25 (latest checkpoint at 21, rows 0..20 kept); then the files rewritten as the old code wrote them
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = b, StopAfterSteps = 25 });
            string csv = Path.Combine(b, "metrics.csv"), jsonl = Path.Combine(b, "metrics.jsonl");
            string hash = JsonDocument.Parse(File.ReadAllText(Path.Combine(b, "checkpoints", "latest.json"))).RootElement.GetProperty("config_hash").GetString()!;
            var state = Checkpoint.Load(b, hash);
            string keptCsv = Encoding.UTF8.GetString(File.ReadAllBytes(csv).AsSpan(0, (int)state.MetricsLengths.Csv));
            string keptJsonl = Encoding.UTF8.GetString(File.ReadAllBytes(jsonl).AsSpan(0, (int)state.MetricsLengths.Jsonl));
            string oldCsv = OldCsv(keptCsv), oldJsonl = OldJsonl(keptJsonl);
            File.WriteAllText(csv, oldCsv + "a row written after the checkpoint\n");
            File.WriteAllText(jsonl, oldJsonl);
            Checkpoint.Save(b, hash, state with { MetricsLengths = (Encoding.UTF8.GetByteCount(oldCsv), Encoding.UTF8.GetByteCount(oldJsonl)) }, keep: false);
            Assert.StartsWith("step,t,wall_s,loss,log_loss,train_acc,fro[0.weight],fro[2.weight],rho,min_margin,gamma\n", File.ReadAllText(csv));

            var resumed = TrainerRunner.Resume(b, new TrainerRunOptions());
            Assert.Equal(TrainerStatus.Completed, resumed.Status);
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
            // one vocabulary per file: the old header kept, every jsonl row in the old names
            var lines = File.ReadAllLines(csv);
            Assert.Equal("step,t,wall_s,loss,log_loss,train_acc,fro[0.weight],fro[2.weight],rho,min_margin,gamma", lines[0]);
            Assert.All(File.ReadAllLines(jsonl), l => { Assert.Contains("\"train_acc\":", l); Assert.DoesNotContain("train_error", l); Assert.DoesNotContain("layer.", l); });
            // read through the alias map, the run is the uninterrupted one (wall-clock seconds aside)
            var ra = RunMetrics.Read(a); var rb = RunMetrics.Read(b);
            Assert.Equal(ra.Columns, rb.Columns);
            Assert.Equal(ra.Rows.Count, rb.Rows.Count);
            for (int i = 0; i < ra.Rows.Count; i++)
                for (int c = 0; c < ra.Columns.Count; c++)
                    if (ra.Columns[c] != "wall_s") Assert.Equal(ra.Rows[i][c], rb.Rows[i][c], 15);
            // the old accuracy column holds 1 - train_error of the uninterrupted run
            int acc = Array.IndexOf(lines[0].Split(','), "train_acc"), err = ra.IndexOf("train_error");
            for (int i = 1; i < lines.Length; i++)
                Assert.Equal(1 - ra.Rows[i - 1][err], double.Parse(lines[i].Split(',')[acc], CultureInfo.InvariantCulture), 15);
        }
        finally { Directory.Delete(a, true); Directory.Delete(b, true); }
    }

    private const string ConvConfig = """
        seed: 3
        dtype: f64
        threads: 1
        model:
          input: [1, 8, 8]
          layers:
            - {type: conv2d, out_channels: 3, kernel: 3, stride: 2, padding: 1, bias: false}
            - relu
            - {type: dense, out: 10, bias: false}
          init: {scheme: he}
        data: {train: {name: optdigits-train, scale: 0.0625}, subsample: 60}
        loss: {kind: cross_entropy}
        algorithm: {name: gd, eta: 0.2}
        stop: {steps: 5}
        probes: {every: 0, checkpoint_every: 0}
        """;

    [Fact]
    public void ProbeRecordsAConvLayerAsItsOperator()
    {
        var trainer = new Trainer<double>(TrainConfigYaml.Parse(ConvConfig));
        var last = trainer.Run().Rows[^1];
        var conv = (Gradscope.Nn.Conv2d<double>)trainer.Model.Layers[0];
        var dense = (Gradscope.Nn.Dense<double>)trainer.Model.Layers[2];
        // ||T||_F of the conv from its explicit Toeplitz matrix (8x8 input, stride 2, padding 1: 4x4 outputs), not ||w||_F
        var t = Gradscope.Tests.Measures.ExplicitToeplitz.Conv(conv.Weight.Value.Span.ToArray(), 3, 1, 8, 8, 3, 2, 1);
        double kernel = Math.Sqrt(conv.Weight.Value.Span.ToArray().Sum(x => x * x));
        double fd = Math.Sqrt(dense.Weight.Value.Span.ToArray().Sum(x => x * x));
        Assert.Equal(t.FrobeniusNorm(), last["layer.0.frobenius"], 12);
        Assert.NotEqual(kernel, last["layer.0.frobenius"], 6);
        Assert.Equal(fd, last["layer.1.frobenius"], 12);
        Assert.Equal(t.FrobeniusNorm() * fd, last["rho"], 1e-12 * last["rho"]);
        Assert.Equal(last["margin.min"] / last["rho"], last["gamma_min"], 15);
    }

    [Fact]
    public void ResumeOfAnOldNamedConvRunIsRefusedAndChangesNothing()
    {
        var cfg = TrainConfigYaml.Parse(ConvConfig.Replace("stop: {steps: 5}", "stop: {steps: 8}"));
        string dir = TrainerTestConfigs.TempDir();
        try
        {
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = dir, StopAfterSteps = 4 });
            string csv = Path.Combine(dir, "metrics.csv");
            File.WriteAllText(csv, OldCsv(File.ReadAllText(csv)) + "a row after the checkpoint\n");
            byte[] before = File.ReadAllBytes(csv);
            var e = Assert.Throws<InvalidDataException>(() => TrainerRunner.Resume(dir, new TrainerRunOptions()));
            Assert.Contains("kernel norm", e.Message);
            Assert.Contains(dir, e.Message);
            Assert.Equal(before, File.ReadAllBytes(csv));
        }
        finally { Directory.Delete(dir, true); }
    }
}
