using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Gradscope.IO;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Trainer;

/// <summary>
/// Run directories left by a kill at any point, or with a checkpoint edited so that its SHA-256 still matches:
/// every one is resumed to the uninterrupted run's result, restarted cleanly, or refused with an error naming the
/// field, and nothing is written before that decision.
/// </summary>
public class RunDirectoryRecoveryTests
{
    private static string Csv(string dir) => File.ReadAllText(Path.Combine(dir, "metrics.csv"));

    // metrics rows with the wall-clock column (index 2 in metrics.csv, "wall_s" in metrics.jsonl) blanked
    internal static string[] StripCsv(string dir) =>
        File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Select(l => { var c = l.Split(','); c[2] = ""; return string.Join(",", c); }).ToArray();

    internal static string[] StripJsonl(string dir) =>
        File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => { var o = JsonNode.Parse(l)!.AsObject(); o.Remove("wall_s"); return o.ToJsonString(); }).ToArray();

    internal static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

    internal static void AssertUnchanged(Dictionary<string, byte[]> before, string dir)
    {
        var after = Snapshot(dir);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (k, v) in before) Assert.Equal(v, after[k]);
    }

    /// <summary>Rewrites the latest checkpoint through <paramref name="edit"/> and records its new SHA-256 in latest.json.</summary>
    internal static void Tamper(string runDir, Action<Dictionary<string, string>, List<SafeTensor>> edit)
    {
        string ck = Path.Combine(runDir, "checkpoints"), latest = Path.Combine(ck, "latest.json");
        var j = JsonNode.Parse(File.ReadAllText(latest))!.AsObject();
        string path = Path.Combine(ck, j["file"]!.GetValue<string>());
        var tensors = SafeTensors.Parse(File.ReadAllBytes(path), path, out var meta).ToList();
        var m = new Dictionary<string, string>(meta);
        edit(m, tensors);
        SafeTensors.Write(path, tensors, m);
        j["sha256"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        File.WriteAllText(latest, j.ToJsonString());
    }

    private static string Bits(double v) => BitConverter.DoubleToInt64Bits(v).ToString("x16");

    [Theory]
    [InlineData("steps")]
    [InlineData("loss")]
    public void AKillAfterTheFinalCheckpointResumesWithoutADuplicateRowOrExtraSteps(string rule)
    {
        var cfg = TrainerTestConfigs.Tiny(steps: 500);
        if (rule == "loss") cfg = cfg with { Stop = new StoppingRules { Steps = 5000, Loss = 0.05 } };
        string a = TrainerTestConfigs.TempDir(), b = TrainerTestConfigs.TempDir();
        try
        {
            var full = TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = a });
            Assert.Equal(rule, full.Reason);
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = b });
            // the state of a kill between the final checkpoint and final.json
            File.Delete(Path.Combine(b, "final.json"));
            File.Delete(Path.Combine(b, "model.safetensors"));
            var resumed = TrainerRunner.Resume(b, new TrainerRunOptions());
            Assert.Equal(TrainerStatus.Completed, resumed.Status);
            Assert.Equal(full.Steps, resumed.Steps);
            Assert.Equal(rule, resumed.Reason);
            Assert.Equal(full.Final["train_loss"], resumed.Final["train_loss"]);
            Assert.Equal(StripCsv(a), StripCsv(b));
            Assert.Equal(StripJsonl(a), StripJsonl(b));
            // every step appears once: the last row is the final step, with no repeat
            var steps = StripCsv(b).Skip(1).Select(l => long.Parse(l.Split(',')[0])).ToArray();
            Assert.Equal(steps.Distinct().Count(), steps.Length);
            Assert.Equal(full.Steps, steps[^1]);
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
        }
        finally { Directory.Delete(a, true); Directory.Delete(b, true); }
    }

    public static TheoryData<string, string> Edits => new()
    {
        { "time=nan", "'time'" },
        { "time=inf", "'time'" },
        { "time=-1", "'time'" },
        { "wall_s=nan", "'wall_s'" },
        { "wall_s=inf", "'wall_s'" },
        { "metrics_csv_bytes=0", "metrics_csv_bytes = 0" },
        { "metrics_csv_bytes=mid", "does not end at a row" },
        { "metrics_jsonl_bytes=0", "rows" },
        { "cursor=huge", "'cursor'" },
        { "epoch=-3", "'epoch'" },
        { "step=+15", "'step'" },
        { "rng=zero", "all-zero" },
        { "rng=flag", "spare flag" },
        { "rng=nan", "non-finite spare" },
        { "stop_reason=bogus", "'stop_reason'" },
        { "last_probe_step=99", "'last_probe_step'" },
        { "weight=nan", "holds NaN" },
        { "weight=inf", "holds Infinity" },
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void EditedCheckpointMetadataWithAMatchingHashIsRefusedNamingTheField(string edit, string expected)
    {
        var cfg = TrainerTestConfigs.Tiny(steps: 40);
        string dir = TrainerTestConfigs.TempDir();
        try
        {
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = dir, StopAfterSteps = 15 });
            long csvLength = new FileInfo(Path.Combine(dir, "metrics.csv")).Length;
            Tamper(dir, (m, t) =>
            {
                var (key, value) = (edit.Split('=')[0], edit.Split('=')[1]);
                switch (key, value)
                {
                    case ("weight", _):
                        var w = t.First(x => x.Name.StartsWith("model.", StringComparison.Ordinal));
                        w.Data[1] = value == "nan" ? double.NaN : double.PositiveInfinity;
                        break;
                    case ("rng", "zero"): m["rng"] = string.Join(",", Enumerable.Repeat(new string('0', 16), 4)) + ",0," + Bits(0); break;
                    case ("rng", "flag"): m["rng"] = string.Join(",", m["rng"].Split(',').Select((f, i) => i == 4 ? "2" : f)); break;
                    case ("rng", "nan"): m["rng"] = string.Join(",", m["rng"].Split(',').Select((f, i) => i == 5 ? Bits(double.NaN) : f)); break;
                    case (_, "nan"): m[key] = Bits(double.NaN); break;
                    case (_, "inf"): m[key] = Bits(double.PositiveInfinity); break;
                    case ("time", "-1"): m[key] = Bits(-1); break;
                    case (_, "huge"): m[key] = "99999999999"; break;
                    case (_, "mid"): m[key] = (long.Parse(m[key]) - 3).ToString(); break;
                    default: m[key] = value; break;
                }
            });
            var snap = Snapshot(dir);
            var e = Assert.Throws<InvalidDataException>(() => TrainerRunner.Resume(dir, new TrainerRunOptions()));
            Assert.Contains(expected, e.Message);
            AssertUnchanged(snap, dir);
            Assert.Equal(csvLength, new FileInfo(Path.Combine(dir, "metrics.csv")).Length);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void HugeFiniteWeightsAtTheFinalCheckpointStopAsNonFiniteInsteadOfCompleting()
    {
        // square loss: outputs near 1e200 square to +Inf at the final probe, which follows no step of its own
        var cfg = TrainerTestConfigs.Tiny(steps: 20, loss: "square");
        string dir = TrainerTestConfigs.TempDir();
        try
        {
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = dir });
            File.Delete(Path.Combine(dir, "final.json"));
            string before = Csv(dir);
            Tamper(dir, (_, t) => { foreach (var w in t.Where(x => x.Name.StartsWith("model.", StringComparison.Ordinal))) Array.Fill(w.Data, 1e200); });
            // the final row was written before the kill: the resume recomputes it and finds the loss non-finite
            var r = TrainerRunner.Resume(dir, new TrainerRunOptions());
            Assert.Equal(TrainerStatus.NonFinite, r.Status);
            Assert.Contains("non-finite loss", r.Reason);
            Assert.Contains("\"status\": \"non_finite\"", File.ReadAllText(Path.Combine(dir, "final.json")));
            Assert.Equal(before, Csv(dir));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ARunKilledBeforeItsFirstCheckpointIsRestartedByTrainAndByResume()
    {
        var cfg = TrainerTestConfigs.Tiny(steps: 30);
        string a = TrainerTestConfigs.TempDir(), b = TrainerTestConfigs.TempDir();
        try
        {
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = a });
            foreach (bool viaResume in new[] { false, true })
            {
                // what a kill between config.yaml and the step-0 checkpoint leaves: config, a header, a stray temporary
                TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = b });
                Directory.Delete(Path.Combine(b, "checkpoints"), true);
                foreach (var f in new[] { "final.json", "model.safetensors", "metrics.jsonl" }) File.Delete(Path.Combine(b, f));
                File.WriteAllText(Path.Combine(b, "metrics.csv"), Csv(b).Split('\n')[0] + "\n");
                Directory.CreateDirectory(Path.Combine(b, "checkpoints"));
                File.WriteAllText(Path.Combine(b, "checkpoints", ".step-0000000000.safetensors.123.abc.tmp"), "partial");
                File.WriteAllText(Path.Combine(b, "notes.txt"), "a user's file");
                var r = viaResume ? TrainerRunner.Resume(b, new TrainerRunOptions()) : TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = b });
                Assert.Equal(TrainerStatus.Completed, r.Status);
                Assert.Equal(StripCsv(a), StripCsv(b));
                Assert.Equal(StripJsonl(a), StripJsonl(b));
                Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
                Assert.Empty(Directory.GetFiles(Path.Combine(b, "checkpoints"), "*.tmp"));
                Assert.True(File.Exists(Path.Combine(b, "notes.txt")));
                Directory.Delete(b, true);
            }
        }
        finally { Directory.Delete(a, true); if (Directory.Exists(b)) Directory.Delete(b, true); }
    }

    [Fact]
    public void ResumeRemovesOrphanedTemporaryAndStepFiles()
    {
        var cfg = TrainerTestConfigs.Tiny(steps: 40);
        string dir = TrainerTestConfigs.TempDir();
        try
        {
            TrainerRunner.Start(cfg, new TrainerRunOptions { RunDirectory = dir, StopAfterSteps = 15 });
            string ck = Path.Combine(dir, "checkpoints");
            string kept = Directory.GetFiles(ck, "step-*.safetensors").Single();
            File.WriteAllText(Path.Combine(ck, ".step-0000000021.safetensors.4242.0123abcd.tmp"), "cut short");
            File.WriteAllText(Path.Combine(ck, ".latest.json.4242.0123abcd.tmp"), "{");
            File.WriteAllText(Path.Combine(dir, ".final.json.4242.0123abcd.tmp"), "{");
            File.Copy(kept, Path.Combine(ck, "step-0000000007.safetensors"));  // a deletion cut short
            File.Copy(kept, Path.Combine(ck, "step-0000000021.safetensors"));  // written, latest.json never followed
            TrainerRunner.Resume(dir, new TrainerRunOptions { StopAfterSteps = 16 });
            Assert.Empty(Directory.GetFiles(ck, "*.tmp"));
            Assert.Empty(Directory.GetFiles(dir, ".*.tmp"));
            Assert.Equal(["step-0000000016.safetensors"], Directory.GetFiles(ck, "step-*").Select(Path.GetFileName));
        }
        finally { Directory.Delete(dir, true); }
    }
}
