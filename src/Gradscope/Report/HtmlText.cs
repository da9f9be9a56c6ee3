using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gradscope.Report;

/// <summary>Escaping and formatting for the HTML report.</summary>
public static class HtmlText
{
    /// <summary>
    /// Escapes text for HTML element content and quoted attribute values: &amp; &lt; &gt; " ' become
    /// entities; everything else (including non-ASCII) is kept as is (the page is UTF-8).
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length + 16);
        foreach (char c in text)
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        return sb.ToString();
    }

    static readonly JsonSerializerOptions ScriptJsonOptions = new()
    {
        // the default encoder escapes < > & ' + and non-ASCII as \uXXXX, so no "</script" or "<!--" survives
        Encoder = JavaScriptEncoder.Default,
        WriteIndented = false,
    };

    /// <summary>
    /// JSON text safe to place inside a &lt;script&gt; element: HTML-significant characters are
    /// written as \u escapes and any remaining "&lt;/" as "&lt;\/", so the element cannot be closed
    /// early; JSON.parse of the text gives back the node.
    /// </summary>
    public static string ScriptJson(JsonNode? node) =>
        (node?.ToJsonString(ScriptJsonOptions) ?? "null").Replace("</", "<\\/", StringComparison.Ordinal);

    /// <summary>
    /// A number for the report: 6 significant digits, exponent form outside [1e-4, 1e6)
    /// ("0.0123", "1.23457e-05" as "1.23457e-5"), "∞", "−∞", "NaN".
    /// </summary>
    public static string Number(double v)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsPositiveInfinity(v)) return "∞";
        if (double.IsNegativeInfinity(v)) return "−∞";
        string s = v.ToString("G6", CultureInfo.InvariantCulture);
        int e = s.IndexOf('E');
        if (e < 0) return s;
        // "1.5E-05" -> "1.5e-5"
        int exp = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return $"{s[..e]}e{exp.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>A duration: "0.42 s", "12.3 s", "4 min 05 s", "2 h 03 min".</summary>
    public static string Duration(double seconds)
    {
        if (!double.IsFinite(seconds) || seconds < 0) return "—";
        if (seconds < 10) return seconds.ToString("0.##", CultureInfo.InvariantCulture) + " s";
        if (seconds < 60) return seconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";
        long s = (long)Math.Round(seconds);
        if (s < 3600) return $"{s / 60} min {s % 60:00} s";
        return $"{s / 3600} h {s / 60 % 60:00} min";
    }

    /// <summary>A timestamp in UTC: "2026-11-23 09:27:24 UTC".</summary>
    public static string Timestamp(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>A comparison for display: "&lt;=" as "≤", "&gt;=" as "≥", others unchanged.</summary>
    public static string Comparison(string? op) => op switch
    {
        "<=" => "≤",
        ">=" => "≥",
        null => "",
        _ => op,
    };

    /// <summary>The verdict as words: "reproduced", "not reproduced", "inconclusive", "invalid setup", "error".</summary>
    public static string VerdictText(Verdict v) => v switch
    {
        Verdict.Reproduced => "reproduced",
        Verdict.NotReproduced => "not reproduced",
        Verdict.Inconclusive => "inconclusive",
        Verdict.InvalidSetup => "invalid setup",
        _ => "error",
    };

    /// <summary>The CSS class of a verdict badge: "verdict-reproduced", "verdict-not-reproduced", "verdict-inconclusive", "verdict-invalid-setup", "verdict-error".</summary>
    public static string VerdictClass(Verdict v) => "verdict-" + VerdictText(v).Replace(' ', '-');
}
