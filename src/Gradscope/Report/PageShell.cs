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
    /// The page's Content-Security-Policy: nothing may be fetched from anywhere; only the page's own inline
    /// scripts and styles run (Vega compiles its expressions with <c>new Function</c>, hence 'unsafe-eval'),
    /// and exported images are data: or blob: URLs.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; " +
        "font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'";

    /// <summary>Appends the document head with <paramref name="title"/> (escaped) and opens the body.</summary>
    public static void Head(StringBuilder h, string title, string? extraCss = null)
    {
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
         .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(ContentSecurityPolicy).Append("\">\n")
         .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
         .Append("<title>").Append(HtmlText.Escape(title)).Append("</title>\n<style>\n").Append(ReportAssets.Css);
        if (extraCss is not null) h.Append(extraCss);
        h.Append("</style>\n</head>\n<body>\n");
    }

    /// <summary>Appends the vendored libraries, the chart list and the boot script, and closes the document.</summary>
    /// <param name="h">The page being written.</param>
    /// <param name="charts">Array of { element, spec } objects, one per chart element on the page.</param>
    public static void Tail(StringBuilder h, JsonArray charts)
    {
        foreach (var lib in ReportAssets.Libraries)
        {
            string js = ReportAssets.Script(lib);
            if (js.Contains("</script", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"Vendored {lib}.min.js contains \"</script\" and cannot be inlined.");
            ReportAssets.Versions.TryGetValue(lib, out var version);
            h.Append("<script>/* ").Append(lib).Append(' ').Append(version).Append(" (BSD-3-Clause) */\n").Append(js).Append("\n</script>\n");
        }
        h.Append("<script type=\"application/json\" id=\"gradscope-charts\">").Append(HtmlText.ScriptJson(charts)).Append("</script>\n");
        h.Append("<script>\n").Append(ReportAssets.BootScript).Append("</script>\n</body>\n</html>\n");
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
