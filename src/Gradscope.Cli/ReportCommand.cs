using System.CommandLine;
using Gradscope.Report;

namespace Gradscope.Cli;

/// <summary><c>gradscope report RUN-DIR</c>: re-renders RUN-DIR/report.html from RUN-DIR/summary.json.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var c = new Command("report", "Re-render report.html of a reproduction run directory from its summary.json.");
        var dir = new Argument<DirectoryInfo>("run-dir") { Description = "Run directory written by 'gradscope reproduce' (holds summary.json)." };
        c.Arguments.Add(dir);
        c.SetAction(pr =>
        {
            var runDir = pr.GetValue(dir)!;
            try
            {
                string path = HtmlReport.RenderRunDirectory(runDir.FullName);
                pr.InvocationConfiguration.Output.WriteLine($"Wrote {path}");
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                // FileNotFound / DirectoryNotFound are IOExceptions; every message names the file
                pr.InvocationConfiguration.Error.WriteLine($"gradscope report: {e.Message}");
                return 1;
            }
        });
        return c;
    }
}
