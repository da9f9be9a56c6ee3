using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gradscope.Sweeps;
using Gradscope.Sweeps.Slurm;

namespace Gradscope.Tests.Sweeps;

/// <summary>Bad input through the CLI and the Slurm client: a clear error, exit code 2, and no sweep directory written.</summary>
public class SweepBadInputTests
{
    [Theory]
    [InlineData("grid:\n  model.width: [4]\n  algorithm.steps: [1, 2]\n", "key 'algorithm.steps' does not exist in the base config", ":4")]
    [InlineData("grid:\n  model.width: []\n", "grid.model.width: must be a non-empty list of values, got an empty list", ":3")]
    public void ABadAxisIsAnErrorNamingItAndWritesNothing(string body, string expected, string line)
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var path = t.Write("bad.yaml", "base: base.yaml\n" + body);
        var dir = Path.Combine(t.Root, "out");
        var r = SweepTestFiles.RunCli(null, "sweep", path, "--out", dir);
        Assert.Equal(2, r.Code);
        Assert.Contains(path + line, r.Err);
        Assert.Contains(expected, r.Err);
        Assert.False(Directory.Exists(dir));
        Assert.Empty(Directory.GetDirectories(t.Root)); // no temporary sibling either
    }

    [Fact]
    public void SlurmNotInstalledIsAnErrorBeforeTheSweepDirectoryIsWritten()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var path = t.Write("s.yaml", "base: base.yaml\ngrid:\n  model.width: [4, 8]\n");
        var dir = Path.Combine(t.Root, "out");
        var empty = Directory.CreateDirectory(Path.Combine(t.Root, "empty-bin")).FullName;
        var r = SweepTestFiles.RunCli(new Dictionary<string, string> { ["PATH"] = empty }, "sweep", path, "--out", dir, "--executor", "slurm");
        Assert.Equal(2, r.Code);
        Assert.Contains("Slurm is not available", r.Err);
        Assert.Contains("--executor local", r.Err);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void AMissingSlurmConfigurationFailsAtOnce()
    {
        // Every Slurm client retries a missing configuration file for 60 s; the check must not wait for that.
        var client = new SlurmClient(Path.Combine(Path.GetTempPath(), "no-such-dir", "slurm.conf"));
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SweepException>(client.EnsureAvailable);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed.TotalSeconds} s");
        Assert.Contains("Slurm is not available", e.Message);
        Assert.Contains("no-such-dir", e.Message);
    }

    [Fact]
    public void AControllerThatDoesNotAnswerFailsFast()
    {
        // A valid configuration whose controller port has no listener: squeue and sinfo retry for about 10 s,
        // scontrol ping reports DOWN at once.
        using var t = new SweepTestFiles();
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var conf = t.Write("slurm.conf", $"""
            ClusterName=gradscope-dead
            SlurmctldHost=localhost
            SlurmctldPort={port}
            AuthType=auth/none
            CredType=cred/none
            NodeName=localhost CPUs=1 State=UNKNOWN
            PartitionName=debug Nodes=localhost Default=YES State=UP

            """);
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<SweepException>(new SlurmClient(conf).EnsureAvailable);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(7), $"took {watch.Elapsed.TotalSeconds} s");
        // Without the Slurm client the same check reports it missing instead.
        bool installed = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "scontrol")));
        Assert.Contains(installed ? "Slurm is not answering: 'scontrol ping'" : "Slurm is not available", e.Message);
    }
}
