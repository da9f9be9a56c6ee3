using Gradscope.Sweeps;
using Gradscope.Sweeps.Slurm;

namespace Gradscope.Tests.Sweeps;

public class SlurmTests(SlurmCluster cluster) : IClassFixture<SlurmCluster>
{
    [Fact]
    public void ASweepRunsAsAJobArrayOnARealSlurm()
    {
        Assert.True(cluster.StartError is null, $"Slurm test cluster did not start: {cluster.StartError}");
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var sweep = SweepFile.Load(t.Write("s.yaml", """
            base: base.yaml
            grid:
              model.width: [1, 2, 3]
              algorithm.eta: [0.1, 0.2]
            resources: {cpus: 1, mem: 50M, time: "00:05:00", partition: debug}
            chunk: 2
            """));
        var dir = Path.Combine(t.Root, "out");
        var client = new SlurmClient(cluster.ConfPath);
        client.EnsureAvailable();
        SweepDirectory.CreateOrOpen(sweep, dir, 1, 30).Dispose();
        var (job, counts) = new SlurmExecutor(client) { PollInterval = TimeSpan.FromMilliseconds(300) }
            .Run(dir, SweepTestFiles.Cli(), sweep.Resources, sweep.Chunk, maxConcurrent: 2, trainCommand: t.FakeTrain(0.1));
        Assert.NotNull(job);
        var script = File.ReadAllText(Path.Combine(dir, "slurm", "sweep.sbatch"));
        Assert.Contains("#SBATCH --array=0-2%2", script);          // 6 points / chunk 2 = 3 tasks
        Assert.Contains("#SBATCH --mem=50M", script);
        Assert.Equal(6, counts[PointStatus.Done]);
        using var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile));
        Assert.All(index.Points(), p => Assert.StartsWith($"slurm-{job}-", p.Worker));
        Assert.Equal("ok", index.IntegrityCheck());
    }
}
