using Gradscope.Report;
using Gradscope.Sweeps;

namespace Gradscope.Cli;

/// <summary>
/// <c>gradscope report SWEEP-DIR</c>: SWEEP-DIR/report.html, one offline page with the sweep's measure ranking
/// (<c>measure-ranking.csv</c> of <c>rank-measures</c>, every row) and the measures-vs-gap scatter of the
/// <see cref="ScatterMeasures"/> measures at the top of that table (<c>measure-values.csv</c>), drawn like
/// <c>gradscope plot</c>'s sweep section. Reads only the sweep's files.
/// </summary>
internal static class SweepReport
{
    /// <summary>How many of the best-ranked measures get a scatter plot (the table lists them all).</summary>
    public const int ScatterMeasures = 12;

    /// <summary>Whether <paramref name="dir"/> is a sweep directory (holds the sweep index).</summary>
    public static bool IsSweep(string dir) => File.Exists(Path.Combine(dir, SweepDirectory.IndexFile));

    /// <summary>Writes SWEEP-DIR/report.html and returns its path.</summary>
    /// <exception cref="FileNotFoundException">The sweep has not been ranked (no measure-ranking.csv or measure-values.csv).</exception>
    /// <exception cref="SweepException">measure-values.csv is malformed (naming the file and line).</exception>
    public static string Write(string sweepDir)
    {
        string dir = Path.GetFullPath(sweepDir).TrimEnd('/');
        foreach (var file in new[] { "measure-ranking.csv", SweepTable.MeasureValuesFile })
            if (!File.Exists(Path.Combine(dir, file)))
                throw new FileNotFoundException($"{Path.Combine(dir, file)} does not exist: rank the sweep first (gradscope rank-measures {dir}).");
        string name = Path.GetFileName(dir);
        var sweep = PlotCommand.Sweep(dir, name);
        var top = sweep.RankingRows.Select(r => r[0]).Where(sweep.Measures.ContainsKey).Take(ScatterMeasures).ToList();
        var measures = new Dictionary<string, IReadOnlyList<(string, double, double)>>();
        foreach (var m in top) measures[m] = sweep.Measures[m];
        var notes = new List<string>
        {
            $"Scatter plots: the {top.Count} measures at the top of the table, one point per scored network (gradscope plot {name} draws every measure and the training curves).",
        };
        var (names, values) = SweepTable.ReadMeasureValues(Path.Combine(dir, SweepTable.MeasureValuesFile));
        int reachedColumn = names.ToList().IndexOf(SweepTable.ReachedTargetColumn);
        if (reachedColumn >= 0)
        {
            var unreached = values.Where(kv => kv.Value[reachedColumn] == "0").Select(kv => kv.Key).Order().ToList();
            if (unreached.Count > 0) notes.Add(Gradscope.Sweeps.Ranking.MeasureRanking.UnreachedNote(unreached, values.Count));
        }
        string path = Path.Combine(dir, HtmlReport.FileName);
        Gradscope.IO.AtomicFile.WriteText(path, PlotPage.Render($"Gradscope: sweep {name}", [], [sweep with { Measures = measures, Notes = notes }]));
        return path;
    }
}
