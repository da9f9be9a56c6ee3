using Gradscope.Sweeps;

namespace Gradscope.Tests.Sweeps;

/// <summary>A sweep directory grows with more axis values or seeds, reusing its finished points; `--dry-run` writes nothing.</summary>
public class SweepGrowthTests
{
    [Fact]
    public void MoreValuesAndSeedsReuseTheFinishedPointsAndRunOnlyTheNewOnes()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var small = SweepFile.Load(t.Write("s.yaml", "base: base.yaml\ngrid:\n  algorithm.eta: [0.1, 0.3]\nseeds: [0]\n"));
        string dir = Path.Combine(t.Root, "out");
        SweepDirectory.CreateOrOpen(small, dir, 1, 30).Dispose();
        var counts = LocalExecutor.Run(dir, SweepTestFiles.Cli(), 2, trainCommand: t.FakeTrain(0));
        Assert.Equal(2, counts[PointStatus.Done]);
        IReadOnlyList<PointRecord> before;
        using (var i = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile))) before = i.Points();
        var finishedAt = before.ToDictionary(p => p.Hash, p => File.GetLastWriteTimeUtc(Path.Combine(dir, p.Directory, "run", "final.json")));

        // the same axes with one more value and one more seed: 2 x 3 points, 2 of them done
        string grownPath = t.Write("g.yaml", "base: base.yaml\ngrid:\n  algorithm.eta: [0.1, 0.3, 1.0]\nseeds: [0, 1]\n");
        var (code, output, err) = SweepTestFiles.RunCli(null, "sweep", grownPath, "--out", dir, "--dry-run");
        Assert.True(code == 0, err);
        Assert.Contains("2 recorded points kept (2 done, not run again), 4 would be added", output);
        using (var i = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile))) Assert.Equal(2, i.Points().Count);   // the dry run wrote nothing

        SweepDirectory.CreateOrOpen(SweepFile.Load(grownPath), dir, 1, 30).Dispose();
        counts = LocalExecutor.Run(dir, SweepTestFiles.Cli(), 2, trainCommand: t.FakeTrain(0));
        Assert.Equal(6, counts[PointStatus.Done]);
        using (var i = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile)))
        {
            var after = i.Points();
            Assert.Equal(6, after.Count);
            Assert.Equal(6, after.Select(p => p.Hash).Distinct().Count());
            Assert.Equal(6, after.Select(p => p.Index).Distinct().Count());
            foreach (var old in before)
            {
                var same = after.Single(p => p.Hash == old.Hash);
                Assert.Equal((old.Index, old.Directory), (same.Index, same.Directory));
                // a finished point was not run again
                Assert.Equal(finishedAt[old.Hash], File.GetLastWriteTimeUtc(Path.Combine(dir, same.Directory, "run", "final.json")));
            }
        }
        Assert.True(File.Exists(Path.Combine(dir, "sweep.yaml")));
        Assert.Equal(File.ReadAllText(grownPath), File.ReadAllText(Path.Combine(dir, "sweep.yaml")));
    }

    [Fact]
    public void ASweepThatDropsRecordedPointsIsRefusedAndTheDryRunSaysSo()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var a = SweepFile.Load(t.Write("a.yaml", "base: base.yaml\ngrid:\n  algorithm.eta: [0.1, 0.3]\n"));
        string dir = Path.Combine(t.Root, "out");
        SweepDirectory.CreateOrOpen(a, dir, 1, 30).Dispose();
        string b = t.Write("b.yaml", "base: base.yaml\ngrid:\n  algorithm.eta: [0.1, 3.0]\n");
        var (code, _, err) = SweepTestFiles.RunCli(null, "sweep", b, "--out", dir, "--dry-run");
        Assert.Equal(2, code);
        Assert.Contains("can grow but not change", err);
        var e = Assert.Throws<SweepException>(() => SweepDirectory.CreateOrOpen(SweepFile.Load(b), dir, 1, 30));
        Assert.Contains("1 of its points", e.Message);
        using var i = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile));
        Assert.Equal(2, i.Points().Count);
    }

    [Fact]
    public void DryRunOfANewSweepListsEveryPointAndCreatesNothing()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        string f = t.Write("a.yaml", "base: base.yaml\ngrid:\n  algorithm.eta: [0.1, 0.3]\n  model.width: [8, 16]\nreplicates: 2\n");
        string dir = Path.Combine(t.Root, "never");
        var (code, output, err) = SweepTestFiles.RunCli(null, "sweep", f, "--out", dir, "--dry-run");
        Assert.True(code == 0, err);
        Assert.Contains("8 points would be created and run", output);
        Assert.Equal(8, output.Split('\n').Count(l => l.Contains(" new ")));
        Assert.False(Directory.Exists(dir));
    }
}
