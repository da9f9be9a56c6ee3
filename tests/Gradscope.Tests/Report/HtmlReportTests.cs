using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gradscope.Report;

namespace Gradscope.Tests.Report;

public partial class HtmlReportTests
{
    static readonly RunSummary Run = SampleRun.Create();
    static readonly string Page = HtmlReport.Render(Run);
    /// <summary>The page's own markup: the page with every script element's content removed.</summary>
    static readonly string Markup = Regex.Replace(Page, "<script([^>]*)>[\\s\\S]*?</script>", "<script$1></script>");
    const string JsonOpen = "<script type=\"application/json\" id=\"gradscope-charts\">";

    /// <summary>The chart list embedded in the page, parsed back exactly as the browser's JSON.parse would.</summary>
    static JsonArray EmbeddedCharts()
    {
        int start = Page.IndexOf(JsonOpen, StringComparison.Ordinal) + JsonOpen.Length;
        // the HTML parser ends a script element at the first "</script" whatever it is inside of
        int end = Page.IndexOf("</script", start, StringComparison.OrdinalIgnoreCase);
        return JsonNode.Parse(Page[start..end])!.AsArray();
    }

    [Fact]
    public void EscapeReplacesTheFiveHtmlSpecialCharacters() =>
        Assert.Equal("&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; γ≤1&lt;/a&gt;", HtmlText.Escape("<a href=\"x\">Tom's & γ≤1</a>"));

    [Fact]
    public void ScriptJsonCannotCloseItsElementAndParsesBack()
    {
        var node = new JsonObject { ["t"] = SampleRun.Hostile + "</SCRIPT >" };
        string s = HtmlText.ScriptJson(node);
        Assert.DoesNotContain("</", s);
        Assert.DoesNotContain("<!--", s);
        Assert.DoesNotContain("<", s);
        Assert.True(JsonNode.DeepEquals(node, JsonNode.Parse(s)));
    }

    [Fact]
    public void HostileTextIsEscapedEverywhere()
    {
        Assert.DoesNotContain("<script>alert", Page);
        Assert.DoesNotContain("<!--", Page);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;", Page);
        // exactly the page's own script elements: 3 libraries, the chart JSON, the bootstrap
        Assert.Equal(5, ScriptOpen().Matches(Page).Count);
        Assert.Equal(5, Regex.Matches(Page, "</script", RegexOptions.IgnoreCase).Count);
    }

    [Fact]
    public void EveryChartIsEmbeddedLosslesslyWithAContainer()
    {
        var embedded = EmbeddedCharts();
        var expected = Run.Claims.SelectMany(c => c.Charts).ToList();
        Assert.Equal(expected.Count, embedded.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            string element = (string)embedded[i]!["element"]!;
            Assert.Single(Regex.Matches(Markup, $"id=\"{Regex.Escape(element)}\""));
            var spec = embedded[i]!["spec"]!.AsObject();
            Assert.Equal(expected[i].Title, (string?)spec["title"]);   // hostile title survives the escaping intact
            Assert.True(JsonNode.DeepEquals(expected[i].VegaLite["data"], spec["data"]), $"data of {element}");
        }
        Assert.Contains(embedded, c => ((string)c!["spec"]!["title"]!).Contains(SampleRun.Hostile));
    }

    [Fact]
    public void EveryClaimHasASectionAndAVerdictTableLinkToIt()
    {
        var sectionIds = SectionId().Matches(Markup).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(Run.Claims.Select(c => c.Id), sectionIds);
        var table = Markup[Markup.IndexOf("<table class=\"verdicts\">", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("</table>", StringComparison.Ordinal)];
        var links = Href().Matches(table).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(sectionIds, links);
        var allIds = IdAttr().Matches(Markup).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(allIds.Count, allIds.Distinct().Count());   // ids are unique in the page
        foreach (var link in Href().Matches(Markup).Select(m => m.Groups[1].Value))
            Assert.Contains(link, allIds);                       // every in-page link has a target
    }

    [Fact]
    public void EvidenceShowsValueBesideThresholdAndResult()
    {
        Assert.Contains("<td class=\"num\">0.0123</td><td class=\"num\">≤ 0.05</td><td><span class=\"pass\">pass</span></td>", Page);
        Assert.Contains("<td class=\"num\">0.21</td><td class=\"num\">≥ 0.5</td><td><span class=\"fail\">fail</span></td>", Page);
        Assert.Contains("<td class=\"num\">1e6</td><td class=\"num\"></td><td><span class=\"info\">—</span></td>", Page);
        int passes = Run.Claims.Sum(c => c.Numbers.Count(e => e.Passed == true));
        int fails = Run.Claims.Sum(c => c.Numbers.Count(e => e.Passed == false));
        Assert.Equal(passes, Regex.Matches(Page, "class=\"pass\"").Count);
        Assert.Equal(fails, Regex.Matches(Page, "class=\"fail\"").Count);
    }

    [Fact]
    public void HeaderVerdictsAndErrorsAreShown()
    {
        Assert.Contains("<b>2</b> of 4 claims reproduced · <b>1</b> not reproduced · <b>0</b> inconclusive · <b>0</b> invalid setup · <b>1</b> errors", Page);
        Assert.Contains("2026-11-23 09:00:00 UTC", Page);
        Assert.Contains("<dd>4 min 48 s</dd>", Page);
        Assert.Contains("<pre class=\"error\">InvalidOperationException: loss diverged at step 17", Page);
        // each badge appears twice: verdict table and section
        Assert.Equal(4, Regex.Matches(Markup, "class=\"badge verdict-reproduced\"").Count);
        Assert.Equal(2, Regex.Matches(Markup, "class=\"badge verdict-not-reproduced\"").Count);
        Assert.Equal(2, Regex.Matches(Markup, "class=\"badge verdict-error\"").Count);
    }

    [Fact]
    public void PageLoadsNothingFromOutside()
    {
        Assert.DoesNotContain(" src=", Markup);
        Assert.DoesNotContain("<link", Markup);
        Assert.DoesNotMatch("href=\"(?!#)", Markup);
        Assert.DoesNotContain("@import", Markup);
        Assert.DoesNotContain("url(", Markup);
    }

    [Fact]
    public void VendoredLibrariesCanBeInlinedAndCarryLicenses()
    {
        foreach (var lib in ReportAssets.Libraries)
        {
            Assert.DoesNotContain("</script", ReportAssets.Script(lib), StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Copyright", ReportAssets.License(lib));
            Assert.Matches(@"^\d+\.\d+\.\d+$", ReportAssets.Versions[lib]);
            Assert.Contains(HtmlText.Escape(ReportAssets.License(lib)), Page);
        }
    }

    [Fact]
    public void RepeatedAndReservedClaimIdsGetUniqueAnchors()
    {
        var c = new ClaimResult { Id = "top", Statement = "s", Paper = "p", Verdict = Verdict.Reproduced };
        var run = Run with { Claims = [c, c with { Id = "a b" }, c with { Id = "a-b" }, c] };
        Assert.Equal(["top-2", "a-b", "a-b-2", "top-3"], HtmlReport.Anchors(run));
    }

    [Theory]
    [InlineData(0.0123, "0.0123")]
    [InlineData(1.5e-5, "1.5e-5")]
    [InlineData(123456789.0, "1.23457e8")]
    [InlineData(-2.0, "-2")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.NegativeInfinity, "−∞")]
    public void NumbersAreShortAndExact(double v, string text) => Assert.Equal(text, HtmlText.Number(v));

    [Theory]
    [InlineData(0.42, "0.42 s")]
    [InlineData(12.34, "12.3 s")]
    [InlineData(288, "4 min 48 s")]
    [InlineData(7380, "2 h 03 min")]
    public void DurationsRead(double s, string text) => Assert.Equal(text, HtmlText.Duration(s));

    [GeneratedRegex("<script[ >]", RegexOptions.IgnoreCase)] private static partial Regex ScriptOpen();
    [GeneratedRegex("<section class=\"claim\" id=\"([^\"]*)\"")] private static partial Regex SectionId();
    [GeneratedRegex("href=\"#([^\"]*)\"")] private static partial Regex Href();
    [GeneratedRegex(" id=\"([^\"]*)\"")] private static partial Regex IdAttr();
}
