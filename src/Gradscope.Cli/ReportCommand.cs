using System.CommandLine;
using Gradscope.Report;

namespace Gradscope.Cli;

/// <summary><c>gradscope report DIR</c>: re-renders DIR/report.html from DIR/summary.json (a reproduction), or for a sweep
/// directory writes DIR/report.html with its measure ranking and measures-vs-gap plots (<see cref="SweepReport"/>).</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var c = new Command("report", "Re-render report.html of a reproduction run directory from its summary.json, or write a ranked sweep's report.html (ranking table and measures-vs-gap plots).");
        var dir = new Argument<DirectoryInfo>("run-dir") { Description = "Run directory written by 'gradscope reproduce' (holds summary.json), or a sweep directory ranked by 'gradscope rank-measures'." };
        c.Arguments.Add(dir);
        c.SetAction(pr =>
        {
            var runDir = pr.GetValue(dir)!;
            try
            {
                string path = SweepReport.IsSweep(runDir.FullName) ? SweepReport.Write(runDir.FullName) : HtmlReport.RenderRunDirectory(runDir.FullName);
                pr.InvocationConfiguration.Output.WriteLine($"Wrote {path}");
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Gradscope.Sweeps.SweepException)
            {
                // FileNotFound / DirectoryNotFound are IOExceptions; every message names the file
                pr.InvocationConfiguration.Error.WriteLine($"gradscope report: {e.Message}");
                return 1;
            }
        });
        return c;
    }
}
