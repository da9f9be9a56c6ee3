using System.CommandLine;
using Gradscope.Sweeps;

namespace Gradscope.Cli;

/// <summary><c>gradscope table SWEEP [--out FILE]</c>: the sweep as one flat CSV (hyperparameters x final metrics x measures).</summary>
internal static class TableCommand
{
    public static Command Create()
    {
        var c = new Command("table", "Write a sweep as one flat CSV: one row per point with its hyperparameters, final metrics and measure values (pandas.read_csv reads it).");
        var dir = new Argument<DirectoryInfo>("sweep-dir") { Description = "Sweep directory (holds index.sqlite)." };
        var outFile = new Option<string?>("--out") { Description = "The CSV file to write (default: standard output)." };
        c.Arguments.Add(dir); c.Options.Add(outFile);
        c.SetAction(pr =>
        {
            try
            {
                var (header, rows) = SweepTable.Build(pr.GetValue(dir)!.FullName);
                string csv = SweepTable.ToCsv(header, rows);
                if (pr.GetValue(outFile) is { } f)
                {
                    string path = Path.GetFullPath(f);
                    Gradscope.IO.AtomicFile.WriteText(path, csv);
                    Console.Error.WriteLine($"Wrote {path}: {rows.Count} points x {header.Count} columns");
                }
                else Console.Out.Write(csv);
                return 0;
            }
            catch (Exception e) when (e is SweepException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"gradscope table: {e.Message}");
                return 2;
            }
        });
        return c;
    }
}
