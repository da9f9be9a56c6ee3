using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Gradscope.Tests.Cli;

/// <summary>One real reproduction (the claim nmgd-min-norm, quick scale, seed 5, 1 thread) that each test copies before acting on it.</summary>
public sealed class FinishedReproduction : IDisposable
{
    public FinishedReproduction()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"gs-repro-base-{Guid.NewGuid():N}");
        var (code, output, err) = CliProcess.Run($"reproduce --claims nmgd-min-norm --threads 1 --seed 5 --out \"{Dir}\"");
        if (code != 0) throw new InvalidOperationException($"the base reproduction failed ({code}): {output}{err}");
    }

    public string Dir { get; }

    /// <summary>A copy of the reproduction in a new folder.</summary>
    public string Copy()
    {
        var to = Path.Combine(Path.GetTempPath(), $"gs-repro-{Guid.NewGuid():N}");
        foreach (var f in Directory.GetFiles(Dir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(Dir, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return to;
    }

    public void Dispose() { try { Directory.Delete(Dir, true); } catch (IOException) { } }
}

/// <summary>
/// `reproduce --out` on an existing run directory, as a user runs it (the built CLI as a process): refused with nothing
/// changed, unless --resume (finished claims kept byte for byte, the others run, one merged summary and report) or --force.
/// </summary>
public class ReproduceOutputTests(FinishedReproduction base_) : IClassFixture<FinishedReproduction>
{
    /// <summary>Relative path and SHA-256 of every file under <paramref name="dir"/>.</summary>
    private static string[] Snapshot(string dir) => Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order()
        .Select(f => Path.GetRelativePath(dir, f) + " " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))).ToArray();

    private static JsonArray Claims(string dir) => (JsonArray)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!["claims"]!;

    private static void Delete(string dir) { if (Directory.Exists(dir)) Directory.Delete(dir, true); }

    [Fact]
    public void AnExistingReproductionIsRefusedAndLeftUnchanged()
    {
        var dir = base_.Copy();
        try
        {
            var before = Snapshot(dir);
            var (code, _, err) = CliProcess.Run($"reproduce --claims min-norm-stability --threads 1 --out \"{dir}\"");
            Assert.Equal(2, code);
            Assert.Contains("already holds a reproduction", err);
            Assert.Contains("nmgd-min-norm", err);
            Assert.Contains("--resume", err);
            Assert.Contains("--force", err);
            Assert.Equal(before, Snapshot(dir));
        }
        finally { Delete(dir); }
    }

    [Fact]
    public void ResumeKeepsFinishedClaimsAndRunsOnlyTheMissingOnes()
    {
        var dir = base_.Copy();
        try
        {
            var keptBefore = Claims(dir).Single()!.ToJsonString();
            var keptFolder = Snapshot(Path.Combine(dir, "claims", "nmgd-min-norm"));
            var (code, output, err) = CliProcess.Run($"reproduce --claims nmgd-min-norm,min-norm-stability --threads 1 --seed 5 --out \"{dir}\" --resume");
            Assert.True(code == 0, output + err);
            Assert.Contains("not run again: nmgd-min-norm", output);
            Assert.DoesNotContain("nmgd-min-norm: starting", output);
            var claims = Claims(dir);
            Assert.Equal(["nmgd-min-norm", "min-norm-stability"], claims.Select(c => (string)c!["id"]!));
            Assert.Equal(keptBefore, claims[0]!.ToJsonString()); // the kept result is the earlier one, unchanged
            Assert.Equal(keptFolder, Snapshot(Path.Combine(dir, "claims", "nmgd-min-norm")));
            Assert.NotEqual("error", (string)claims[1]!["verdict"]!);
            var report = File.ReadAllText(Path.Combine(dir, "report.html"));
            Assert.Contains("id=\"nmgd-min-norm\"", report);
            Assert.Contains("id=\"min-norm-stability\"", report);

            // Resuming again with nothing missing runs nothing and keeps both.
            var again = CliProcess.Run($"reproduce --claims nmgd-min-norm,min-norm-stability --threads 1 --out \"{dir}\" --resume");
            Assert.Equal(0, again.Code);
            Assert.DoesNotContain("starting", again.Out);
            Assert.Equal(2, Claims(dir).Count);
        }
        finally { Delete(dir); }
    }

    [Fact]
    public void ResumeRunsAgainAClaimThatEndedInAnError()
    {
        var dir = base_.Copy();
        try
        {
            var path = Path.Combine(dir, "summary.json");
            var doc = JsonNode.Parse(File.ReadAllText(path))!;
            doc["claims"]![0]!["verdict"] = "error";
            doc["claims"]![0]!["error"] = "IOException: disk full";
            File.WriteAllText(path, doc.ToJsonString());
            // --scale, --seed and --threads left out: the earlier run's (quick, 5, 1) are used.
            var (code, output, err) = CliProcess.Run($"reproduce --claims nmgd-min-norm --out \"{dir}\" --resume");
            Assert.True(code == 0, output + err);
            Assert.Contains("scale quick, 1 thread(s), seed 5", output);
            Assert.Contains("nmgd-min-norm: starting", output);
            var claim = Claims(dir).Single()!;
            // the claim ran again to a verdict (which one is the claim's business, not the resume's)
            Assert.NotEqual("error", (string)claim["verdict"]!);
            Assert.Null(claim["error"]);
        }
        finally { Delete(dir); }
    }

    [Fact]
    public void ForceStartsOver()
    {
        var dir = base_.Copy();
        try
        {
            File.WriteAllText(Path.Combine(dir, "claims", "stale.txt"), "from the earlier run");
            var (code, output, err) = CliProcess.Run($"reproduce --claims nmgd-min-norm --threads 1 --out \"{dir}\" --force");
            Assert.True(code == 0, output + err);
            Assert.False(File.Exists(Path.Combine(dir, "claims", "stale.txt")));
            Assert.Equal(["nmgd-min-norm"], Claims(dir).Select(c => (string)c!["id"]!));
        }
        finally { Delete(dir); }
    }

    [Fact]
    public void ImpossibleRequestsAreRefusedBeforeAnythingIsWritten()
    {
        var dir = base_.Copy();
        var other = Path.Combine(Path.GetTempPath(), $"gs-notarun-{Guid.NewGuid():N}");
        try
        {
            var before = Snapshot(dir);
            var both = CliProcess.Run($"reproduce --claims nmgd-min-norm --out \"{dir}\" --resume --force");
            Assert.Equal(2, both.Code);
            Assert.Contains("exclude each other", both.Err);
            var seed = CliProcess.Run($"reproduce --claims nmgd-min-norm --out \"{dir}\" --resume --seed 7");
            Assert.Equal(2, seed.Code);
            Assert.Contains("seed 5", seed.Err);
            var scale = CliProcess.Run($"reproduce --claims nmgd-min-norm --out \"{dir}\" --resume --scale full");
            Assert.Equal(2, scale.Code);
            Assert.Contains("scale quick", scale.Err);
            Assert.Equal(before, Snapshot(dir));

            // A non-empty folder that is not a reproduction is never deleted, even with --force.
            Directory.CreateDirectory(other);
            File.WriteAllText(Path.Combine(other, "thesis.tex"), "precious");
            var force = CliProcess.Run($"reproduce --claims nmgd-min-norm --out \"{other}\" --force");
            Assert.Equal(2, force.Code);
            Assert.Contains("not a reproduction", force.Err);
            Assert.Equal(["thesis.tex"], Directory.GetFileSystemEntries(other).Select(Path.GetFileName));
            var empty = Path.Combine(other, "empty");
            Directory.CreateDirectory(empty);
            var resumeEmpty = CliProcess.Run($"reproduce --claims nmgd-min-norm --out \"{empty}\" --resume");
            Assert.Equal(2, resumeEmpty.Code);
            Assert.Contains("no reproduction to resume", resumeEmpty.Err);
            Assert.Empty(Directory.GetFileSystemEntries(empty));
        }
        finally { Delete(dir); Delete(other); }
    }
}
