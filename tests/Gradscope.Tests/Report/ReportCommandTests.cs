using System.CommandLine;
using Gradscope.Cli;
using Gradscope.Report;

namespace Gradscope.Tests.Report;

public class ReportCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var c in Commands.All()) root.Subcommands.Add(c);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "gradscope-report-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    [Fact]
    public void RendersReportFromSummary()
    {
        string dir = TempDir();
        SummaryFile.Write(Path.Combine(dir, "summary.json"), SampleRun.Create());
        var (code, output, error) = Run("report", dir);
        Assert.True(code == 0, error);
        string html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("<section class=\"claim\" id=\"random-labels\">", html);
        Assert.Contains("report.html", output);
    }

    [Fact]
    public void MissingSummaryIsAnErrorNamingTheFile()
    {
        string dir = TempDir();
        var (code, _, error) = Run("report", dir);
        Assert.Equal(1, code);
        Assert.Contains(Path.Combine(dir, "summary.json"), error);
        Assert.False(File.Exists(Path.Combine(dir, "report.html")));
    }

    [Fact]
    public void MalformedSummaryIsAnErrorNamingTheFile()
    {
        string dir = TempDir();
        File.WriteAllText(Path.Combine(dir, "summary.json"), "{\"toolVersion\": 3");
        var (code, _, error) = Run("report", dir);
        Assert.Equal(1, code);
        Assert.Contains(Path.Combine(dir, "summary.json"), error);
        Assert.Contains("not a valid Gradscope run summary", error);
    }

    [Fact]
    public void MissingDirectoryIsAnError()
    {
        string dir = Path.Combine(TempDir(), "nope");
        var (code, _, error) = Run("report", dir);
        Assert.Equal(1, code);
        Assert.Contains(dir, error);
    }
}
