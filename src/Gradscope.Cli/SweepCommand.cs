using System.CommandLine;
using Gradscope.Sweeps;
using Gradscope.Sweeps.Slurm;
using Spectre.Console;

namespace Gradscope.Cli;

/// <summary><c>gradscope sweep &lt;sweep.yaml&gt; [--executor local|slurm] [--parallel N] [--out DIR]</c> and
/// <c>gradscope sweep --status &lt;sweep-dir&gt;</c>.</summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var c = new Command("sweep", "Run a hyperparameter sweep (grid, random search, seeds) locally or on Slurm, or show its status.");
        var file = new Argument<FileInfo?>("sweep") { Description = "Sweep file (YAML: base, grid, random, seeds/replicates, resources, chunk).", Arity = ArgumentArity.ZeroOrOne };
        var executor = new Option<string>("--executor") { Description = "local or slurm.", DefaultValueFactory = _ => "local" };
        executor.AcceptOnlyFromAmong("local", "slurm");
        var parallel = new Option<int>("--parallel") { Description = "Points run at once (default: one per core; Slurm: max concurrent array tasks).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var outDir = new Option<DirectoryInfo?>("--out") { Description = "Sweep directory (default: next to the sweep file, named after it)." };
        var status = new Option<DirectoryInfo?>("--status") { Description = "Print the status of an existing sweep directory and exit." };
        var threads = new Option<int>("--threads") { Description = "Threads per train run.", DefaultValueFactory = _ => 1 };
        var lease = new Option<double>("--lease") { Description = "Lease of a claimed point in seconds (renewed while it runs).", DefaultValueFactory = _ => 30, Hidden = true };
        var trainCommand = new Option<string[]>("--train-command") { Description = "Command line the workers run instead of this gradscope for train runs (testing; passed to the workers, never stored).", Hidden = true, AllowMultipleArgumentsPerToken = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "List the points (and, for an existing sweep directory, which are kept and which would be added) without writing or running anything." };
        foreach (var o in new Option[] { executor, parallel, outDir, status, threads, lease, trainCommand, dryRun }) c.Options.Add(o);
        var overrides = new Argument<string[]>("overrides") { Description = "key=value overrides of the base config's dotted keys (algorithm.eta=0.1).", Arity = ArgumentArity.ZeroOrMore };
        c.Arguments.Add(file); c.Arguments.Add(overrides);
        c.SetAction(pr =>
        {
            try
            {
                if (pr.GetValue(status) is { } st) return SweepStatus.Print(st.FullName);
                var f = pr.GetValue(file) ?? throw new SweepException("give a sweep file, or --status <sweep-dir>");
                IReadOnlyList<Gradscope.IO.ConfigOverride> ov;
                try { ov = (pr.GetValue(overrides) ?? []).Select(Gradscope.IO.ConfigOverride.Parse).ToList(); }
                catch (ArgumentException e) { throw new SweepException(e.Message); }
                var sweep = SweepFile.Load(f.FullName, ov);
                var dir = pr.GetValue(outDir)?.FullName ?? Path.Combine(f.DirectoryName!, Path.GetFileNameWithoutExtension(f.Name) + ".sweep");
                if (pr.GetValue(dryRun)) return SweepDryRun.Print(sweep, dir);
                var self = GradscopeCommandLine.Current();
                var tc = pr.GetValue(trainCommand) is { Length: > 0 } t ? new GradscopeCommandLine(t[0], t[1..]) : null;
                bool slurm = pr.GetValue(executor) == "slurm";
                var client = new SlurmClient(Environment.GetEnvironmentVariable("SLURM_CONF"));
                if (slurm) { SlurmScript.Validate(sweep.Resources); client.EnsureAvailable(); } // before anything is written
                using (SweepDirectory.CreateOrOpen(sweep, dir, pr.GetValue(threads), pr.GetValue(lease))) { }
                var progress = new SweepProgress();
                IReadOnlyDictionary<string, int> counts;
                if (slurm)
                {
                    (var job, counts) = new SlurmExecutor(client).Run(dir, self, sweep.Resources, sweep.Chunk, pr.GetValue(parallel), progress.Report, trainCommand: tc);
                    if (job != null) Console.WriteLine($"Slurm job {job} finished.");
                }
                else counts = LocalExecutor.Run(dir, self, pr.GetValue(parallel), progress.Report, trainCommand: tc);
                progress.Finish(counts);
                Console.WriteLine($"Sweep directory: {dir}");
                return counts[PointStatus.Failed] == 0 && counts[PointStatus.Pending] == 0 && counts[PointStatus.Running] == 0 ? 0 : 1;
            }
            catch (SweepException e)
            {
                Console.Error.WriteLine($"gradscope sweep: {e.Message}");
                return 2;
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                // damage the index shows only once a query reaches it
                var dir = pr.GetValue(status)?.FullName ?? pr.GetValue(outDir)?.FullName ?? "the sweep directory";
                Console.Error.WriteLine($"gradscope sweep: {SweepIndex.Corrupt(Path.Combine(dir, SweepDirectory.IndexFile), e).Message}");
                return 2;
            }
        });
        return c;
    }
}

/// <summary>Progress of a sweep: plain lines when output is redirected, a live status line on a terminal.</summary>
internal sealed class SweepProgress
{
    string _last = "";
    readonly bool _interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    static string Line(IReadOnlyDictionary<string, int> c)
    {
        int total = c.Values.Sum();
        return $"{c[PointStatus.Done] + c[PointStatus.Failed]}/{total} finished: {c[PointStatus.Done]} done, {c[PointStatus.Failed]} failed, {c[PointStatus.Running]} running, {c[PointStatus.Pending]} pending";
    }

    public void Report(IReadOnlyDictionary<string, int> counts)
    {
        var line = Line(counts);
        if (line == _last) return;
        _last = line;
        if (_interactive)
        {
            int total = Math.Max(1, counts.Values.Sum()), fin = counts[PointStatus.Done] + counts[PointStatus.Failed];
            int width = 30, filled = fin * width / total;
            AnsiConsole.Markup($"\r[green]{new string('#', filled)}[/]{new string('-', width - filled)} {Markup.Escape(line)}   ");
        }
        else Console.WriteLine(line);
    }

    public void Finish(IReadOnlyDictionary<string, int> counts)
    {
        Report(counts);
        if (_interactive) AnsiConsole.WriteLine();
    }
}

/// <summary><c>sweep --dry-run</c>: the points a sweep file expands to, against what its directory already holds; writes nothing.</summary>
internal static class SweepDryRun
{
    public static int Print(SweepFile sweep, string dir)
    {
        string indexPath = Path.Combine(dir, SweepDirectory.IndexFile);
        IReadOnlyList<PointRecord> recorded = [];
        if (File.Exists(indexPath)) using (var index = SweepIndex.Open(indexPath)) recorded = index.Points();
        var (points, added, dropped) = SweepDirectory.Plan(sweep, recorded);
        Console.WriteLine($"{sweep.Path}: {points.Count} points{(recorded.Count > 0 ? $"; {dir} holds {recorded.Count}" : $"; {dir} does not exist yet")}");
        Console.WriteLine($"{"point",6}  {"status",-9} {"seed",6}  hyperparameters");
        foreach (var (p, r) in points)
            Console.WriteLine($"{p.Index,6}  {(r is null ? "new" : r.Status),-9} {p.Seed?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",6}  " +
                string.Join(", ", p.Hyperparameters.Select(kv => $"{kv.Key}={kv.Value}")));
        if (dropped.Count > 0)
        {
            Console.Error.WriteLine($"gradscope sweep: {dropped.Count} recorded points are not points of this file (e.g. point {dropped[0].Index}: {dropped[0].Hyperparameters}); a sweep directory can grow but not change: running it would be refused.");
            return 2;
        }
        int kept = points.Count - added.Count;
        Console.WriteLine(recorded.Count == 0
            ? $"{added.Count} points would be created and run (dry run: nothing written)."
            : $"{kept} recorded points kept ({points.Count(x => x.Recorded?.Status == PointStatus.Done)} done, not run again), {added.Count} would be added (dry run: nothing written).");
        return 0;
    }
}

/// <summary>Prints counts by status and the errors of failed points.</summary>
internal static class SweepStatus
{
    public static int Print(string dir)
    {
        if (!Directory.Exists(dir)) throw new SweepException($"sweep directory '{dir}' does not exist");
        using var index = SweepIndex.Open(Path.Combine(dir, SweepDirectory.IndexFile));
        var counts = index.Counts();
        Console.WriteLine($"Sweep {dir}: {counts.Values.Sum()} points");
        foreach (var (k, v) in counts) Console.WriteLine($"  {k,-8} {v}");
        var (finished, sum, span) = index.Timings();
        if (finished > 0 && span > 0)
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"  time     {finished} finished points ran {sum:F1} s in all, {span:F1} s from first start to last finish ({sum / span:F2} at once on average)"));
        foreach (var p in index.Points().Where(p => p.Status == PointStatus.Failed))
            Console.WriteLine($"  failed point {p.Index} ({p.Directory}, attempt {p.Attempts}): {p.Error}");
        return 0;
    }
}
