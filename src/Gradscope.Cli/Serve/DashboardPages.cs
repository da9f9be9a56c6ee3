using System.Text;
using Gradscope.Report;

namespace Gradscope.Cli.Serve;

/// <summary>The dashboard's pages: the index (runs, sweeps, reproductions, refreshed every 2 s), a run's live curves and a sweep's progress.</summary>
internal static class DashboardPages
{
    // the pages' own scripts; the Content-Security-Policy names each by its hash (like the report's, plus connect-src 'self' for the polling)
    private const string IndexScript = """
            "use strict";
            function cell(text) { var td = document.createElement("td"); td.textContent = text; return td; }
            function link(text, href) { var td = document.createElement("td"), a = document.createElement("a"); a.textContent = text; a.href = href; td.appendChild(a); return td; }
            function fill(id, items, row) {
              var body = document.querySelector("#" + id + " tbody");
              body.replaceChildren();
              items.forEach(function (x) { var tr = document.createElement("tr"); row(x).forEach(function (td) { tr.appendChild(td); }); body.appendChild(tr); });
              if (items.length === 0) { var tr = document.createElement("tr"), td = cell("none"); td.colSpan = 6; tr.appendChild(td); body.appendChild(tr); }
            }
            function q(path) { return "?path=" + encodeURIComponent(path); }
            function fmt(v) { return v === null || v === undefined ? "" : (typeof v === "number" ? Number(v.toPrecision(5)).toString() : String(v)); }
            async function refresh() {
              try {
                var r = await fetch("/api/list"); var d = await r.json();
                document.getElementById("status").textContent = d.root + " · " + d.runs.length + " runs · " + d.sweeps.length + " sweeps · " + d.reproductions.length + " reproductions · updated " + new Date().toLocaleTimeString();
                fill("runs", d.runs, function (x) { return [link(x.path, "/run" + q(x.path)), cell(fmt(x.rows)), cell(fmt(x.last_step)), cell(fmt(x.loss)), cell(x.error ? "error: " + x.error : x.finished ? "finished" : "running or stopped"), cell(x.modified ? new Date(x.modified).toLocaleString() : "")]; });
                fill("sweeps", d.sweeps, function (x) {
                  var bar = document.createElement("td"), p = document.createElement("progress"), done = (x.counts || {}).done || 0;
                  p.max = Math.max(1, x.total || 0); p.value = done; bar.appendChild(p); bar.appendChild(document.createTextNode(" " + done + "/" + (x.total || 0)));
                  return [link(x.path, "/sweep" + q(x.path)), bar, cell(x.error ? "error: " + x.error : Object.entries(x.counts || {}).map(function (e) { return e[0] + " " + e[1]; }).join(", ")), link("curves, measures, ranking", "/view/plot" + q(x.path))];
                });
                fill("reproductions", d.reproductions, function (x) { return [cell(x.path), cell(x.scale || ""), cell(fmt(x.claims)), cell(x.error ? "error: " + x.error : Object.entries(x.verdicts || {}).map(function (e) { return e[1] + " " + e[0]; }).join(", ")), x.has_report ? link("report", "/view/report" + q(x.path)) : cell("")]; });
                document.body.dataset.refreshed = String(Date.now());
              } catch (e) { document.getElementById("status").textContent = "cannot reach the server: " + e; }
              setTimeout(refresh, 2000);
            }
            refresh();
        """;

    private const string RunScript = """
            "use strict";
            var path = new URLSearchParams(location.search).get("path") || "";
            document.getElementById("title").textContent = path;
            var axis = ["step", "t", "wall_s"], from = 0, views = {}, columns = null, logY = {};
            window.gradscopeRows = 0;
            function spec(col) {
              return { "$schema": "https://vega.github.io/schema/vega-lite/v6.json", width: 420, height: 240, title: col,
                data: { name: "table" }, mark: { type: "line", point: true, tooltip: true },
                encoding: { x: { field: "x", type: "quantitative", title: "step" },
                            y: { field: "y", type: "quantitative", title: col, scale: { type: logY[col] ? "log" : "linear", zero: false } } } };
            }
            async function create(cols, first) {
              var box = document.getElementById("charts");
              for (var c = 0; c < cols.length; c++) {
                var col = cols[c];
                if (axis.indexOf(col) >= 0) continue;
                var values = first.map(function (r) { return r[c]; }).filter(function (v) { return v !== null; });
                logY[col] = values.length > 0 && values.every(function (v) { return v > 0; }) && /loss/.test(col) && !/log/.test(col);
                var fig = document.createElement("figure"); fig.className = "chart";
                var div = document.createElement("div"); div.id = "chart-" + col.replace(/[^A-Za-z0-9_-]/g, "_"); fig.appendChild(div); box.appendChild(fig);
                var r = await vegaEmbed(div, spec(col), { renderer: "svg", actions: { export: true, source: false, compiled: false, editor: false } });
                views[col] = { view: r.view, index: c };
              }
            }
            async function poll() {
              var delay = 1000;
              try {
                var r = await fetch("/api/run?path=" + encodeURIComponent(path) + "&from=" + from);
                if (!r.ok) { document.getElementById("status").textContent = await r.text(); setTimeout(poll, 3000); return; }
                var d = await r.json();
                if (d.waiting) { document.getElementById("status").textContent = "waiting for the run's first probe row…"; setTimeout(poll, 1000); return; }
                if (columns === null) { columns = d.columns; await create(columns, d.rows); }
                var step = columns.indexOf("step");
                Object.keys(views).forEach(function (col) {
                  var v = views[col], pts = [];
                  d.rows.forEach(function (row) {
                    var y = row[v.index];
                    if (y !== null && (!logY[col] || y > 0)) pts.push({ x: row[step], y: y });
                  });
                  if (pts.length > 0) v.view.change("table", vega.changeset().insert(pts)).resize().run();
                });
                from += d.rows.length;
                window.gradscopeRows = from;
                document.getElementById("status").innerHTML = "";
                var s = document.createElement("span");
                s.className = d.finished ? "" : "live";
                s.textContent = from + " probe rows · " + (d.finished ? "finished" : "live, updating every second");
                document.getElementById("status").appendChild(s);
                if (d.finished) delay = 5000;
              } catch (e) { document.getElementById("status").textContent = "cannot reach the server: " + e; delay = 3000; }
              setTimeout(poll, delay);
            }
            poll();
        """;

    private const string SweepScript = """
            "use strict";
            var path = new URLSearchParams(location.search).get("path") || "";
            document.getElementById("title").textContent = path;
            document.getElementById("plot").href = "/view/plot?path=" + encodeURIComponent(path);
            window.gradscopeSweep = null;
            function cell(text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
            function fmt(v) { return v === null || v === undefined ? "" : (typeof v === "number" ? Number(v.toPrecision(4)).toString() : String(v)); }
            async function poll() {
              var delay = 1000;
              try {
                var r = await fetch("/api/sweep?path=" + encodeURIComponent(path));
                if (!r.ok) { document.getElementById("status").textContent = await r.text(); setTimeout(poll, 3000); return; }
                var d = await r.json(), c = d.counts;
                var bar = document.getElementById("progress");
                bar.max = Math.max(1, d.total); bar.value = c.done;
                document.getElementById("counts").textContent = c.done + " of " + d.total + " done · " + c.running + " running · " + c.pending + " pending · " + c.failed + " failed";
                var body = document.querySelector("#points tbody");
                body.replaceChildren();
                d.points.forEach(function (p) {
                  var tr = document.createElement("tr");
                  tr.dataset.index = String(p.index); tr.dataset.status = p.status;
                  tr.appendChild(cell(String(p.index)));
                  tr.appendChild(cell(p.status, "status-" + p.status));
                  tr.appendChild(cell(p.hparams));
                  tr.appendChild(cell(fmt(p.seed)));
                  tr.appendChild(cell(fmt(p.attempts)));
                  tr.appendChild(cell(fmt(p.wall_s)));
                  var run = document.createElement("td");
                  if (p.run) { var a = document.createElement("a"); a.textContent = "curves"; a.href = "/run?path=" + encodeURIComponent(p.run); run.appendChild(a); }
                  tr.appendChild(run);
                  tr.appendChild(cell(p.error || ""));
                  body.appendChild(tr);
                });
                window.gradscopeSweep = { total: d.total, done: c.done, running: c.running, pending: c.pending, failed: c.failed };
                document.getElementById("status").textContent = c.done + c.failed === d.total ? "finished" : "live, updating every second";
                if (c.done + c.failed === d.total) delay = 5000;
              } catch (e) { document.getElementById("status").textContent = "cannot reach the server: " + e; delay = 3000; }
              setTimeout(poll, delay);
            }
            poll();
        """;

    private const string ExtraCss = """
        table.list td a { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13.5px; }
        #status { color: var(--muted); }
        .live { color: var(--ok); font-weight: 600; }
        progress { width: 240px; height: 14px; vertical-align: middle; }
        .status-done { color: var(--ok); font-weight: 600; }
        .status-failed { color: var(--bad); font-weight: 600; }
        .status-running { color: var(--err); font-weight: 600; }
        .status-pending { color: var(--muted); }
        """;

    public static string Index()
    {
        var h = new StringBuilder();
        PageShell.Head(h, "Gradscope dashboard", ExtraCss, PageShell.Policy([IndexScript], connectSelf: true));
        h.Append("""
            <main>
            <header><h1>Gradscope dashboard</h1><p class="tally" id="status">loading…</p></header>
            <h2>Training runs</h2>
            <table class="list" id="runs"><thead><tr><th>Run</th><th>Probe rows</th><th>Last step</th><th>Loss</th><th>Status</th><th>Updated</th></tr></thead><tbody></tbody></table>
            <h2>Sweeps</h2>
            <table class="list" id="sweeps"><thead><tr><th>Sweep</th><th>Progress</th><th>Points</th><th>Page</th></tr></thead><tbody></tbody></table>
            <h2>Reproductions</h2>
            <table class="list" id="reproductions"><thead><tr><th>Reproduction</th><th>Scale</th><th>Claims</th><th>Verdicts</th><th>Report</th></tr></thead><tbody></tbody></table>
            </main>
            """);
        h.Append("<script>").Append(IndexScript).Append("</script>\n</body>\n</html>\n");
        return h.ToString();
    }

    /// <summary>A sweep's page: a progress bar, the counts, and every point with its status and a link to its run's curves (polled every second).</summary>
    public static string Sweep()
    {
        var h = new StringBuilder();
        PageShell.Head(h, "Gradscope: sweep", ExtraCss, PageShell.Policy([SweepScript], connectSelf: true));
        h.Append("""
            <main>
            <header><h1 id="title">sweep</h1><p class="tally"><a href="/">all runs</a> · <a id="plot" href="/view/plot">curves, measures, ranking</a> · <span id="status">loading…</span></p></header>
            <p><progress id="progress" max="1" value="0"></progress> <span id="counts"></span></p>
            <table class="list" id="points"><thead><tr><th>Point</th><th>Status</th><th>Hyper-parameters</th><th>Seed</th><th>Attempts</th><th>Wall s</th><th>Run</th><th>Error</th></tr></thead><tbody></tbody></table>
            </main>
            """);
        h.Append("<script>").Append(SweepScript).Append("</script>\n</body>\n</html>\n");
        return h.ToString();
    }

    public static string Run()
    {
        var h = new StringBuilder();
        var libraries = PageShell.LibraryScripts();
        PageShell.Head(h, "Gradscope: run", ExtraCss, PageShell.Policy([.. libraries, RunScript], connectSelf: true));
        h.Append("""
            <main>
            <header><h1 id="title">run</h1><p class="tally"><a href="/">all runs</a> · <span id="status">loading…</span></p></header>
            <div class="charts" id="charts"></div>
            </main>
            """);
        foreach (var lib in libraries) h.Append("<script>").Append(lib).Append("</script>\n");
        h.Append("<script>").Append(RunScript).Append("</script>\n</body>\n</html>\n");
        return h.ToString();
    }
}
