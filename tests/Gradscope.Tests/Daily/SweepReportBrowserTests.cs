using Gradscope.Sweeps;
using Gradscope.Sweeps.Ranking;
using Gradscope.Tests.Cli;

namespace Gradscope.Tests.Daily;

/// <summary>`gradscope report SWEEP-DIR` in a real browser: the ranking table of rank-measures and the measures-vs-gap
/// scatter of the measures at the top of that table, drawn offline.</summary>
public class SweepReportBrowserTests(ChromiumFixture f) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task SweepReportShowsTheRankingTableAndTheTopMeasuresAgainstTheGap()
    {
        string root = PlotAndTableTests.TempDir("sweep-report");
        try
        {
            string dir = PlotAndTableTests.FakeSweep(root);
            // six points of one hyperparameter, 14 measures; point 5 stopped at its cap before its target (no measures)
            var points = Enumerable.Range(0, 6).Select(i => new RankedPoint(i,
                new Dictionary<string, string> { ["algorithm.eta"] = $"0.{i + 1}" }, 0.05 * i + 0.01 * (i % 2),
                i == 5 ? new Dictionary<string, double>()
                       : Enumerable.Range(0, 14).ToDictionary(k => $"m{k:D2}", k => Math.Pow(-1, k) * (i + 1) + k * ((i * 7) % 5)),
                null, ReachedTarget: i != 5)).ToList();
            File.WriteAllText(Path.Combine(dir, SweepTable.MeasureValuesFile), SweepTable.MeasureValuesCsv(points));
            File.WriteAllText(Path.Combine(dir, "measure-ranking.csv"), MeasureRanking.ToCsv(MeasureRanking.Score(points)));

            var (code, stdout, stderr) = CliProcess.Run($"report \"{dir}\"");
            Assert.True(code == 0, stderr);
            string page = Path.Combine(dir, "report.html");
            Assert.Contains(page, stdout);

            var offMachine = new List<string>(); var errors = new List<string>();
            var p = await f.PageAsync(offMachine, errors);
            await p.GotoAsync(new Uri(page).AbsoluteUri);
            Assert.True(await p.EvaluateAsync<bool>("() => window.gradscopeChartsReady.then(r => Object.values(r).every(x => x.ok) && Object.keys(r).length === 12)"));
            // the table: every measure, in the CSV's order
            var rankingOrder = File.ReadAllLines(Path.Combine(dir, "measure-ranking.csv")).Skip(1).Select(l => l.Split(',')[0]).ToList();
            var rows = await p.Locator("table.evidence tbody tr td.id").AllTextContentsAsync();
            Assert.Equal(rankingOrder, rows);
            // the scatter plots: the first 12 measures of that table, each with the 5 scored points
            var captions = await p.Locator("figure.chart figcaption").AllTextContentsAsync();
            Assert.Equal(rankingOrder.Take(12).ToList(),
                captions.Select(c => c.Split(": ")[1].Split(" against ")[0]).ToList());
            foreach (var id in await p.Locator("figure.chart div.vega").EvaluateAllAsync<string[]>("els => els.map(e => e.id)"))
                Assert.Equal(5, await p.Locator($"[id='{id}'] g.mark-symbol.role-mark path").CountAsync());
            Assert.Contains("1 of 6 finished points stopped at their step or time cap before their training target (points 5)", await p.ContentAsync());
            Assert.Empty(offMachine);
            Assert.True(errors.Count == 0, string.Join("\n", errors));

            // an unranked sweep is a clear error, and no page is written
            File.Delete(page);
            File.Delete(Path.Combine(dir, "measure-ranking.csv"));
            (code, _, stderr) = CliProcess.Run($"report \"{dir}\"");
            Assert.Equal(1, code);
            Assert.Contains("rank-measures", stderr);
            Assert.False(File.Exists(page));
        }
        finally { Directory.Delete(root, true); }
    }
}
