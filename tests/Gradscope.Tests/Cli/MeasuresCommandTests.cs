using System.Text.Json;
using System.Text.RegularExpressions;
using Gradscope.Measures.Registry;

namespace Gradscope.Tests.Cli;

/// <summary>`gradscope measures` lists the registry, and docs/measure.md documents every registry key with its THEORY.md section.</summary>
public class MeasuresCommandTests
{
    [Fact]
    public void JsonListsEveryRegistryKeyWithItsDescription()
    {
        var (code, output, err) = CliProcess.Run("measures --json");
        Assert.True(code == 0, err);
        var list = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.Equal(MeasureRegistry.All.Select(m => m.Info.Key), list.Select(e => e.GetProperty("key").GetString()));
        foreach (var e in list)
        {
            var info = MeasureRegistry.All.Single(m => m.Info.Key == e.GetProperty("key").GetString()).Info;
            Assert.Equal(info.Formula, e.GetProperty("formula").GetString());
            Assert.Equal(info.Section, e.GetProperty("section").GetString());
            Assert.Equal(info.CostName, e.GetProperty("cost").GetString());
        }
        var bft = list.Single(e => e.GetProperty("key").GetString() == "bound.bft");
        Assert.Contains("homogeneous net", bft.GetProperty("needs").EnumerateArray().Select(x => x.GetString()));
    }

    [Fact]
    public void PatternsSelectAndUnknownOnesAreAnError()
    {
        var (code, output, _) = CliProcess.Run("measures bound.* --json");
        Assert.Equal(0, code);
        var keys = JsonDocument.Parse(output).RootElement.EnumerateArray().Select(e => e.GetProperty("key").GetString()).ToList();
        Assert.All(keys, k => Assert.StartsWith("bound.", k));
        Assert.Contains("bound.conv_ratio", keys);
        var bad = CliProcess.Run("measures bound.nope");
        Assert.Equal(1, bad.Code);
        Assert.Contains("'bound.nope' matches no measure", bad.Err);
        Assert.DoesNotContain("   at ", bad.Err);
    }

    [Fact]
    public void DocsListEveryRegistryKeyWithItsSection()
    {
        string dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "docs", "measure.md"))) dir = Path.GetDirectoryName(dir)!;
        Assert.NotNull(dir);
        var rows = File.ReadAllLines(Path.Combine(dir!, "docs", "measure.md")).Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();
        var missing = new List<string>();
        foreach (var m in MeasureRegistry.All)
        {
            var row = rows.FirstOrDefault(r => r.Split('|')[1].Contains($"`{m.Info.Key}`", StringComparison.Ordinal));
            var sections = row is null ? [] : Regex.Matches(row, @"\[([0-9, ]+)\]").SelectMany(x => x.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries)).ToHashSet();
            if (!sections.Contains(m.Info.Section)) missing.Add($"{m.Info.Key} [{m.Info.Section}]");
        }
        Assert.True(missing.Count == 0, "docs/measure.md lacks a row (with its THEORY.md section) for: " + string.Join(", ", missing));
    }
}
