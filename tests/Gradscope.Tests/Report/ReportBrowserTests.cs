using System.Text.Json;
using Gradscope.Report;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Gradscope.Tests.Report;

/// <summary>The report in a real browser (Debian chromium, headless): charts draw, links navigate, nothing fails or goes online.</summary>
public class ReportBrowserTests(BrowserReportFixture f, ITestOutputHelper output) : IClassFixture<BrowserReportFixture>
{
    static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>The element ids of every chart, with the Vega mark classes its builder must produce.</summary>
    IEnumerable<(string Element, string[] Marks)> ExpectedCharts()
    {
        var anchors = HtmlReport.Anchors(f.Run);
        for (int i = 0; i < f.Run.Claims.Count; i++)
        {
            var claim = f.Run.Claims[i];
            var ids = HtmlReport.ChartElementIds(anchors[i], claim);
            for (int k = 0; k < claim.Charts.Count; k++)
            {
                var spec = claim.Charts[k].VegaLite;
                string[] marks = spec.ContainsKey("layer") ? ["mark-symbol", "mark-line"]
                    : (string?)spec["mark"]!["type"] == "bar" ? ["mark-rect"] : ["mark-line"];
                yield return (ids[k], marks);
            }
        }
    }

    sealed record ChartState(bool Ok, string? Error, bool Svg, Dictionary<string, int> Drawn, bool Actions);

    [Fact]
    public async Task EveryChartDrawsItsMarks()
    {
        var expected = ExpectedCharts().ToList();
        Assert.Equal(5, expected.Count);
        foreach (var (element, marks) in expected)
        {
            var json = await f.Page.EvaluateAsync<JsonElement>(@"([id, marks]) => {
                const el = document.getElementById(id);
                const r = (window.gradscopeCharts || {})[id] || { ok: false, error: 'no vegaEmbed result' };
                const drawn = {};
                // a drawn mark is an SVG path (or line) with geometry inside a data mark's group (not a legend's)
                for (const m of marks) drawn[m] = [...el.querySelectorAll('g.' + m + '.role-mark path, g.' + m + '.role-mark line')]
                    .filter(p => (p.getAttribute('d') || '').length > 2 || p.tagName === 'line').length;
                return { ok: r.ok, error: r.error || null, svg: !!el.querySelector('svg.marks'), drawn,
                         actions: !!el.querySelector('.vega-actions') };
            }", new object[] { element, marks });
            var state = json.Deserialize<ChartState>(Web)!;
            Assert.True(state.Ok, $"{element}: {state.Error}");
            Assert.True(state.Svg, $"{element}: no svg.marks");
            foreach (var m in marks) Assert.True(state.Drawn[m] > 0, $"{element}: no drawn {m}");
            Assert.True(state.Actions, $"{element}: no export menu");
        }
        // every mark of a kind is drawn: the bar chart has 24 bars, the scatter 6 points
        Assert.Equal(24, await f.Page.Locator("#bound-tracks-error--spectrum g.mark-rect.role-mark path").CountAsync());
        Assert.Equal(6, await f.Page.Locator("#bound-tracks-error--bound-vs-error g.mark-symbol.role-mark path").CountAsync());
    }

    [Fact]
    public void NoConsoleErrorsAndNothingFetchedFromTheNetwork()
    {
        output.WriteLine("set-up: " + string.Join(", ", f.Timings));
        foreach (var w in f.ConsoleWarnings) output.WriteLine("console warning: " + w);
        Assert.True(f.ConsoleErrors.Count == 0, "console errors:\n" + string.Join("\n", f.ConsoleErrors));
        // vega warns about specs it cannot draw as asked (e.g. a log axis including zero): a builder bug
        Assert.True(f.ConsoleWarnings.Count == 0, "console warnings:\n" + string.Join("\n", f.ConsoleWarnings));
        Assert.True(f.ExternalRequests.Count == 0, "external requests:\n" + string.Join("\n", f.ExternalRequests));
    }

    [Fact]
    public async Task VerdictTableLinksNavigateToTheirSections()
    {
        var links = f.Page.Locator("table.verdicts a");
        Assert.Equal(f.Run.Claims.Count, await links.CountAsync());
        var anchors = HtmlReport.Anchors(f.Run);
        for (int i = 0; i < anchors.Count; i++)
        {
            await f.Page.EvaluateAsync("() => window.scrollTo(0, 0)");
            await links.Nth(i).ClickAsync();
            var nav = await f.Page.EvaluateAsync<JsonElement>(@"() => {
                const t = document.querySelector(':target');
                const r = t ? t.getBoundingClientRect() : null;
                return { hash: decodeURIComponent(location.hash), target: t ? t.id : null,
                         tag: t ? t.tagName : null, top: r ? r.top : -1e9, vh: window.innerHeight };
            }");
            Assert.Equal("#" + anchors[i], nav.GetProperty("hash").GetString());
            Assert.Equal(anchors[i], nav.GetProperty("target").GetString());
            Assert.Equal("SECTION", nav.GetProperty("tag").GetString());
            double top = nav.GetProperty("top").GetDouble();
            Assert.True(top >= -2 && top < nav.GetProperty("vh").GetDouble(), $"section {anchors[i]} top at {top}px, not in view");
            // and its "back to the verdicts" link returns to the table
            await f.Page.Locator($"section#{anchors[i]} p.meta a").ClickAsync();
            Assert.Equal("verdicts", await f.Page.EvaluateAsync<string>("() => document.querySelector(':target').id"));
        }
    }

    [Fact]
    public async Task ChartsCanBeSavedAsSvgAndPng()
    {
        const string chart = "#linear-max-margin--angle";
        foreach (var (label, magic) in new[] { ("SVG", "<svg"), ("PNG", "\u0089PNG") })
        {
            var menu = f.Page.Locator($"{chart} details");
            if (await menu.GetAttributeAsync("open") is null) await f.Page.Locator($"{chart} details > summary").ClickAsync();
            var link = f.Page.Locator($"{chart} .vega-actions a", new() { HasTextString = $"Save as {label}" });
            // vega-embed renders the image on mousedown and sets the link's href when done; a person's
            // click gives it the time between mousedown and mouseup, a scripted click does not
            await link.DispatchEventAsync("mousedown");
            await f.Page.WaitForFunctionAsync("a => a.getAttribute('href') !== '#'", await link.ElementHandleAsync());
            var download = await f.Page.RunAndWaitForDownloadAsync(() => link.ClickAsync());
            string path = Path.Combine(f.Directory, download.SuggestedFilename);
            await download.SaveAsAsync(path);
            var head = File.ReadAllBytes(path).Take(magic.Length).Select(b => (char)b);
            Assert.Equal(magic, new string([.. head]));
            output.WriteLine($"saved {download.SuggestedFilename}: {new FileInfo(path).Length} bytes");
        }
    }

    [Fact]
    public async Task ScreenshotForTheEye()
    {
        await f.Page.EvaluateAsync("() => window.scrollTo(0, 0)");
        string path = Path.Combine(Path.GetTempPath(), "gradscope-report-screenshot.png");
        await f.Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 10_000);
        output.WriteLine("screenshot: " + path);
    }
}
