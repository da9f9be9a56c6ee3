using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Gradscope.Claims;

using Gradscope.Report;

/// <summary>Events of a reproduction, for a live display.</summary>
public interface IReproduceObserver
{
    /// <summary>A claim starts (index among <paramref name="count"/>).</summary>
    void Started(ClaimDefinition claim, int index, int count);
    /// <summary>The running claim reports progress.</summary>
    void Progress(ClaimDefinition claim, string message);
    /// <summary>A claim finished with its result.</summary>
    void Finished(ClaimResult result);
}

/// <summary>
/// Runs claims one after another into a run directory: each in its own folder, a failing claim
/// recorded as an error without stopping the others; then writes summary.json and report.html.
/// </summary>
public static class ClaimRunner
{
    /// <summary>
    /// Runs <paramref name="claims"/> at <paramref name="scale"/> into <paramref name="outDir"/> and returns the summary.
    /// With <paramref name="previous"/> (the summary already in <paramref name="outDir"/>, see <see cref="LoadForResume"/>),
    /// claims whose result it holds (<see cref="KeptResults"/>) are not run again, and the summary and report written
    /// merge its results with the new ones.
    /// </summary>
    public static RunSummary Run(IReadOnlyList<(ClaimDefinition Definition, IClaimRule Rule)> claims, RunScale scale, ulong seed, int threads,
        string outDir, IReproduceObserver? observer = null, RunSummary? previous = null)
    {
        if (previous is not null)
        {
            var kept = KeptResults(previous).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            claims = claims.Where(c => !kept.Contains(c.Definition.Id)).ToList();
            // A claim that runs again (it errored or is new) starts from an empty folder.
            foreach (var (def, _) in claims)
            {
                var folder = Path.Combine(outDir, "claims", def.Id);
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                File.Delete(Path.Combine(outDir, "claims", def.Id + ".error.txt"));
            }
        }
        Directory.CreateDirectory(outDir);
        Directory.CreateDirectory(Path.Combine(outDir, "claims"));
        var started = previous?.Started ?? DateTimeOffset.Now;
        var total = Stopwatch.StartNew();
        var results = new List<ClaimResult>();
        string scaleName = scale == RunScale.Full ? "full" : "quick";
        for (int i = 0; i < claims.Count; i++)
        {
            var (def, rule) = claims[i];
            observer?.Started(def, i, claims.Count);
            var sw = Stopwatch.StartNew();
            ClaimResult result;
            try
            {
                var ctx = new ClaimContext(def, scaleName, seed, threads, Path.Combine(outDir, "claims", def.Id), m => observer?.Progress(def, m));
                var outcome = rule.Run(ctx);
                var missing = outcome.Missing(def);
                if (missing.Count > 0)
                    throw new InvalidOperationException($"{def.Source}: the rule's outcome is incomplete: {string.Join("; ", missing)}.");
                CheckKeys(def, outcome);
                if (def.Notes is not null) outcome.Notes.Insert(0, def.Notes);
                result = new ClaimResult
                {
                    Id = def.Id, Statement = def.Statement, Paper = def.Paper, PaperTitles = Papers.Resolve(def.Paper), Verdict = outcome.Verdict, VerdictReason = outcome.Reason,
                    WallSeconds = sw.Elapsed.TotalSeconds, Hypotheses = outcome.Hypotheses, Numbers = outcome.Numbers,
                    Controls = outcome.ControlResults(def), Charts = outcome.Charts,
                    Notes = outcome.Notes.Count > 0 ? string.Join("\n", outcome.Notes) : null,
                };
            }
            catch (Exception e)
            {
                result = new ClaimResult
                {
                    Id = def.Id, Statement = def.Statement, Paper = def.Paper, PaperTitles = Papers.Resolve(def.Paper), Verdict = Verdict.Error,
                    Error = $"{e.GetType().Name}: {e.Message}", WallSeconds = sw.Elapsed.TotalSeconds,
                };
                File.WriteAllText(Path.Combine(outDir, "claims", def.Id + ".error.txt"), e.ToString());
            }
            results.Add(result);
            observer?.Finished(result);
            // NOTE: summary and report are rewritten after every claim, so an interrupted reproduction keeps what finished.
            if (i + 1 < claims.Count) Write(outDir, Summary(results.ToList()));
        }
        var summary = Summary(results);
        Write(outDir, summary);
        return summary;

        RunSummary Summary(List<ClaimResult> done) => new()
        {
            ToolVersion = Version, Started = started, Finished = DateTimeOffset.Now, Scale = scale, Seed = seed, Threads = threads,
            Machine = Machine(), WallSeconds = (previous?.WallSeconds ?? 0) + total.Elapsed.TotalSeconds,
            Claims = previous is null ? done : Merge(previous.Claims, done),
        };
    }

    /// <summary>The results of <paramref name="previous"/> a resumed reproduction keeps: every claim that did not end in an error.</summary>
    public static IReadOnlyList<ClaimResult> KeptResults(RunSummary previous) => previous.Claims.Where(c => c.Verdict != Verdict.Error).ToList();

    /// <summary>
    /// The summary.json of <paramref name="outDir"/> to resume; throws InvalidDataException when there is none, it is unreadable,
    /// or it was made at another scale or seed than the ones given (its results would not be comparable with the new ones;
    /// null: take the summary's).
    /// </summary>
    public static RunSummary LoadForResume(string outDir, RunScale? scale, ulong? seed)
    {
        var path = Path.Combine(outDir, SummaryFile.FileName);
        if (!File.Exists(path))
            throw new InvalidDataException($"'{outDir}' has no {SummaryFile.FileName} to resume from; use --force to start over there, or another --out.");
        var previous = SummaryFile.Read(path);
        if ((scale ?? previous.Scale) != previous.Scale || (seed ?? previous.Seed) != previous.Seed)
            throw new InvalidDataException($"'{path}' was made with scale {previous.Scale.ToString().ToLowerInvariant()} and seed {previous.Seed}; "
                + $"resuming needs the same (got scale {(scale ?? previous.Scale).ToString().ToLowerInvariant()}, seed {seed ?? previous.Seed}). Leave --scale and --seed out (they default to the earlier run's), or use --force to start over, or another --out.");
        return previous;
    }

    /// <summary>The previous results in their order, each replaced by its new result if the claim ran again, then the claims new to the run.</summary>
    private static List<ClaimResult> Merge(IReadOnlyList<ClaimResult> previous, List<ClaimResult> done)
    {
        var fresh = done.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var merged = previous.Select(r => fresh.GetValueOrDefault(r.Id) ?? r).ToList();
        var seen = previous.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        merged.AddRange(done.Where(r => !seen.Contains(r.Id)));
        return merged;
    }

    private static void Write(string outDir, RunSummary summary)
    {
        SummaryFile.Write(Path.Combine(outDir, "summary.json"), summary);
        HtmlReport.Write(Path.Combine(outDir, "report.html"), summary);
    }

    /// <summary>The Gradscope version string.</summary>
    public static string Version => typeof(ClaimRunner).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>One line describing this machine.</summary>
    public static string Machine()
    {
        string cpu = "unknown CPU";
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) cpu = line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return $"{cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    // Every registry key a reported number or certified hypothesis carries must name a registry quantity (summary.json's keys are the registry's).
    private static void CheckKeys(ClaimDefinition def, ClaimOutcome outcome)
    {
        var numbers = outcome.Numbers.Concat(outcome.Controls.SelectMany(c => c.Checks));
        foreach (var e in numbers)
            if (e.Key is string k && Measures.Registry.MeasureRegistry.Find(k) is null)
                throw new InvalidOperationException($"{def.Source}: the number '{e.Name}' carries key '{k}', which is not a registry key (`gradscope measures` lists them).");
        foreach (var h in outcome.Hypotheses)
            if (h.Key is string k && Measures.Registry.MeasureRegistry.Find(k) is null)
                throw new InvalidOperationException($"{def.Source}: hypothesis '{h.Name}' carries key '{k}', which is not a registry key (`gradscope measures` lists them).");
    }
}
