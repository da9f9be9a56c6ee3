using Gradscope.Claims;
using Gradscope.IO;
using Gradscope.Sweeps;
using Gradscope.Tests.Sweeps;
using Gradscope.Tests.Training.Trainer;
using Gradscope.Training;

namespace Gradscope.Tests.Cli;

/// <summary>key=value overrides on the command line of train, sweep and reproduce, as a user runs them (the built CLI as a process).</summary>
public class OverrideCommandTests
{
    private static (int Code, string Out, string Err) Run(string args, string? cwd = null) => CliProcess.Run(args, cwd);

    [Fact]
    public void TrainWithOverridesTrainsTheEffectiveConfigAndRecordsIt()
    {
        string root = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            File.WriteAllText(Path.Combine(root, "tiny.yaml"), TrainerTestConfigs.YamlTiny);
            var (code, output, err) = Run("train tiny.yaml algorithm.eta=0.05 stop.steps=40 model.mlp.widths=[4,9,1] --out run --threads 1", root);
            Assert.True(code == 0, err);
            Assert.Contains("done: 40 steps", output);
            string run = Path.Combine(root, "run");
            var lines = File.ReadAllLines(Path.Combine(run, "config.yaml"));
            Assert.Equal("# effective config of: gradscope train tiny.yaml algorithm.eta=0.05 stop.steps=40 model.mlp.widths=[4,9,1]", lines[0]);
            Assert.Equal(["# override: algorithm.eta=0.05", "# override: stop.steps=40", "# override: model.mlp.widths=[4,9,1]"], lines[1..4]);
            var effective = TrainConfigYaml.Load(Path.Combine(run, "config.yaml"));
            Assert.Equal(0.05, effective.Algorithm.Eta);
            Assert.Equal([4, 9, 1], effective.Model.Mlp!.Widths);
            Assert.Equal(8, effective.Algorithm.BatchSize); // from the file
            // trained with it: 40 steps in the metrics, a 9-unit hidden layer in the weights
            Assert.Equal("40", File.ReadAllLines(Path.Combine(run, "metrics.csv"))[^1].Split(',')[0]);
            var w = SafeTensors.Parse(File.ReadAllBytes(Path.Combine(run, "model.safetensors")), "model", out _).Single(t => t.Name == "0.weight");
            Assert.Equal([9, 4], w.Shape);

            // resume: restating the overrides is accepted, changing the effective config is refused and changes nothing
            var snap = RunDirectoryRecoveryTests.Snapshot(run);
            var (rc, rout, rerr) = Run("train --resume run algorithm.eta=0.05", root);
            Assert.True(rc == 0, rerr);
            Assert.Contains("already finished", rout);
            var (c2, _, e2) = Run("train --resume run algorithm.eta=0.07", root);
            Assert.Equal(1, c2);
            Assert.Contains("the overrides algorithm.eta=0.07 change the run's effective config", e2);
            RunDirectoryRecoveryTests.AssertUnchanged(snap, run);
        }
        finally { Directory.Delete(root, true); }
    }

    [Theory]
    [InlineData("algorithm.etaa=0.1 stop.stepz=3", "error: override stop.stepz=3: stop.stepz: unknown key 'stepz' in section stop (known: check_every, gamma, loss, margin, steps, time, train_acc)")]
    [InlineData("algorithm.eta=fast", "error: override algorithm.eta=fast: algorithm.eta: must be a number, got 'fast'")]
    [InlineData("algorithm.eta=-1", "error: override algorithm.eta=-1: algorithm.eta: must be > 0, got -1")]
    [InlineData("algorithm.eta", "error: override 'algorithm.eta': expected key=value (e.g. algorithm.eta=0.1)")]
    [InlineData("algorithm.etaa=0.1", "error: override algorithm.etaa=0.1: algorithm.etaa: unknown key 'etaa' in section algorithm for algorithm 'sgd' (known: batch_size, dampening, eta, momentum, name, nesterov, weight_decay)")]
    public void BadOverridesFailClearlyAndLeaveRunDirectoriesAlone(string overrides, string error)
    {
        string root = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            File.WriteAllText(Path.Combine(root, "tiny.yaml"), TrainerTestConfigs.YamlTiny);
            // a fresh directory is never created
            var (code, output, err) = Run($"train tiny.yaml {overrides} --out fresh", root);
            Assert.Equal(1, code);
            Assert.StartsWith(error, err.Trim());
            Assert.DoesNotContain("   at ", err + output);
            Assert.False(Directory.Exists(Path.Combine(root, "fresh")));
            // an unstarted directory holding a user's file is left as it is
            string other = Path.Combine(root, "other");
            Directory.CreateDirectory(other);
            File.WriteAllText(Path.Combine(other, "notes.txt"), "mine");
            var snap = RunDirectoryRecoveryTests.Snapshot(other);
            var (code2, _, err2) = Run($"train tiny.yaml {overrides} --out other", root);
            Assert.Equal(1, code2);
            Assert.StartsWith(error, err2.Trim());
            RunDirectoryRecoveryTests.AssertUnchanged(snap, other);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void SweepOverridesApplyToTheBaseConfigAndBadOnesAreNamed()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", TrainerTestConfigs.YamlTiny);
        string f = t.Write("s.yaml", "base: base.yaml\ngrid:\n  algorithm.eta: [0.1, 0.3]\n");
        var plain = SweepFile.Load(f);
        var sweep = SweepFile.Load(f, [ConfigOverride.Parse("stop.steps=7"), ConfigOverride.Parse("algorithm.weight_decay=0.01")]);
        Assert.NotEqual(plain.Hash, sweep.Hash);
        var configs = SweepExpander.Expand(sweep).Select(p => TrainConfigYaml.Parse(p.ConfigYaml, $"point {p.Index}")).ToList();
        Assert.Equal([0.1, 0.3], configs.Select(c => c.Algorithm.Eta));
        Assert.All(configs, c => { Assert.Equal(7, c.Stop.Steps); Assert.Equal(0.01, c.Algorithm.WeightDecay); });

        string dir = Path.Combine(t.Root, "s.sweep");
        var (code, output, err) = SweepTestFiles.RunCli(null, "sweep", f, "stop.steps=7", "--out", dir, "--dry-run");
        Assert.True(code == 0, err);
        Assert.Contains("2 points would be created and run", output);
        var (bad, _, berr) = SweepTestFiles.RunCli(null, "sweep", f, "stop.stepz=7", "--out", dir);
        Assert.Equal(2, bad);
        Assert.StartsWith("gradscope sweep: override stop.stepz=7: stop.stepz: unknown key 'stepz' in section stop", berr.Trim());
        var (bad1, _, berr1) = SweepTestFiles.RunCli(null, "sweep", f, "algorithm.etaa=0.1", "--out", dir);
        Assert.Equal(2, bad1);
        Assert.StartsWith("gradscope sweep: override algorithm.etaa=0.1: algorithm.etaa: unknown key 'etaa' in section algorithm for algorithm 'sgd'", berr1.Trim());
        var (bad2, _, berr2) = SweepTestFiles.RunCli(null, "sweep", f, "stop.steps", "--out", dir);
        Assert.Equal(2, bad2);
        Assert.Contains("override 'stop.steps': expected key=value", berr2);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void ClaimOverridesChangeOnlyTheirClaimAndScale()
    {
        var def = ClaimRegistry.Select(["min-norm-stability"]).Single().Definition;
        var o = def.WithOverrides([ClaimOverride.Parse("min-norm-stability.quick.train.algorithm.eta=0.02"), ClaimOverride.Parse("min-norm-stability.draws=50")]);
        Assert.Equal(0.02, o.Parameters("quick").TrainConfig("train").Algorithm.Eta);
        Assert.Equal(50, o.Parameters("quick").Int("draws"));
        Assert.Equal(50, o.Parameters("full").Int("draws"));               // no scale: both
        Assert.Equal(def.Parameters("full").TrainConfig("train").Algorithm.Eta, o.Parameters("full").TrainConfig("train").Algorithm.Eta);
        Assert.Equal(0.05, def.Parameters("quick").TrainConfig("train").Algorithm.Eta); // the registered definition is unchanged
        o.CheckOverrides("quick");
        var bad = def.WithOverrides([ClaimOverride.Parse("min-norm-stability.quick.train.algorithm.etaa=0.1")]);
        // gd takes no key etaa: the train config reader (its algorithm) names the override
        var e = Assert.Throws<TrainConfigException>(() => new Trainer<double>(bad.Parameters("quick").TrainConfig("train")));
        Assert.StartsWith("override min-norm-stability.quick.train.algorithm.etaa=0.1: algorithm.etaa: unknown key 'etaa'", e.Message);
        Assert.StartsWith("override min-norm-stability.quick.train.algorithm.etaa=0.1: algorithm.etaa: unknown key 'etaa'",
            Assert.Throws<InvalidDataException>(() => bad.CheckOverrides("quick")).Message);
        var unknownParam = def.WithOverrides([ClaimOverride.Parse("min-norm-stability.drawz=5")]);
        Assert.StartsWith("override min-norm-stability.drawz=5: quick.drawz: unknown parameter 'drawz' of claim min-norm-stability (known: draws, scales, train)",
            Assert.Throws<InvalidDataException>(() => unknownParam.CheckOverrides("quick")).Message);
        var badType = def.WithOverrides([ClaimOverride.Parse("min-norm-stability.quick.train.stop.steps=many")]);
        Assert.StartsWith("override min-norm-stability.quick.train.stop.steps=many: stop.steps: must be an integer, got 'many'",
            Assert.Throws<InvalidDataException>(() => badType.CheckOverrides("quick")).Message);
    }

    [Fact]
    public void ReproduceWithOverridesRunsTheOverriddenClaimAndRefusesBadOnesBeforeWriting()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-reproduce-ov-{Guid.NewGuid():N}");
        try
        {
            foreach (var (args, error) in new[]
            {
                ("min-norm-stability.quick.train.stop.stepz=5", "gradscope reproduce: override min-norm-stability.quick.train.stop.stepz=5: stop.stepz: unknown key 'stepz' in section stop"),
                ("min-norm-stability.quick.train.algorithm.etaa=0.1", "gradscope reproduce: override min-norm-stability.quick.train.algorithm.etaa=0.1: algorithm.etaa: unknown key 'etaa' in section algorithm for algorithm 'gd' (known: batch_size, dampening, eta, momentum, name, nesterov, weight_decay)"),
                ("balance.quick.horizon=5", "gradscope reproduce: override balance.quick.horizon=5: 'balance' is not a selected claim (selected: min-norm-stability)"),
                ("min-norm-stability.full.draws=5", "gradscope reproduce: override min-norm-stability.full.draws=5: it applies to scale full, but this reproduction runs scale quick"),
                ("min-norm-stability", "gradscope reproduce: 'min-norm-stability' is a claim id, not an override: give several claims comma-separated, --claims min-norm-stability,min-norm-stability"),
                ("balance", "gradscope reproduce: 'balance' is a claim id, not an override: give several claims comma-separated, --claims min-norm-stability,balance"),
                ("nosuchthing", "gradscope reproduce: override 'nosuchthing': expected key=value"),
            })
            {
                var (code, _, err) = Run($"reproduce --claims min-norm-stability --threads 1 --out \"{dir}\" {args}");
                Assert.Equal(2, code);
                Assert.StartsWith(error, err.Trim());
                Assert.False(Directory.Exists(dir));
            }
            var (ok, output, err2) = Run($"reproduce --claims min-norm-stability --threads 1 --out \"{dir}\" min-norm-stability.quick.train.stop.steps=5000 min-norm-stability.draws=40");
            Assert.True(ok is 0 or 1, output + err2);
            var configs = Directory.GetFiles(Path.Combine(dir, "claims"), "config.yaml", SearchOption.AllDirectories);
            Assert.NotEmpty(configs);
            foreach (var c in configs)
            {
                var text = File.ReadAllText(c);
                Assert.Contains("# override: min-norm-stability.quick.train.stop.steps=5000", text);
                Assert.Equal(5000, TrainConfigYaml.Load(c).Stop.Steps);
            }
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
