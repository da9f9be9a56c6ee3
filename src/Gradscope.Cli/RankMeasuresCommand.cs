using System.CommandLine;
using Gradscope.Sweeps;
using Gradscope.Sweeps.Ranking;
using Spectre.Console;

namespace Gradscope.Cli;

/// <summary><c>gradscope rank-measures &lt;sweep-dir&gt;</c>: scores every measure of the finished points against the
/// generalization gap (Kendall tau, granulated tau, CMI, sign error) and writes a table (console, CSV, JSON, HTML).</summary>
internal static class RankMeasuresCommand
{
    public static Command Create()
    {
        var c = new Command("rank-measures", "Rank generalization measures of a finished sweep against its generalization gaps.");
        var dir = new Argument<DirectoryInfo>("sweep-dir") { Description = "Sweep directory." };
        var minGap = new Option<double>("--min-gap-difference") { Description = "Variant 'sign error, every pair kept': ignore pairs whose gaps differ by at most this.", DefaultValueFactory = _ => 0 };
        var testSize = new Option<int>("--test-size") { Description = "Test-set size behind each gap, for the sign error's Hoeffding weights (Dziugaite et al. 2020's code: 10000).", DefaultValueFactory = _ => 10_000 };
        var minEss = new Option<double>("--min-ess") { Description = "Sign error: drop environments whose effective sample size is below this (Dziugaite et al. 2020's code: 12).", DefaultValueFactory = _ => 12 };
        var minCoverage = new Option<double>("--min-coverage") { Description = "Measures finite on fewer than this share of the points are listed after the others.", DefaultValueFactory = _ => 0.9 };
        var source = new Option<string>("--source") { Description = "suite: compute the measure suite from each run's final weights and data; files: read measures.json or the final metrics' probe values.", DefaultValueFactory = _ => "suite" };
        source.AcceptOnlyFromAmong("suite", "files");
        var flatness = new Option<bool>("--flatness") { Description = "With --source suite: also compute the flatness and sharpness measures of Jiang et al. 2020 (flatness.*, jiang.pacbayes_*, jiang.sharpness_*; hundreds of forward passes per net)." };
        var includeUnreached = new Option<bool>("--include-unreached") { Description = "Also score the points whose step or time cap stopped them before their training target (stop.loss, train_acc, margin, gamma); by default they are left out, as Jiang et al. 2020 compare nets trained to one cross-entropy, and counted against every measure's coverage." };
        c.Arguments.Add(dir); c.Options.Add(minGap); c.Options.Add(testSize); c.Options.Add(minEss); c.Options.Add(minCoverage); c.Options.Add(source); c.Options.Add(flatness); c.Options.Add(includeUnreached);
        c.SetAction(pr =>
        {
            try
            {
                var d = pr.GetValue(dir)!.FullName;
                var options = new RankingOptions
                {
                    TestSize = pr.GetValue(testSize), MinEffectiveSampleSize = pr.GetValue(minEss),
                    MinGapDifference = pr.GetValue(minGap), MinCoverage = pr.GetValue(minCoverage),
                };
                try { options.Validate(); }
                catch (ArgumentOutOfRangeException e)
                {
                    string option = e.ParamName switch
                    {
                        nameof(RankingOptions.TestSize) => "--test-size", nameof(RankingOptions.MinEffectiveSampleSize) => "--min-ess",
                        nameof(RankingOptions.MinGapDifference) => "--min-gap-difference", _ => "--min-coverage",
                    };
                    throw new SweepException($"{option} {e.ActualValue}: {e.Message.Split(" (Parameter")[0].Split(Environment.NewLine)[0]}");
                }
                bool files = pr.GetValue(source) == "files";
                if (files && pr.GetValue(flatness)) throw new SweepException("--flatness computes measures, so it goes with --source suite; with --source files select them in the runs' probes.measures or run measure --run --flatness");
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var points = SweepMeasures.Load(d, files ? new MeasuresFileSource()
                    : new MeasureSuiteSource(pr.GetValue(flatness) ? new Gradscope.Measures.MeasureOptions { Flatness = new Gradscope.Measures.Flatness.FlatnessOptions() } : null),
                    pr.GetValue(includeUnreached),
                    (k, n) => Console.Error.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"measured {k}/{n} finished points ({watch.Elapsed.TotalSeconds:F0} s)")));
                var unreached = points.Where(p => !p.ReachedTarget).Select(p => p.Index).ToList();
                if (points.Count == 0) throw new SweepException($"'{d}' has no finished point to rank");
                var scores = MeasureRanking.Score(points, options);
                if (scores.Count == 0) throw new SweepException($"the finished points of '{d}' carry no measure values (measures.json)");
                File.WriteAllText(Path.Combine(d, "measure-ranking.csv"), MeasureRanking.ToCsv(scores));
                File.WriteAllText(Path.Combine(d, "measure-ranking.json"), MeasureRanking.ToJson(scores, options, unreached));
                File.WriteAllText(Path.Combine(d, "measure-ranking.html"), MeasureRanking.ToHtml(scores, points.Count, options, unreached));
                File.WriteAllText(Path.Combine(d, SweepTable.MeasureValuesFile), SweepTable.MeasureValuesCsv(points));
                var table = new Table();
                foreach (var col in MeasureRanking.Columns) table.AddColumn(col);
                foreach (var s in scores) table.AddRow(MeasureRanking.Cells(s).Select(Markup.Escape).ToArray());
                AnsiConsole.Write(table);
                Console.WriteLine($"coverage below {options.MinCoverage:G3}: listed last; sign error: Hoeffding weights for a test set of {options.TestSize}, environments with effective sample size below {options.MinEffectiveSampleSize:G3} dropped. Variants (tau-b, granulated tau-b seeds pooled, sign error every pair kept) are in the CSV and JSON.");
                if (unreached.Count > 0)
                    Console.WriteLine(pr.GetValue(includeUnreached)
                        ? $"{unreached.Count} of {points.Count} finished points stopped at their cap before their training target (points {string.Join(", ", unreached)}); scored anyway (--include-unreached)."
                        : MeasureRanking.UnreachedNote(unreached, points.Count));
                Console.WriteLine($"Wrote measure-ranking.csv, .json and .html and the per-point {SweepTable.MeasureValuesFile} in {d}");
                return 0;
            }
            catch (SweepException e)
            {
                Console.Error.WriteLine($"gradscope rank-measures: {e.Message}");
                return 2;
            }
        });
        return c;
    }
}
