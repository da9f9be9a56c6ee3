using System.Text.Json;
using System.Text.Json.Nodes;
using Gradscope.Report;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Gradscope.Tests.Report;

/// <summary>
/// A summary.json whose chart specs name URLs (data.url, an image mark, href channels, usermeta loader options,
/// a config background image): the report rebuilds the specs from known fields, its Content-Security-Policy allows
/// no load at all, and, opened from file:// in Chromium, it makes zero network requests and still draws every chart.
/// </summary>
public class HostileSummaryTests(ITestOutputHelper output)
{
    const string Evil = "http://127.0.0.1:9/evil";

    /// <summary>Adds every fetching construct we know of to a builder's spec.</summary>
    static JsonObject Poison(JsonObject spec, int k)
    {
        var s = (JsonObject)spec.DeepClone();
        s["usermeta"] = new JsonObject { ["embedOptions"] = new JsonObject { ["loader"] = new JsonObject { ["baseURL"] = Evil + "/base/" }, ["defaultStyle"] = Evil + "/style.css" } };
        s["config"] = new JsonObject { ["background"] = "url(" + Evil + "/bg.png)" };
        s["datasets"] = new JsonObject { ["x"] = new JsonObject { ["url"] = Evil + "/datasets.json" } };
        if (s["data"] is JsonObject data) data["url"] = Evil + $"/data{k}.csv";
        if (s["encoding"] is JsonObject enc) enc["href"] = new JsonObject { ["field"] = "series", ["type"] = "nominal" };
        if (s["mark"] is JsonObject mark) mark["href"] = Evil + "/mark";
        var image = new JsonObject
        {
            ["data"] = new JsonObject { ["url"] = Evil + "/layer.json" },
            ["mark"] = new JsonObject { ["type"] = "image", ["url"] = Evil + "/img.png", ["width"] = 20, ["height"] = 20 },
            ["encoding"] = new JsonObject { ["url"] = new JsonObject { ["value"] = Evil + "/img2.png" } },
        };
        if (s["layer"] is JsonArray layers) layers.Add(image);
        s["transform"] = new JsonArray(new JsonObject { ["lookup"] = "x", ["from"] = new JsonObject { ["data"] = new JsonObject { ["url"] = Evil + "/lookup.csv" }, ["key"] = "x" } });
        return s;
    }

    static RunSummary HostileRun()
    {
        var run = SampleRun.Create();
        int k = 0;
        return run with
        {
            Claims = run.Claims.Select(c => c with { Charts = c.Charts.Select(ch => ch with { VegaLite = Poison(ch.VegaLite, k++) }).ToList() }).ToList(),
        };
    }

    static IEnumerable<string> Strings(JsonNode? n) => n switch
    {
        JsonObject o => o.SelectMany(kv => Strings(kv.Value).Prepend(kv.Key)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    [Fact]
    public void BuilderSpecsPassTheSanitizerUnchangedAndPoisonedOnesLoseEveryUrl()
    {
        var run = SampleRun.Create();
        var specs = run.Claims.SelectMany(c => c.Charts).Select(ch => ch.VegaLite).ToList();
        Assert.Equal(5, specs.Count);
        foreach (var spec in specs) Assert.True(JsonNode.DeepEquals(spec, ChartSpecSanitizer.Sanitize(spec)), spec.ToJsonString());
        int k = 0;
        foreach (var spec in specs)
        {
            var clean = ChartSpecSanitizer.Sanitize(Poison(spec, k++));
            Assert.True(JsonNode.DeepEquals(spec, clean), clean.ToJsonString());
            var strings = Strings(clean).ToList();
            Assert.DoesNotContain(strings, s => s.Contains("evil", StringComparison.Ordinal) || s is "url" or "href" or "usermeta" or "loader" or "image");
        }
        // what a spec may hold is numbers and known fields: a nested object in a data row, an unknown mark, a colour that is CSS
        var odd = JsonNode.Parse("""
            {"data": {"values": [{"x": 1, "y": {"url": "http://x"}}, "not a row"]},
             "mark": {"type": "line", "color": "url(http://x)", "strokeDash": [1, "url(http://x)"]},
             "encoding": {"x": {"field": "x", "type": "quantitative", "scale": {"type": "log", "domain": [1, {"signal": "x"}]}}},
             "layer": [{"mark": "image"}, {"mark": "text"}]}
            """)!.AsObject();
        var cleaned = ChartSpecSanitizer.Sanitize(odd);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"$schema": "https://vega.github.io/schema/vega-lite/v6.json",
             "data": {"values": [{"x": 1, "y": null}]},
             "mark": {"type": "line", "strokeDash": [1]},
             "encoding": {"x": {"field": "x", "type": "quantitative", "scale": {"type": "log", "domain": [1]}}}}
            """), cleaned), cleaned.ToJsonString());
    }

    [Fact]
    public void ThePolicyAllowsNoLoadAndNamesEveryInlineScript()
    {
        var csp = HtmlReport.ContentSecurityPolicy;
        Assert.StartsWith("default-src 'none';", csp);
        Assert.DoesNotContain("http", csp);
        Assert.DoesNotContain("*", csp);
        Assert.DoesNotContain("'self'", csp);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(csp, "'sha256-").Count); // vega, vega-lite, vega-embed, bootstrap
        var html = HtmlReport.Render(SampleRun.Create());
        Assert.True(html.IndexOf("Content-Security-Policy", StringComparison.Ordinal) < html.IndexOf("<script", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AHostileSummaryOpenedFromFileMakesNoRequestAndDrawsEveryChart()
    {
        if (!File.Exists(BrowserReportFixture.ChromiumPath)) throw new InvalidOperationException($"Chromium is missing at {BrowserReportFixture.ChromiumPath}.");
        string dir = Directory.CreateTempSubdirectory("gs-hostile-report-").FullName;
        try
        {
            var run = HostileRun();
            SummaryFile.Write(Path.Combine(dir, SummaryFile.FileName), run);
            Assert.Contains(Evil, File.ReadAllText(Path.Combine(dir, SummaryFile.FileName)));
            string report = HtmlReport.RenderRunDirectory(dir);
            Assert.DoesNotContain("127.0.0.1", File.ReadAllText(report));

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = BrowserReportFixture.ChromiumPath, Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            var context = await browser.NewContextAsync();
            var page = await context.NewPageAsync();
            string pageUrl = new Uri(report).AbsoluteUri;
            var requests = new List<string>();
            var errors = new List<string>();
            page.Request += (_, r) => { if (r.Url != pageUrl && !r.Url.StartsWith("data:", StringComparison.Ordinal) && !r.Url.StartsWith("blob:", StringComparison.Ordinal)) lock (requests) requests.Add(r.Url); };
            page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add(m.Text); };
            // every request but the page itself is recorded above and refused here
            await context.RouteAsync("**/*", route => route.Request.Url == pageUrl ? route.ContinueAsync() : route.AbortAsync());
            await page.GotoAsync(pageUrl, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
            var results = await page.EvaluateAsync<JsonElement>("() => window.gradscopeChartsReady.then(r => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.ok ? 'ok' : v.error])))");
            var drawn = await page.EvaluateAsync<int>("() => document.querySelectorAll('.vega svg.marks g.role-mark path').length");
            string[] pageRequests;
            lock (requests) { pageRequests = [.. requests]; requests.Clear(); }
            var failures = new List<string>();
            page.RequestFailed += (_, r) => { lock (failures) failures.Add($"{r.Url} {r.Failure}"); };
            var routed = new List<string>();
            await context.RouteAsync("http*://**", route => { lock (routed) routed.Add(route.Request.Url); return route.AbortAsync(); });

            // the policy itself: a script the page runs cannot load anything either
            var violations = await page.EvaluateAsync<int>("""
                async () => {
                  let n = 0;
                  document.addEventListener('securitypolicyviolation', () => n++);
                  try { await fetch('http://127.0.0.1:9/fetch'); } catch (e) { }
                  const img = new Image(); img.src = 'http://127.0.0.1:9/img.png';
                  const css = document.createElement('link'); css.rel = 'stylesheet'; css.href = 'http://127.0.0.1:9/x.css'; document.head.appendChild(css);
                  await new Promise(r => setTimeout(r, 300));
                  return n;
                }
                """);
            output.WriteLine($"charts: {results}; drawn mark paths: {drawn}; violations from the probe: {violations}");
            foreach (var e in errors) output.WriteLine("console: " + e);

            var charts = results.EnumerateObject().Where(p => !p.Name.StartsWith('$')).ToList(); // "$id": Playwright's reference bookkeeping
            Assert.Equal(5, charts.Count);
            Assert.All(charts, p => Assert.Equal("ok", p.Value.GetString()));
            Assert.True(drawn > 30, $"only {drawn} mark paths drawn");
            Assert.True(pageRequests.Length == 0, "requests:\n" + string.Join("\n", pageRequests));
            // the probe's three loads are stopped by the policy inside the browser: none reaches the network layer
            output.WriteLine("probe: " + string.Join("; ", failures));
            Assert.Equal(3, violations);
            Assert.Empty(routed);
            Assert.All(failures, f => Assert.EndsWith(" csp", f)); // Chromium's failure text for a load the policy blocked
        }
        finally { Directory.Delete(dir, true); }
    }
}
