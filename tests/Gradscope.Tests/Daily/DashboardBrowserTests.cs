using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gradscope.Report;
using Gradscope.Tests.Cli;
using Gradscope.Tests.Report;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Gradscope.Tests.Daily;

/// <summary>Chromium (headless, Debian's) for the daily-loop pages; every request off the machine is aborted and recorded.</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(BrowserReportFixture.ChromiumPath))
            throw new InvalidOperationException($"The browser tests need Chromium at {BrowserReportFixture.ChromiumPath} (scripts/test.sh installs it when run as root).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserReportFixture.ChromiumPath, Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A page whose requests to anything but <paramref name="allowedPrefix"/> (and file:, data:, blob:) are aborted and listed in <paramref name="offMachine"/>.</summary>
    public async Task<IPage> PageAsync(List<string> offMachine, List<string> errors, string? allowedPrefix = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        await context.RouteAsync("**/*", async route =>
        {
            string url = route.Request.Url;
            if (url.StartsWith("file:") || url.StartsWith("data:") || url.StartsWith("blob:") || (allowedPrefix is not null && url.StartsWith(allowedPrefix)))
                await route.ContinueAsync();
            else { lock (offMachine) offMachine.Add(url); await route.AbortAsync(); }
        });
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add(m.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add("page error: " + e); };
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>`gradscope plot` and `gradscope serve` in a real browser.</summary>
public class DashboardBrowserTests(ChromiumFixture f, ITestOutputHelper output) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task PlotOfTenLongRunsDrawsEveryChartOffline()
    {
        string root = PlotAndTableTests.TempDir("plot10");
        try
        {
            var runs = Enumerable.Range(0, 10)
                .Select(i => new PlotRun($"run{i}", RunMetrics.Read(PlotAndTableTests.FakeRun(root, $"run{i}", Enumerable.Range(0, 10_000).Select(s => (long)s * (i + 1))))))
                .ToList();
            string file = Path.Combine(root, "plot.html");
            File.WriteAllText(file, PlotPage.Render("ten runs", runs, []));
            var offMachine = new List<string>(); var errors = new List<string>();
            var page = await f.PageAsync(offMachine, errors);
            var clock = Stopwatch.StartNew();
            await page.GotoAsync(new Uri(file).AbsoluteUri);
            var ok = await page.EvaluateAsync<bool>("() => window.gradscopeChartsReady.then(r => Object.values(r).every(x => x.ok) && Object.keys(r).length === 2)");
            output.WriteLine($"10 runs x 10,000 rows: every chart drawn {clock.Elapsed.TotalSeconds:0.00} s after navigation (the issue's target is < 3 s; measured, not asserted)");
            Assert.True(ok);
            // 10 curves per chart, each thinned to at most MaxPointsPerCurve points
            int paths = await page.Locator("#metric-0 g.mark-line.role-mark path").CountAsync();
            Assert.Equal(10, paths);
            Assert.Empty(offMachine);
            Assert.Empty(errors);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public async Task DashboardShowsARunningTrainingGrowAndServesOnlyLoopbackAndTheRoot()
    {
        string root = PlotAndTableTests.TempDir("serve");
        Process? serve = null, train = null;
        try
        {
            File.WriteAllText(Path.Combine(root, "live.yaml"), """
                seed: 0
                dtype: f64
                model: { mlp: { widths: [10, 16, 1], activation: relu } }
                data: { train: { name: separable, n: 200, d: 10, margin: 0.1, seed: 3 } }
                loss: { kind: logistic }
                algorithm: { name: gd, eta: 0.1 }
                stop: { steps: 100000000 }
                probes: { every: 2000, checkpoint_every: 0 }
                """);
            serve = CliProcess.Start($"serve \"{root}\" --port 0");
            string? line = await serve.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(line);
            var url = new Uri(System.Text.RegularExpressions.Regex.Match(line!, @"http://\S+").Value);
            Assert.Equal("127.0.0.1", url.Host);
            // loopback only: the port is closed on every other address of this machine
            foreach (var address in (await Dns.GetHostAddressesAsync(Dns.GetHostName())).Where(a => !IPAddress.IsLoopback(a) && a.AddressFamily == AddressFamily.InterNetwork))
            {
                using var client = new TcpClient();
                await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(address, url.Port));
            }
            using (var http = new HttpClient { BaseAddress = url })
            {
                Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/run?path=../..")).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/run?path=%2Fetc")).StatusCode);
            }

            train = CliProcess.Start($"train \"{Path.Combine(root, "live.yaml")}\" --out \"{Path.Combine(root, "live")}\"");
            var offMachine = new List<string>(); var errors = new List<string>();
            var page = await f.PageAsync(offMachine, errors, url.GetLeftPart(UriPartial.Authority));
            await page.GotoAsync(new Uri(url, "run?path=live").AbsoluteUri);
            // the first probe row appears, then more while the run trains: the curve grows
            async Task WaitRows(string condition)
            {
                for (int i = 0; i < 90; i++)
                {
                    if (train.HasExited) Assert.Fail($"the training run exited with {train.ExitCode}: {await train.StandardError.ReadToEndAsync()}");
                    if (await page.EvaluateAsync<bool>(condition)) return;
                    await Task.Delay(1000);
                }
                Assert.Fail($"the page never showed {condition}");
            }
            await WaitRows("() => window.gradscopeRows >= 1");
            int first = await page.EvaluateAsync<int>("() => window.gradscopeRows");
            await WaitRows($"() => window.gradscopeRows > {first}");
            int drawn = await page.Locator("#chart-train_loss g.mark-symbol.role-mark path").CountAsync();
            Assert.True(drawn > first, $"{drawn} loss points drawn after {first} rows");
            // the index lists the run and links to its page
            await page.GotoAsync(url.AbsoluteUri);
            await page.WaitForFunctionAsync("() => document.body.dataset.refreshed !== undefined");
            Assert.Equal(1, await page.Locator("#runs a[href='/run?path=live']").CountAsync());
            Assert.Empty(offMachine);
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
        finally
        {
            foreach (var p in new[] { train, serve })
                if (p is not null) { try { p.Kill(entireProcessTree: true); p.WaitForExit(10_000); } catch (InvalidOperationException) { } p.Dispose(); }
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public async Task DashboardShowsASweepsPointsMovingToDoneWithLinksToTheirCurves()
    {
        string root = PlotAndTableTests.TempDir("serve-sweep");
        Process? serve = null, sweep = null;
        try
        {
            File.WriteAllText(Path.Combine(root, "grid.yaml"), """
                base:
                  seed: 0
                  dtype: f64
                  model: { mlp: { widths: [10, 16, 1], activation: relu } }
                  data: { train: { name: separable, n: 100, d: 10, margin: 0.1, seed: 3 } }
                  loss: { kind: logistic }
                  algorithm: { name: gd, eta: 0.1 }
                  stop: { steps: 3000 }
                  probes: { every: 500, checkpoint_every: 0 }
                grid:
                  algorithm.eta: [0.05, 0.1, 0.2]
                """);
            serve = CliProcess.Start($"serve \"{root}\" --port 0");
            string? line = await serve.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(line);
            var url = new Uri(System.Text.RegularExpressions.Regex.Match(line!, @"http://\S+").Value);
            string dir = Path.Combine(root, "sw");
            sweep = CliProcess.Start($"sweep \"{Path.Combine(root, "grid.yaml")}\" --out \"{dir}\" --parallel 1");
            for (int i = 0; i < 600 && !File.Exists(Path.Combine(dir, Gradscope.Sweeps.SweepDirectory.IndexFile)); i++) await Task.Delay(100);

            var offMachine = new List<string>(); var errors = new List<string>();
            var page = await f.PageAsync(offMachine, errors, url.GetLeftPart(UriPartial.Authority));
            await page.GotoAsync(new Uri(url, "sweep?path=sw").AbsoluteUri);
            // the page's own counts over time: points move from pending/running to done, one at a time (--parallel 1)
            var seen = new List<int>();
            for (int i = 0; i < 1200; i++)
            {
                int done = await page.EvaluateAsync<int>("() => window.gradscopeSweep ? window.gradscopeSweep.done : -1");
                if (done >= 0 && (seen.Count == 0 || seen[^1] != done)) seen.Add(done);
                if (done == 3) break;
                if (sweep.HasExited && sweep.ExitCode != 0) Assert.Fail($"the sweep exited with {sweep.ExitCode}: {await sweep.StandardError.ReadToEndAsync()}");
                await Task.Delay(250);
            }
            output.WriteLine($"done counts the page showed: {string.Join(" -> ", seen)}");
            Assert.Equal(3, seen[^1]);
            Assert.True(seen[0] < 3, $"the page first showed {seen[0]} of 3 points done: it never showed the sweep in progress");
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#points tr[data-status=done] a').length === 3");
            Assert.Equal(3, await page.Locator("#points tr[data-status='done']").CountAsync());
            Assert.Equal(3, await page.EvaluateAsync<int>("() => document.getElementById('progress').value"));
            Assert.Contains("3 of 3 done", await page.Locator("#counts").TextContentAsync());
            // each point links to its own run's curves, which draw
            var hrefs = await page.Locator("#points tr a").EvaluateAllAsync<string[]>("els => els.map(e => e.getAttribute('href'))");
            var index = Gradscope.Sweeps.SweepIndex.Open(Path.Combine(dir, Gradscope.Sweeps.SweepDirectory.IndexFile));
            var expected = index.Points().Select(p => "/run?path=" + Uri.EscapeDataString(Path.Combine("sw", p.Directory, "run"))).ToArray();
            index.Dispose();
            Assert.Equal(expected, hrefs);
            await page.Locator("#points tr a").First.ClickAsync();
            await page.WaitForFunctionAsync("() => window.gradscopeRows >= 1");
            // the index lists the sweep with its progress and links to its page
            await page.GotoAsync(url.AbsoluteUri);
            await page.WaitForFunctionAsync("() => document.body.dataset.refreshed !== undefined");
            Assert.Equal(1, await page.Locator("#sweeps a[href='/sweep?path=sw']").CountAsync());
            Assert.Equal(3, await page.EvaluateAsync<int>("() => document.querySelector('#sweeps progress').value"));
            Assert.Empty(offMachine);
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
        finally
        {
            foreach (var p in new[] { sweep, serve })
                if (p is not null) { try { p.Kill(entireProcessTree: true); p.WaitForExit(10_000); } catch (InvalidOperationException) { } p.Dispose(); }
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void APortInUseIsAClearError()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var (code, _, err) = CliProcess.Run($"serve \"{Path.GetTempPath()}\" --port {port}");
            Assert.Equal(2, code);
            Assert.Contains($"127.0.0.1:{port}", err);
        }
        finally { listener.Stop(); }
    }
}
