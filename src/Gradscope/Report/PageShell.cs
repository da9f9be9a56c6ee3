using System.Text;
using System.Text.Json.Nodes;

namespace Gradscope.Report;

/// <summary>
/// The frame every Gradscope page shares with the reproduction report: the head (charset, viewport,
/// the report stylesheet, a Content-Security-Policy that allows no network request) and the tail that
/// inlines the vendored Vega libraries and renders every chart (window.gradscopeChartsReady).
/// </summary>
public static class PageShell
{
    /// <summary>
    /// The page's Content-Security-Policy: nothing may be loaded from anywhere (<c>default-src 'none'</c>: no fetch,
    /// image, font, frame, worker or connection), forms and &lt;base&gt; are off, and only the page's own inline
    /// scripts run, each named by its SHA-256. 'unsafe-eval' is needed by Vega, which compiles its expressions
    /// (scales, tooltips, signals) into functions; it lets those scripts build code, not load any. Inline styles are
    /// allowed because Vega and vega-embed set style attributes; with nothing loadable they cannot reach the network.
    /// data: and blob: images serve the charts' PNG/SVG export.
    /// </summary>
    public static string ContentSecurityPolicy { get; } = Policy(ScriptBodies(), connectSelf: false);

    /// <summary>
    /// The policy for a page whose executable scripts are exactly <paramref name="scripts"/> (each named by its SHA-256);
    /// <paramref name="connectSelf"/> also allows requests to the page's own origin (the live dashboard's polling).
    /// </summary>
    public static string Policy(IEnumerable<string> scripts, bool connectSelf)
    {
        var hashes = scripts.Select(b => $"'sha256-{Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(b)))}'");
        return "default-src 'none'; script-src " + string.Join(' ', hashes) + " 'unsafe-eval'; style-src 'unsafe-inline'; " +
               "img-src data: blob:; " + (connectSelf ? "connect-src 'self'; " : "") + "base-uri 'none'; form-action 'none'";
    }

    /// <summary>Appends the document head with <paramref name="title"/> (escaped) and opens the body.</summary>
    public static void Head(StringBuilder h, string title, string? extraCss = null, string? policy = null)
    {
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
         .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(HtmlText.Escape(policy ?? ContentSecurityPolicy)).Append("\">\n")
         .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n")
         .Append("<title>").Append(HtmlText.Escape(title)).Append("</title>\n<style>\n").Append(ReportAssets.Css);
        if (extraCss is not null) h.Append(extraCss);
        h.Append("</style>\n</head>\n<body>\n");
    }

    /// <summary>
    /// The exact text of every executable script element of a chart page, in page order: the vendored libraries, then
    /// the chart bootstrap. Constant for a build, so the Content-Security-Policy can name each by its hash.
    /// </summary>
    public static IReadOnlyList<string> ScriptBodies() => [.. LibraryScripts(), "\n" + ReportAssets.BootScript];

    /// <summary>The vendored Vega libraries as inline script bodies (with their version and license pointer).</summary>
    public static IReadOnlyList<string> LibraryScripts()
    {
        var bodies = new List<string>();
        foreach (var lib in ReportAssets.Libraries)
        {
            string js = ReportAssets.Script(lib);
            // a literal "</script" would end the element early; the vendored builds have none (checked by a test)
            if (js.Contains("</script", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"Vendored {lib}.min.js contains \"</script\" and cannot be inlined.");
            ReportAssets.Versions.TryGetValue(lib, out var version);
            bodies.Add($"/* {lib} {version}; license under \"Third-party software in this page\" */\n{js}\n");
        }
        return bodies;
    }

    /// <summary>Appends the vendored libraries, the chart list (inert JSON) and the boot script that renders every chart.</summary>
    /// <param name="h">The page being written.</param>
    /// <param name="charts">Array of { element, spec } objects, one per chart element on the page.</param>
    public static void Scripts(StringBuilder h, JsonArray charts)
    {
        var code = ScriptBodies();
        for (int i = 0; i < code.Count - 1; i++) h.Append("<script>").Append(code[i]).Append("</script>\n");
        h.Append("<script type=\"application/json\" id=\"gradscope-charts\">").Append(HtmlText.ScriptJson(charts)).Append("</script>\n");
        h.Append("<script>").Append(code[^1]).Append("</script>\n");
    }

    /// <summary>Appends <see cref="Scripts"/> and closes the document.</summary>
    public static void Tail(StringBuilder h, JsonArray charts)
    {
        Scripts(h, charts);
        h.Append("</body>\n</html>\n");
    }

    /// <summary>Appends a figure element for <paramref name="chart"/> with element id <paramref name="element"/> and registers it in <paramref name="charts"/>.</summary>
    public static void Figure(StringBuilder h, JsonArray charts, string element, ChartSpec chart)
    {
        h.Append("<figure class=\"chart\"><div class=\"vega\" id=\"").Append(HtmlText.Escape(element)).Append("\"></div>");
        if (!string.IsNullOrEmpty(chart.Caption)) h.Append("<figcaption>").Append(HtmlText.Escape(chart.Caption)).Append("</figcaption>");
        h.Append("</figure>\n");
        var spec = (JsonObject)chart.VegaLite.DeepClone();
        if (!spec.ContainsKey("title")) spec["title"] = chart.Title;
        charts.Add(new JsonObject { ["element"] = element, ["spec"] = spec });
    }
}
