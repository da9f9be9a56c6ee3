using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gradscope.Report;
using Gradscope.Sweeps;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gradscope.Cli.Serve;

/// <summary>
/// The live dashboard of <c>gradscope serve</c>: an HTTP server on 127.0.0.1 only that lists the runs, sweeps and
/// reproductions under one directory, draws each run's metrics while it trains (the page polls for new
/// probe rows every second) and shows each sweep's progress point by point (polled every second). It only reads: no request writes or deletes anything, and no path outside the
/// root is served.
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, string root, Uri url) { _app = app; Root = root; Url = url; }

    /// <summary>The directory served.</summary>
    public string Root { get; }
    /// <summary>The base address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Url { get; }

    /// <summary>Starts serving <paramref name="root"/> on 127.0.0.1:<paramref name="port"/> (0: a free port).</summary>
    /// <exception cref="IOException">The port is in use or cannot be bound; the message names it.</exception>
    public static async Task<DashboardServer> StartAsync(string root, int port, CancellationToken cancel = default)
    {
        root = Path.GetFullPath(root);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = root });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var scanner = new RunScanner(root);
        app.MapGet("/", () => Html(DashboardPages.Index()));
        app.MapGet("/favicon.ico", () => Results.NoContent());
        app.MapGet("/run", () => Html(DashboardPages.Run()));
        app.MapGet("/sweep", () => Html(DashboardPages.Sweep()));
        app.MapGet("/api/list", () => Results.Json(scanner.List()));
        app.MapGet("/api/sweep", (string? path) => Guard(scanner, path, dir =>
            File.Exists(Path.Combine(dir, SweepDirectory.IndexFile)) ? Results.Json(scanner.SweepPoints(dir)) : Results.NotFound($"'{path}' is not a sweep directory (no {SweepDirectory.IndexFile})")));
        app.MapGet("/api/run", (string? path, int? from) =>
        {
            // a run that has not written its first probe row yet is waited for, not an error
            if (path is null) return Results.BadRequest("missing ?path=");
            var dir = scanner.Inside(path);
            if (dir is null) return Results.NotFound($"'{path}' is not under the served root");
            if (!RunMetrics.IsRunDirectory(dir) || !RunMetrics.HasHeader(dir)) return Results.Json(new JsonObject { ["waiting"] = true, ["rows"] = new JsonArray() });
            return Guard(scanner, path, d => Results.Json(RunRows(d, Math.Max(0, from ?? 0))));
        });
        app.MapGet("/view/report", (string? path) => Guard(scanner, path, dir =>
        {
            string file = Path.Combine(dir, HtmlReport.FileName);
            return File.Exists(file) ? Results.Content(File.ReadAllText(file), "text/html; charset=utf-8") : Results.NotFound($"{path} has no {HtmlReport.FileName}");
        }));
        app.MapGet("/view/plot", (string? path) => Guard(scanner, path, dir =>
        {
            var (runs, sweeps) = PlotCommand.Collect([dir]);
            return Html(PlotPage.Render($"Gradscope: {Path.GetFileName(dir)}", runs, sweeps));
        }));
        try { await app.StartAsync(cancel); }
        catch (IOException e) { await app.DisposeAsync(); throw new IOException($"cannot listen on 127.0.0.1:{port}: {e.Message}", e); }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DashboardServer(app, root, new Uri(address.Replace("[::1]", "127.0.0.1").TrimEnd('/') + "/"));
    }

    /// <summary>Runs until <paramref name="cancel"/> fires.</summary>
    public Task WaitAsync(CancellationToken cancel) => Task.Delay(Timeout.Infinite, cancel);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() { await _app.StopAsync(); await _app.DisposeAsync(); }

    private static IResult Html(string html) => Results.Content(html, "text/html; charset=utf-8");

    // every path parameter names a directory inside the root; anything else is refused
    private static IResult Guard(RunScanner scanner, string? path, Func<string, IResult> action)
    {
        if (path is null) return Results.BadRequest("missing ?path=");
        var dir = scanner.Resolve(path);
        if (dir is null) return Results.NotFound($"'{path}' is not a directory under the served root");
        try { return action(dir); }
        catch (Exception e) when (e is InvalidDataException or IOException or SweepException or ArgumentException or Microsoft.Data.Sqlite.SqliteException)
        {
            return Results.Problem(e.Message, statusCode: 422);
        }
    }

    private static JsonObject RunRows(string dir, int from)
    {
        var m = RunMetrics.Read(dir);
        var rows = new JsonArray();
        for (int i = from; i < m.Rows.Count; i++)
        {
            var row = new JsonArray();
            foreach (double v in m.Rows[i]) row.Add(double.IsFinite(v) ? JsonValue.Create(v) : null);
            rows.Add(row);
        }
        var columns = new JsonArray();
        foreach (var c in m.Columns) columns.Add(c);
        return new JsonObject { ["columns"] = columns, ["from"] = from, ["total"] = m.Rows.Count, ["rows"] = rows, ["finished"] = m.Finished };
    }
}

/// <summary>Finds the runs, sweeps and reproductions under a root directory (read-only, bounded depth).</summary>
internal sealed class RunScanner(string root)
{
    private const int MaxDepth = 8;

    /// <summary>The full path of <paramref name="relative"/> when it is an existing directory inside the root; otherwise null.</summary>
    public string? Resolve(string relative) => Inside(relative) is { } full && Directory.Exists(full) ? full : null;

    /// <summary>The full path of <paramref name="relative"/> when it lies inside the root (existing or not); otherwise null.</summary>
    public string? Inside(string relative)
    {
        if (relative.Contains('\0') || Path.IsPathRooted(relative)) return null;
        string full = Path.GetFullPath(Path.Combine(root, relative));
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return full == root || full.StartsWith(prefix, StringComparison.Ordinal) ? full : null;
    }

    /// <summary>Everything under the root, as the dashboard's /api/list returns it.</summary>
    public JsonObject List()
    {
        var runs = new JsonArray();
        var sweeps = new JsonArray();
        var repros = new JsonArray();
        Walk(root, 0, runs, sweeps, repros);
        return new JsonObject { ["root"] = root, ["runs"] = runs, ["sweeps"] = sweeps, ["reproductions"] = repros };
    }

    private void Walk(string dir, int depth, JsonArray runs, JsonArray sweeps, JsonArray repros)
    {
        string rel = Path.GetRelativePath(root, dir);
        if (File.Exists(Path.Combine(dir, SweepDirectory.IndexFile)))
        {
            sweeps.Add(Sweep(dir, rel));
            return; // its points' runs are shown on the sweep's page
        }
        if (File.Exists(Path.Combine(dir, SummaryFile.FileName))) repros.Add(Reproduction(dir, rel));
        if (RunMetrics.IsRunDirectory(dir)) runs.Add(Run(dir, rel));
        if (depth >= MaxDepth) return;
        IEnumerable<string> children;
        try { children = Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (var child in children)
            if (!Path.GetFileName(child).StartsWith('.') && Path.GetFileName(child) != "checkpoints") Walk(child, depth + 1, runs, sweeps, repros);
    }

    private static JsonObject Run(string dir, string rel)
    {
        var o = new JsonObject { ["path"] = rel };
        try
        {
            var m = RunMetrics.Read(dir);
            o["rows"] = m.Rows.Count;
            int step = m.IndexOf("step");
            o["last_step"] = m.Rows.Count > 0 && step >= 0 ? m.Rows[^1][step] : null;
            int loss = m.IndexOf("train_loss");
            o["loss"] = m.Rows.Count > 0 && loss >= 0 && double.IsFinite(m.Rows[^1][loss]) ? m.Rows[^1][loss] : null;
            o["finished"] = m.Finished;
            o["modified"] = File.GetLastWriteTimeUtc(Path.Combine(dir, "metrics.csv")).ToString("O");
        }
        catch (InvalidDataException e) { o["error"] = e.Message; }
        return o;
    }

    /// <summary>
    /// A sweep's progress from its index, for /api/sweep: the count of points in each status (pending, running, done,
    /// failed), the total, and every point with its status, hyper-parameters, seed, attempts, wall seconds, error, and the
    /// path of its training run (points/NAME/run) once that run has written metrics.csv.
    /// </summary>
    public JsonObject SweepPoints(string dir)
    {
        using var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile));
        var points = new JsonArray();
        var counts = new JsonObject { [PointStatus.Pending] = 0, [PointStatus.Running] = 0, [PointStatus.Done] = 0, [PointStatus.Failed] = 0 };
        var list = index.Points();
        foreach (var p in list)
        {
            counts[p.Status] = (counts[p.Status]?.GetValue<int>() ?? 0) + 1;
            string run = Path.Combine(dir, p.Directory, "run");
            points.Add(new JsonObject
            {
                ["index"] = p.Index, ["status"] = p.Status, ["hparams"] = HyperText(p.Hyperparameters), ["seed"] = p.Seed,
                ["attempts"] = p.Attempts, ["wall_s"] = p.WallSeconds, ["error"] = p.Error,
                ["run"] = Inside(Path.GetRelativePath(root, run)) is not null && RunMetrics.IsRunDirectory(run) ? Path.GetRelativePath(root, run) : null,
            });
        }
        return new JsonObject { ["path"] = Path.GetRelativePath(root, dir), ["total"] = list.Count, ["counts"] = counts, ["points"] = points };
    }

    // {"algorithm.eta": 0.1, "model.mlp.widths": [64, 32, 10]} -> "algorithm.eta=0.1, model.mlp.widths=[64,32,10]"
    private static string HyperText(string json)
    {
        try
        {
            if (JsonNode.Parse(json) is JsonObject o) return string.Join(", ", o.Select(kv => $"{kv.Key}={kv.Value?.ToJsonString() ?? "null"}"));
        }
        catch (JsonException) { }
        return json;
    }

    private static JsonObject Sweep(string dir, string rel)
    {
        var o = new JsonObject { ["path"] = rel };
        try
        {
            using var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile));
            var counts = new JsonObject();
            int total = 0;
            foreach (var (k, v) in index.Counts()) { counts[k] = v; total += v; }
            o["counts"] = counts;
            o["total"] = total;
        }
        catch (Exception e) when (e is SweepException or Microsoft.Data.Sqlite.SqliteException or IOException) { o["error"] = e.Message; }
        return o;
    }

    private static JsonObject Reproduction(string dir, string rel)
    {
        var o = new JsonObject { ["path"] = rel, ["has_report"] = File.Exists(Path.Combine(dir, HtmlReport.FileName)) };
        try
        {
            var s = SummaryFile.Read(Path.Combine(dir, SummaryFile.FileName));
            var verdicts = new JsonObject();
            foreach (var g in s.Claims.GroupBy(c => HtmlText.VerdictText(c.Verdict))) verdicts[g.Key] = g.Count();
            o["claims"] = s.Claims.Count;
            o["verdicts"] = verdicts;
            o["scale"] = s.Scale.ToString().ToLowerInvariant();
        }
        catch (Exception e) when (e is InvalidDataException or IOException) { o["error"] = e.Message; }
        return o;
    }
}
