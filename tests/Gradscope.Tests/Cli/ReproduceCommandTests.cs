using System.Diagnostics;
using System.Text.Json;

namespace Gradscope.Tests.Cli;

/// <summary>`gradscope reproduce` and `gradscope claims` run as a user would (the built CLI as a process).</summary>
public class ReproduceCommandTests
{
    private static (int Code, string Out, string Err) Run(string args) => CliProcess.Run(args);

    [Fact]
    public void ReproducesTwoClaimsIntoARunDirectoryWhoseVerdictsFollowFromTheNumbers()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-reproduce-{Guid.NewGuid():N}");
        try
        {
            var (code, output, err) = Run($"reproduce --claims deep-linear-alignment,min-norm-stability --threads 1 --out \"{dir}\"");
            Assert.True(code == 0, output + err);
            Assert.Contains("deep-linear-alignment", output);
            Assert.True(File.Exists(Path.Combine(dir, "report.html")));
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var claims = doc.RootElement.GetProperty("claims").EnumerateArray().ToList();
            Assert.Equal(["deep-linear-alignment", "min-norm-stability"], claims.Select(c => c.GetProperty("id").GetString()));
            foreach (var claim in claims)
            {
                // the verdict is recomputed here from the numbers: reproduced iff >= 1 checked number and all pass
                int checkedCount = 0; bool all = true;
                foreach (var n in claim.GetProperty("numbers").EnumerateArray())
                {
                    if (!n.TryGetProperty("threshold", out var th) || th.ValueKind == JsonValueKind.Null) continue;
                    double v = n.GetProperty("value").ValueKind == JsonValueKind.Number ? n.GetProperty("value").GetDouble() : double.NaN;
                    double t = th.GetDouble();
                    bool pass = n.GetProperty("comparison").GetString() switch
                    {
                        "<=" => v <= t, ">=" => v >= t, "<" => v < t, ">" => v > t, "=" => v == t,
                        var op => throw new InvalidDataException($"unexpected comparison {op}"),
                    };
                    Assert.Equal(pass, n.GetProperty("passed").GetBoolean());
                    Assert.False(string.IsNullOrWhiteSpace(n.GetProperty("justification").GetString()));
                    checkedCount++; all &= pass;
                }
                // THEORY section 6: a failed hypothesis -> invalid setup; a failed (or no) check -> not reproduced;
                // all checks pass but no control, or a control passing every check -> inconclusive
                bool hypothesesHold = claim.TryGetProperty("hypotheses", out var hs) ? hs.EnumerateArray().All(h => h.GetProperty("holds").GetBoolean()) : true;
                var controls = claim.TryGetProperty("controls", out var cs) ? cs.EnumerateArray().ToList() : [];
                bool discriminate = controls.Count > 0 && controls.All(c => c.GetProperty("checks").EnumerateArray().Any(e => !e.GetProperty("passed").GetBoolean()));
                foreach (var c in controls)
                    Assert.Equal(c.GetProperty("checks").EnumerateArray().Any(e => !e.GetProperty("passed").GetBoolean()), c.GetProperty("discriminates").GetBoolean());
                string expected = !hypothesesHold ? "invalid-setup" : !(checkedCount > 0 && all) ? "not-reproduced" : discriminate ? "reproduced" : "inconclusive";
                Assert.Equal(expected, claim.GetProperty("verdict").GetString());
            }
            // every training run of a claim leaves its config, metrics and final weights
            var runs = Directory.GetFiles(Path.Combine(dir, "claims"), "config.yaml", SearchOption.AllDirectories).Select(Path.GetDirectoryName).ToList();
            Assert.NotEmpty(runs);
            foreach (var run in runs)
                foreach (var f in new[] { "metrics.csv", "metrics.jsonl", "model.safetensors", "final.json" })
                    Assert.True(File.Exists(Path.Combine(run!, f)), $"{run}/{f}");
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void UnknownClaimIdIsAnErrorNamingIt()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gs-reproduce-{Guid.NewGuid():N}");
        var (code, _, err) = Run($"reproduce --claims linear-max-margin,no-such-claim --out \"{dir}\"");
        Assert.Equal(2, code);
        Assert.Contains("no-such-claim", err);
        Assert.Contains("linear-max-margin", err);
        Assert.False(Directory.Exists(dir), "nothing is written for a rejected command line");
    }

    [Fact]
    public void ClaimsListsEveryRegisteredClaimWithItsPaper()
    {
        var (code, output, _) = Run("claims");
        Assert.Equal(0, code);
        foreach (var (def, _) in Gradscope.Claims.ClaimRegistry.All)
        {
            Assert.Contains(def.Id, output);
            Assert.Contains($"(paper {def.Paper})", output);
        }
    }
}
