using Gradscope.Report;
using Microsoft.Playwright;

namespace Gradscope.Tests.Report;

/// <summary>
/// Renders the synthetic <see cref="SampleRun"/> report, opens it from file:// in the Debian
/// chromium through Playwright (its bundled driver, no browser download), and records console
/// errors, page errors and every request that would leave the machine.
/// </summary>
public sealed class BrowserReportFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    IPlaywright? _playwright;
    IBrowser? _browser;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "gradscope-report-browser-" + Guid.NewGuid().ToString("N"));
    public string ReportPath => Path.Combine(Directory, HtmlReport.FileName);
    public RunSummary Run { get; } = SampleRun.Create();
    public IPage Page { get; private set; } = null!;
    public List<string> ConsoleErrors { get; } = [];
    public List<string> ConsoleWarnings { get; } = [];
    public List<string> ExternalRequests { get; } = [];
    /// <summary>Elapsed times of the set-up phases, for the test log.</summary>
    public List<string> Timings { get; } = [];

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException(
                $"The report browser tests need Chromium at {ChromiumPath}, which is missing. " +
                "Install it with 'apt-get install -y chromium' (scripts/test.sh does this when run as root).");

        System.IO.Directory.CreateDirectory(Directory);
        HtmlReport.Write(ReportPath, Run);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        _playwright = await Playwright.CreateAsync();
        Timings.Add($"driver {clock.Elapsed.TotalSeconds:0.0} s");
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Timings.Add($"browser launched {clock.Elapsed.TotalSeconds:0.0} s");
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            AcceptDownloads = true,
        });
        Page = await context.NewPageAsync();
        Page.Console += (_, m) =>
        {
            if (m.Type == "error") lock (ConsoleErrors) ConsoleErrors.Add(m.Text);
            if (m.Type == "warning") lock (ConsoleWarnings) ConsoleWarnings.Add(m.Text);
        };
        Page.PageError += (_, e) => { lock (ConsoleErrors) ConsoleErrors.Add("page error: " + e); };
        Page.Request += (_, r) =>
        {
            if (!r.Url.StartsWith("file:", StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal)
                && !r.Url.StartsWith("blob:", StringComparison.Ordinal))
                lock (ExternalRequests) ExternalRequests.Add(r.Url);
        };
        // the report must work offline: anything else is refused (and recorded above)
        await context.RouteAsync("http*://**", route => route.AbortAsync());

        await Page.GotoAsync(new Uri(ReportPath).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        Timings.Add($"page loaded {clock.Elapsed.TotalSeconds:0.0} s");
        await Page.EvaluateAsync("() => window.gradscopeChartsReady.then(() => true)");
        Timings.Add($"charts drawn {clock.Elapsed.TotalSeconds:0.0} s");
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
