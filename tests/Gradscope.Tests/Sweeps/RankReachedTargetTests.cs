using Gradscope.Sweeps;
using Gradscope.Sweeps.Ranking;
using Gradscope.Training;

namespace Gradscope.Tests.Sweeps;

/// <summary>
/// `rank-measures` and the training target (Jiang et al. 2020 compare nets trained to one cross-entropy): a point whose
/// step cap stopped it before its stop.loss is kept with its gap, not measured, not scored, and counted against every
/// measure's coverage; measure-values.csv records it. Expected values are worked by hand.
/// </summary>
public class RankReachedTargetTests
{
    [Fact]
    public void ReachedTargetIsFalseOnlyForACapReasonWhenTheConfigSetsATarget()
    {
        var lossAndCap = new StoppingRules { Steps = 100, Loss = 0.01 };
        Assert.True(SweepMeasures.ReachedTarget("loss", lossAndCap));
        Assert.False(SweepMeasures.ReachedTarget("steps", lossAndCap));
        Assert.False(SweepMeasures.ReachedTarget("time", new StoppingRules { Time = 5, TrainAccuracy = 1 }));
        Assert.False(SweepMeasures.ReachedTarget("steps", new StoppingRules { Steps = 10, Margin = 1 }));
        Assert.False(SweepMeasures.ReachedTarget("steps", new StoppingRules { Steps = 10, Gamma = 0.1 }));
        Assert.True(SweepMeasures.ReachedTarget("train_acc", new StoppingRules { Steps = 10, Loss = 0.01, TrainAccuracy = 1 }));
        // no target: the cap is the run's only rule, so stopping there is reaching it
        Assert.True(SweepMeasures.ReachedTarget("steps", new StoppingRules { Steps = 100 }));
        // a run that records no reason (older final metrics) is not judged
        Assert.True(SweepMeasures.ReachedTarget(null, lossAndCap));
    }

    [Fact]
    public void AnUnreachedPointIsNotScoredButLowersEveryCoverage()
    {
        // four points of one hyperparameter; point 3 stopped at its cap (no measures)
        var hp = (string v) => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["algorithm.eta"] = v };
        var points = new List<RankedPoint>
        {
            new(0, hp("a"), 0.1, new Dictionary<string, double> { ["m"] = 1 }),
            new(1, hp("b"), 0.3, new Dictionary<string, double> { ["m"] = 2 }),
            new(2, hp("c"), 0.2, new Dictionary<string, double> { ["m"] = 3 }),
            new(3, hp("d"), 0.9, new Dictionary<string, double>(), ReachedTarget: false),
        };
        var s = Assert.Single(MeasureRanking.Score(points));
        Assert.Equal(3, s.Points);
        Assert.Equal(0.75, s.Coverage);
        // tau-a over (1, .1), (2, .3), (3, .2): pairs 01 +1, 02 +1, 12 -1 -> 1/3 (point 3's gap 0.9 would add 3 concordant pairs)
        Assert.Equal(1.0 / 3, s.Tau, 15);

        string csv = SweepTable.MeasureValuesCsv(points);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("point,gap,reached_target,m", lines[0]);
        Assert.Equal("0,0.1,1,1", lines[1]);
        Assert.Equal("3,0.9,0,", lines[4]);
        Assert.Contains("1 of 4 finished points stopped at their step or time cap before their training target (points 3)",
            MeasureRanking.UnreachedNote([3], 4), StringComparison.Ordinal);
        Assert.Contains("\"points_unreached_target\": [\n    3\n  ]", MeasureRanking.ToJson([s], null, [3]).Replace("\r", ""), StringComparison.Ordinal);

        // the plot's reader: reached_target is bookkeeping, not a measure
        using var t = new SweepTestFiles();
        File.WriteAllText(Path.Combine(t.Root, SweepTable.MeasureValuesFile), csv);
        var values = SweepTable.MeasureValues(t.Root);
        Assert.Equal(["m"], values.Keys);
        Assert.Equal([0, 1, 2], values["m"].Select(v => v.Point));
    }

    sealed class CountingSource : IMeasureSource
    {
        public List<int> Asked { get; } = [];
        public IReadOnlyDictionary<string, double> Measures(string runDir, PointRecord point)
        {
            Asked.Add(point.Index);
            return new Dictionary<string, double> { ["m"] = point.Index };
        }
    }

    [Fact]
    public void LoadMeasuresOnlyThePointsThatReachedTheirTarget()
    {
        using var t = new SweepTestFiles();
        string dir = Path.Combine(t.Root, "sweep");
        Directory.CreateDirectory(dir);
        var points = Enumerable.Range(0, 3).Select(i => new SweepPoint(i, new string((char)('a' + i), 64), $"x: {i}",
            new Dictionary<string, string> { ["algorithm.eta"] = $"0.{i + 1}" }, 0)).ToList();
        // the runs' own configs: a loss target with a 100-step cap, except point 2, which has no target
        for (int i = 0; i < 3; i++)
        {
            string run = SweepWorker.RunDirectory(Path.Combine(dir, "points", points[i].DirectoryName));
            Directory.CreateDirectory(run);
            File.WriteAllText(Path.Combine(run, "config.yaml"), SweepTestFiles.RealBase().Replace("steps: 20", i == 2 ? "steps: 100" : "steps: 100\n  loss: 0.01"));
        }
        string[] reasons = ["loss", "steps", "steps"];
        using (var index = SweepIndex.Create(Path.Combine(dir, SweepDirectory.IndexFile), points.Select(p => (p, "points/" + p.DirectoryName)),
                   new Dictionary<string, string> { ["sweep_hash"] = "h" }))
            for (int i = 0; i < 3; i++)
            {
                var c = index.TryClaim("w", 1, "h", 60)!;
                Assert.True(index.Complete(c.Index, "w", $"{{\"train_error\": 0, \"test_error\": 0.{c.Index + 1}, \"reason\": \"{reasons[c.Index]}\"}}", 1));
            }

        var source = new CountingSource();
        var ranked = SweepMeasures.Load(dir, source);
        Assert.Equal([true, false, true], ranked.Select(p => p.ReachedTarget));
        Assert.Equal([0, 2], source.Asked);            // point 1 stopped at its cap before stop.loss: not measured
        Assert.Empty(ranked[1].Measures);
        Assert.Equal(0.2, ranked[1].Gap, 15);          // but its gap is kept
        var progress = new List<(int, int)>();
        var all = SweepMeasures.Load(dir, source = new CountingSource(), includeUnreached: true, progress: (k, n) => progress.Add((k, n)));
        Assert.Equal([0, 1, 2], source.Asked);
        Assert.Equal([false], all.Where(p => p.Index == 1).Select(p => p.ReachedTarget));
        Assert.Equal([(1, 3), (2, 3), (3, 3)], progress);

        // a run whose config cannot be read is named
        File.WriteAllText(Path.Combine(SweepWorker.RunDirectory(Path.Combine(dir, "points", points[1].DirectoryName)), "config.yaml"), "seed: [");
        var e = Assert.Throws<SweepException>(() => SweepMeasures.Load(dir, new CountingSource()));
        Assert.Contains("point 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("config.yaml", e.Message, StringComparison.Ordinal);
    }
}
