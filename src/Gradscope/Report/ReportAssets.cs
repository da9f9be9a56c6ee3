namespace Gradscope.Report;

/// <summary>
/// The files the report inlines, embedded in the Gradscope assembly: the vendored vega, vega-lite
/// and vega-embed builds with their licenses (Report/vendor, refreshed by scripts/refresh-vega.sh),
/// and the page's own stylesheet and chart bootstrap (Report/Assets).
/// </summary>
public static class ReportAssets
{
    // declared first: static initializers run in textual order and Versions reads through the cache
    static readonly Dictionary<string, string> Cache = [];

    /// <summary>The vendored libraries, in the order they must load.</summary>
    public static IReadOnlyList<string> Libraries { get; } = ["vega", "vega-lite", "vega-embed"];

    /// <summary>Minified build of a vendored library ("vega", "vega-lite" or "vega-embed").</summary>
    /// <exception cref="InvalidOperationException">The resource is missing from the assembly.</exception>
    public static string Script(string library) => Text($"{library}.min.js");

    /// <summary>License text of a vendored library.</summary>
    /// <exception cref="InvalidOperationException">The resource is missing from the assembly.</exception>
    public static string License(string library) => Text($"{library}.LICENSE");

    /// <summary>The vendored versions, e.g. { "vega": "6.4.0", ... }, read from vendor/VERSIONS ("name@version" lines).</summary>
    public static IReadOnlyDictionary<string, string> Versions { get; } = Text("VERSIONS")
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(line => line.Split('@', 2))
        .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "?");

    /// <summary>The page stylesheet.</summary>
    public static string Css => Text("report.css");

    /// <summary>The script that renders every chart with vega-embed.</summary>
    public static string BootScript => Text("report.js");

    /// <summary>An embedded text resource by file name (logical name "Gradscope.Report.{fileName}").</summary>
    /// <exception cref="InvalidOperationException">The resource is missing from the assembly.</exception>
    public static string Text(string fileName)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(fileName, out var cached)) return cached;
            string name = $"Gradscope.Report.{fileName}";
            using var stream = typeof(ReportAssets).Assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException(
                    $"Report asset '{name}' is not embedded in {typeof(ReportAssets).Assembly.GetName().Name}; " +
                    "run scripts/refresh-vega.sh and rebuild.");
            using var reader = new StreamReader(stream);
            return Cache[fileName] = reader.ReadToEnd();
        }
    }
}
