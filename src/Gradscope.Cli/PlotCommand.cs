using System.CommandLine;
using Gradscope.Report;
using Gradscope.Sweeps;

namespace Gradscope.Cli;

/// <summary>
/// <c>gradscope plot RUN|SWEEP|DIR... [--out FILE]</c>: one self-contained offline HTML page of the runs' metrics
/// over steps (overlaid), and for sweeps the measures-vs-gap scatter and the ranking table. Reads only.
/// </summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var c = new Command("plot", "Plot the metrics of training runs (overlaid) and the measures of sweeps as one offline HTML page.");
        var paths = new Argument<string[]>("paths")
        {
            Description = "Run directories (metrics.csv), sweep directories (index.sqlite), or directories searched for runs (e.g. a reproduction).",
            Arity = ArgumentArity.OneOrMore,
        };
        var outFile = new Option<string>("--out") { Description = "The HTML file to write.", DefaultValueFactory = _ => "gradscope-plot.html" };
        var x = new Option<string>("--x") { Description = "The x axis: step, t (continuous time) or wall_s.", DefaultValueFactory = _ => "step" };
        x.AcceptOnlyFromAmong("step", "t", "wall_s");
        var metrics = new Option<string?>("--metrics") { Description = "Comma-separated metric columns to plot (default: all)." };
        c.Arguments.Add(paths); c.Options.Add(outFile); c.Options.Add(x); c.Options.Add(metrics);
        c.SetAction(pr =>
        {
            try
            {
                var (runs, sweeps) = Collect(pr.GetValue(paths)!);
                if (pr.GetValue(metrics) is { } m)
                {
                    var wanted = m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
                    var known = PlotPage.MetricColumns(runs);
                    var unknown = wanted.Where(w => !known.Contains(w)).ToList();
                    if (unknown.Count > 0)
                        throw new ArgumentException($"--metrics: no run has {string.Join(", ", unknown.Select(u => $"'{u}'"))} (columns: {string.Join(", ", known)}).");
                    runs = runs.Where(r => r.Metrics.Columns.Any(wanted.Contains)).Select(r => r with { Metrics = r.Metrics.Only(wanted) }).ToList();
                }
                string title = runs.Count + sweeps.Count == 1 ? $"Gradscope: {(runs.Count == 1 ? runs[0].Label : sweeps[0].Name)}" : "Gradscope: runs compared";
                string html = PlotPage.Render(title, runs, sweeps, pr.GetValue(x)!);
                string path = Path.GetFullPath(pr.GetValue(outFile)!);
                Gradscope.IO.AtomicFile.WriteText(path, html);
                Console.WriteLine($"Wrote {path} ({runs.Count} run{(runs.Count == 1 ? "" : "s")}, {sweeps.Count} sweep{(sweeps.Count == 1 ? "" : "s")})");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or SweepException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"gradscope plot: {e.Message}");
                return 2;
            }
        });
        return c;
    }

    /// <summary>The runs and sweeps named by <paramref name="paths"/>.</summary>
    internal static (List<PlotRun> Runs, List<PlotSweep> Sweeps) Collect(IEnumerable<string> paths)
    {
        var runs = new List<PlotRun>();
        var sweeps = new List<PlotSweep>();
        foreach (string raw in paths)
        {
            string dir = Path.GetFullPath(raw);
            if (!Directory.Exists(dir)) throw new ArgumentException($"'{raw}' is not a directory.");
            string name = Path.GetFileName(dir.TrimEnd('/'));
            if (File.Exists(Path.Combine(dir, SweepDirectory.IndexFile)))
            {
                var (header, rows) = SweepTable.Build(dir);
                int iDir = header.ToList().IndexOf("directory"), iPoint = header.ToList().IndexOf("point");
                foreach (var row in rows)
                {
                    string run = SweepWorker.RunDirectory(Path.Combine(dir, row[iDir]));
                    if (RunMetrics.IsRunDirectory(run)) runs.Add(new PlotRun($"{name}#{row[iPoint]}", RunMetrics.Read(run)));
                }
                sweeps.Add(Sweep(dir, name));
            }
            else if (RunMetrics.IsRunDirectory(dir)) runs.Add(new PlotRun(name, RunMetrics.Read(dir)));
            else
            {
                var found = Directory.EnumerateFiles(dir, "metrics.csv", SearchOption.AllDirectories)
                    .Select(f => Path.GetDirectoryName(f)!).Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new ArgumentException($"'{raw}' holds no training run (no metrics.csv below it) and no sweep (no {SweepDirectory.IndexFile}).");
                foreach (var f in found) runs.Add(new PlotRun(Path.GetRelativePath(Path.GetDirectoryName(dir) ?? dir, f), RunMetrics.Read(f)));
            }
        }
        return (runs, sweeps);
    }

    /// <summary>The measures (from measure-values.csv) and ranking table (measure-ranking.csv) of the sweep in <paramref name="dir"/>.</summary>
    internal static PlotSweep Sweep(string dir, string name)
    {
        var measures = SweepTable.MeasureValues(dir).ToDictionary(kv => kv.Key,
            kv => (IReadOnlyList<(string, double, double)>)kv.Value.Select(p => ($"point {p.Point}", p.Value, p.Gap)).ToList());
        string ranking = Path.Combine(dir, "measure-ranking.csv");
        var header = new List<string>();
        var rows = new List<IReadOnlyList<string>>();
        if (File.Exists(ranking))
        {
            var lines = File.ReadAllLines(ranking).Where(l => l.Length > 0).ToList();
            if (lines.Count > 0)
            {
                header = SweepTable.SplitCsv(lines[0]);
                rows = lines.Skip(1).Select(l => (IReadOnlyList<string>)SweepTable.SplitCsv(l)).ToList();
            }
        }
        return new PlotSweep(name, measures, header, rows);
    }
}
