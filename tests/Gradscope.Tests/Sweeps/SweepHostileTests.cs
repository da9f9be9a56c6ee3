using System.Diagnostics;
using System.Text;
using Gradscope.Sweeps;
using Gradscope.Sweeps.Slurm;
using Microsoft.Data.Sqlite;

namespace Gradscope.Tests.Sweeps;

/// <summary>
/// Hostile sweep input: Slurm resource values and paths that would inject shell lines or directives, sweeps started
/// together on one fresh directory, a damaged index, and an index that names a command to run.
/// </summary>
public class SweepHostileTests
{
    [Theory]
    [InlineData("partition", "debug\ntouch X")]
    [InlineData("partition", "debug;touch X")]
    [InlineData("partition", "$(touch X)")]
    [InlineData("partition", "debug\n")]
    [InlineData("partition", "")]
    [InlineData("mem", "1G\n#SBATCH --wrap=x")]
    [InlineData("mem", "1G --wrap=x")]
    [InlineData("mem", "1.5G")]
    [InlineData("mem", "-1G")]
    [InlineData("mem", "1GB")]
    [InlineData("time", "00:10:00\nrm -rf ~")]
    [InlineData("time", "1:2:3:4")]
    [InlineData("time", "10 minutes")]
    [InlineData("time", "1-")]
    [InlineData("cpus", "0")]
    [InlineData("cpus", "1000001")]
    public void HostileResourceValuesAreRefusedNamingTheKey(string key, string value)
    {
        var r = key switch
        {
            "partition" => new SlurmResources(null, null, null, value),
            "mem" => new SlurmResources(null, value, null, null),
            "time" => new SlurmResources(null, null, value, null),
            _ => new SlurmResources(int.Parse(value), null, null, null),
        };
        var e = Assert.Throws<SweepException>(() => SlurmScript.Create("/tmp/sweep", new GradscopeCommandLine("/usr/bin/gradscope", []), r, 2, 1, 1));
        Assert.StartsWith($"resources.{key}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message); // one line: control characters are shown escaped
    }

    [Theory]
    [InlineData(4, "400M", "00:10:00", "debug")]
    [InlineData(1, "2G", "30", "gpu-a100,cpu_long")]
    [InlineData(64, "1024", "2-12", "p.1")]
    [InlineData(null, "8t", "1-00:30", null)]
    [InlineData(null, null, "1-00:30:15", null)]
    [InlineData(null, "0", "5:30", null)]
    [InlineData(null, null, "UNLIMITED", null)]
    public void ValidSlurmValuesAreWrittenAsDirectives(int? cpus, string? mem, string? time, string? partition)
    {
        var script = SlurmScript.Create("/tmp/sweep", new GradscopeCommandLine("/usr/bin/gradscope", []), new SlurmResources(cpus, mem, time, partition), 3, 2, 2);
        if (mem != null) Assert.Contains($"\n#SBATCH --mem={mem}\n", script);
        if (time != null) Assert.Contains($"\n#SBATCH --time={time}\n", script);
        if (partition != null) Assert.Contains($"\n#SBATCH --partition={partition}\n", script);
        Assert.Contains($"\n#SBATCH --cpus-per-task={cpus ?? 1}\n", script);
    }

    private static (int Code, string Out, string Err) Bash(string cwd, IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    [Fact]
    public void PathsWithShellCharactersReachTheJobUnexpanded()
    {
        using var t = new SweepTestFiles();
        // a sweep directory and a binary path full of what a shell would expand or split
        string weird = "a $(touch PWNED1) `touch PWNED2` ${HOME} \"dq\" 'sq' \\ ; & | * ~ %A%a";
        string sweepDir = Path.Combine(t.Root, weird, "sweep");
        string binDir = Directory.CreateDirectory(Path.Combine(t.Root, "bin $(touch PWNED3) 'x'")).FullName;
        string printer = Path.Combine(binDir, "print-args");
        string argsOut = Path.Combine(t.Root, "args.bin");
        File.WriteAllText(printer, "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"$ARGS_OUT\"\n");
        SweepTestFiles.MakeExecutable(printer);
        var fake = new GradscopeCommandLine(Path.Combine(binDir, "fake 'train' $(touch PWNED4)"), []);
        var script = SlurmScript.Create(sweepDir, new GradscopeCommandLine(printer, ["--prefix $(touch PWNED5)"]),
            new SlurmResources(2, "1G", "00:05:00", "debug"), 3, 2, 2, trainCommand: fake);
        string scriptPath = t.Write("sweep.sbatch", script);

        // every line is a directive or comment, but the one exec line
        var lines = script.TrimEnd('\n').Split('\n');
        Assert.All(lines[..^1], l => Assert.StartsWith("#", l));
        Assert.StartsWith("exec ", lines[^1]);
        Assert.Equal(0, Bash(t.Root, new Dictionary<string, string>(), "-n", scriptPath).Code);

        var env = new Dictionary<string, string> { ["SLURM_ARRAY_JOB_ID"] = "77", ["SLURM_ARRAY_TASK_ID"] = "3", ["ARGS_OUT"] = argsOut };
        var (code, _, err) = Bash(t.Root, env, scriptPath);
        Assert.True(code == 0, err);
        var argv = Encoding.UTF8.GetString(File.ReadAllBytes(argsOut)).TrimEnd('\0').Split('\0');
        Assert.Equal(["--prefix $(touch PWNED5)", "sweep-worker", sweepDir, "--worker-id", "slurm-77-3", "--max-points", "2", "--train-command", fake.FileName], argv);
        Assert.Empty(Directory.GetFiles(t.Root, "PWNED*", SearchOption.AllDirectories));

        // a newline in a path is refused
        var e = Assert.Throws<SweepException>(() => SlurmScript.Create(Path.Combine(t.Root, "x\ntouch PWNED6"), new GradscopeCommandLine(printer, []),
            new SlurmResources(null, null, null, null), 1, 1, 1));
        Assert.Contains("control character", e.Message);
        Assert.Contains("x\\ntouch PWNED6", e.Message);
    }

    [Fact]
    public void AHostilePartitionIsRefusedByTheSweepCommandBeforeAnythingIsWritten()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var path = t.Write("s.yaml", "base: base.yaml\ngrid:\n  model.width: [4, 8]\nresources: {partition: \"debug\\ntouch X\"}\n");
        var dir = Path.Combine(t.Root, "out");
        var r = SweepTestFiles.RunCli(null, "sweep", path, "--out", dir, "--executor", "slurm");
        Assert.Equal(2, r.Code);
        Assert.Contains("resources.partition: 'debug\\ntouch X' is not valid", r.Err);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task TwoSweepsStartedTogetherOnAFreshDirectoryBothFinishAndRunEachPointOnce()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var path = t.Write("s.yaml", "base: base.yaml\ngrid:\n  model.width: [1, 2, 3]\n");
        var fake = t.FakeTrain(0.0).FileName;
        for (int round = 0; round < 2; round++)
        {
            var dir = Path.Combine(t.Root, $"out{round}");
            var runs = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
                SweepTestFiles.RunCli(null, "sweep", path, "--out", dir, "--parallel", "1", "--train-command", fake))).ToArray();
            foreach (var r in await Task.WhenAll(runs)) Assert.True(r.Code == 0, $"exit {r.Code}: {r.Out} {r.Err}");
            using var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile));
            Assert.All(index.Points(), p => Assert.Equal(PointStatus.Done, p.Status));
            Assert.Equal(index.Points().Select(p => p.Index).Order(), index.Events().Where(e => e.Kind == PointStatus.Done).Select(e => e.Index).Order());
            Assert.Empty(Directory.GetDirectories(t.Root, $"out{round}.tmp-*"));
        }
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("no tables")]
    public void StatusOfADamagedIndexIsAClearError(string damage)
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", SweepTestFiles.BaseYaml);
        var sweep = SweepFile.Load(t.Write("s.yaml", "base: base.yaml\ngrid:\n  model.width: [1, 2, 3]\n"));
        var dir = Path.Combine(t.Root, "out");
        SweepDirectory.CreateOrOpen(sweep, dir, 1, 30).Dispose();
        SqliteConnection.ClearAllPools();
        var indexPath = Path.Combine(dir, SweepDirectory.IndexFile);
        foreach (var f in new[] { indexPath + "-wal", indexPath + "-shm" }) if (File.Exists(f)) File.Delete(f);
        switch (damage)
        {
            case "garbage": File.WriteAllBytes(indexPath, Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251)).ToArray()); break;
            case "truncated": var b = File.ReadAllBytes(indexPath); File.WriteAllBytes(indexPath, b[..(b.Length / 3)]); break;
            default:
                File.Delete(indexPath);
                using (var c = new SqliteConnection($"Data Source={indexPath};Pooling=False")) { c.Open(); using var cmd = c.CreateCommand(); cmd.CommandText = "CREATE TABLE other(x)"; cmd.ExecuteNonQuery(); }
                break;
        }
        var r = SweepTestFiles.RunCli(null, "sweep", "--status", dir);
        Assert.Equal(2, r.Code);
        Assert.Contains(indexPath, r.Err);
        Assert.Contains("not a Gradscope sweep index", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public void ACommandLineWrittenIntoTheIndexIsNeverRun()
    {
        using var t = new SweepTestFiles();
        t.Write("base.yaml", """
            seed: 1
            model:
              mlp:
                widths: [4, 3, 1]
            data:
              train: {name: separable, n: 16, d: 4}
            loss:
              kind: logistic
            algorithm:
              name: gd
              eta: 0.1
            stop:
              steps: 5
            """);
        var path = t.Write("s.yaml", "base: base.yaml\ngrid:\n  algorithm.eta: [0.1]\n");
        var dir = Path.Combine(t.Root, "out");
        var sweep = SweepFile.Load(path);
        SweepDirectory.CreateOrOpen(sweep, dir, 1, 30).Dispose();
        string marker = Path.Combine(t.Root, "PWNED");
        using (var c = new SqliteConnection($"Data Source={Path.Combine(dir, SweepDirectory.IndexFile)};Pooling=False"))
        {
            c.Open();
            Assert.Equal(0L, (long)new SqliteCommand("SELECT COUNT(*) FROM meta WHERE key LIKE '%command%'", c).ExecuteScalar()!);
            // what an older Gradscope stored, rewritten by someone who can write the sweep directory
            using var cmd = new SqliteCommand("INSERT INTO meta(key, value) VALUES ('train_command', $v)", c);
            cmd.Parameters.AddWithValue("$v", System.Text.Json.JsonSerializer.Serialize(new[] { "/bin/sh", "-c", $"touch '{marker}'", "sh" }));
            cmd.ExecuteNonQuery();
        }
        var r = SweepTestFiles.RunCli(null, "sweep", path, "--out", dir, "--parallel", "1");
        Assert.True(r.Code == 0, r.Err + r.Out);
        Assert.False(File.Exists(marker));
        var point = Directory.GetDirectories(Path.Combine(dir, "points")).Single();
        Assert.Contains("\"status\": \"completed\"", File.ReadAllText(Path.Combine(point, "run", "final.json")));
    }
}
