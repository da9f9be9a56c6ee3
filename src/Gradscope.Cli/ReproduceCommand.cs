using System.CommandLine;
using Gradscope.Claims;
using Gradscope.Report;
using Spectre.Console;

namespace Gradscope.Cli;

/// <summary>`gradscope reproduce`: runs the claims of THEORY.md section 6 and writes a run directory with a report.</summary>
internal static class ReproduceCommand
{
    public static Command Create()
    {
        var claims = new Option<string?>("--claims") { Description = "Comma-separated claim ids (default: all). See `gradscope claims`." };
        var scale = new Option<string>("--scale") { Description = "quick (all claims in minutes) or full (larger nets, longer runs, more seeds).", DefaultValueFactory = _ => "quick" };
        scale.AcceptOnlyFromAmong("quick", "full");
        var outDir = new Option<string?>("--out") { Description = "Run directory (default: runs/reproduce-<scale>-<timestamp>)." };
        var threads = new Option<int>("--threads") { Description = "Kernel threads (results are bit-identical for a given seed and thread count).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seed = new Option<ulong>("--seed") { Description = "Master seed.", DefaultValueFactory = _ => 1UL };
        var resume = new Option<bool>("--resume") { Description = "--out is an earlier reproduction: keep the claims it finished, run the selected claims (default all) it is missing or that failed, and merge all into its summary and report; scale, seed and threads default to its own." };
        var force = new Option<bool>("--force") { Description = "--out is an earlier reproduction: delete it and start over." };
        var overrides = new Argument<string[]>("overrides")
        {
            Description = "CLAIM.SCALE.key=value (or CLAIM.key=value for the scale that runs) overrides of a claim's parameters, e.g. balance.quick.relu.algorithm.eta=0.02.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cmd = new Command("reproduce", "Train, measure and judge every claim of the theory; write configs, metrics, weights, summary.json and report.html.")
        {
            claims, scale, outDir, threads, seed, resume, force, overrides,
        };
        cmd.SetAction(pr =>
        {
            try
            {
                var ids = (pr.GetValue(claims) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var selected = ClaimRegistry.Select(ids);
                var sc = pr.GetValue(scale) == "full" ? RunScale.Full : RunScale.Quick;
                int th = pr.GetValue(threads);
                ulong sd = pr.GetValue(seed);
                if (th < 1) throw new ArgumentException($"--threads must be >= 1, got {th}.");
                var overrideTexts = pr.GetValue(overrides) ?? [];
                // a claim id where an override goes: `--claims a b` instead of `--claims a,b`
                foreach (var t in overrideTexts)
                    if (!t.Contains('=') && ClaimRegistry.Order.Contains(t))
                        throw new ArgumentException($"'{t}' is a claim id, not an override: give several claims comma-separated, --claims {string.Join(",", ids.Append(t))}");
                selected = WithOverrides(selected, overrideTexts.Select(ClaimOverride.Parse).ToList(), sc == RunScale.Full ? "full" : "quick");
                string dir = pr.GetValue(outDir) ?? Path.Combine("runs", $"reproduce-{(sc == RunScale.Full ? "full" : "quick")}-{DateTime.Now:yyyyMMdd-HHmmss}");
                bool Given(Option o) => pr.GetResult(o) is { Implicit: false };
                // Resuming without --scale / --seed / --threads continues with the earlier run's values (bit-identical results need them).
                var previous = ReproduceOutput.Prepare(dir, pr.GetValue(resume), pr.GetValue(force), Given(scale) ? sc : null, Given(seed) ? sd : null);
                if (previous is not null)
                {
                    (sc, sd) = (previous.Scale, previous.Seed);
                    if (!Given(threads)) th = previous.Threads;
                    var kept = ClaimRunner.KeptResults(previous).Select(r => r.Id).ToHashSet();
                    var keptHere = selected.Where(c => kept.Contains(c.Definition.Id)).Select(c => c.Definition.Id).ToList();
                    Console.WriteLine($"gradscope reproduce: resuming {Path.GetFullPath(dir)}: keeping {kept.Count} finished claim(s)"
                        + (keptHere.Count > 0 ? $" (not run again: {string.Join(", ", keptHere)})" : ""));
                    selected = selected.Where(c => !kept.Contains(c.Definition.Id)).ToList();
                }
                Console.WriteLine($"gradscope reproduce: {selected.Count} claim(s), scale {(sc == RunScale.Full ? "full" : "quick")}, {th} thread(s), seed {sd} -> {Path.GetFullPath(dir)}");
                var observer = new ConsoleObserver();
                var summary = ClaimRunner.Run(selected, sc, sd, th, dir, observer, previous);
                PrintTable(summary);
                Console.WriteLine($"report: {Path.GetFullPath(Path.Combine(dir, "report.html"))}");
                return summary.Claims.Any(c => c.Verdict == Verdict.Error) ? 1 : 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"gradscope reproduce: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }

    // Gives each selected claim its overrides and checks them before anything is written.
    private static IReadOnlyList<(ClaimDefinition Definition, IClaimRule Rule)> WithOverrides(
        IReadOnlyList<(ClaimDefinition Definition, IClaimRule Rule)> selected, IReadOnlyList<ClaimOverride> overrides, string scale)
    {
        if (overrides.Count == 0) return selected;
        foreach (var o in overrides)
        {
            if (!selected.Any(c => c.Definition.Id == o.Claim))
                throw new ArgumentException($"{o.Override.Where}: '{o.Claim}' is not a selected claim (selected: {string.Join(", ", selected.Select(c => c.Definition.Id))}); write CLAIM.SCALE.key=value");
            if (o.Scale is { } s && s != scale)
                throw new ArgumentException($"{o.Override.Where}: it applies to scale {s}, but this reproduction runs scale {scale} (--scale {s}, or write {o.Claim}.{scale}.{o.Override.Key}=...)");
        }
        var result = selected.Select(c => (Definition: c.Definition.WithOverrides(overrides.Where(o => o.Claim == c.Definition.Id)), c.Rule)).ToList();
        foreach (var (d, _) in result) d.CheckOverrides(scale);
        return result;
    }

    private static void PrintTable(RunSummary summary)
    {
        Console.WriteLine();
        Console.WriteLine($"{"claim",-26} {"verdict",-16} {"hyp",5} {"checks",7} {"ctrl",5} {"wall",8}");
        foreach (var c in summary.Claims)
        {
            string hyp = c.Hypotheses.Count == 0 ? "-" : $"{c.Hypotheses.Count(h => h.Holds)}/{c.Hypotheses.Count}";
            int checks = c.Numbers.Count(e => e.Passed is not null);
            string chk = checks == 0 ? "-" : $"{c.Numbers.Count(e => e.Passed == true)}/{checks}";
            string ctl = c.Controls.Count == 0 ? "-" : $"{c.Controls.Count(x => x.Discriminates)}/{c.Controls.Count}";
            Console.WriteLine($"{c.Id,-26} {VerdictText(c.Verdict),-16} {hyp,5} {chk,7} {ctl,5} {c.WallSeconds,7:F1}s{(c.Error is null ? "" : "  " + c.Error)}");
        }
        int Count(Verdict v) => summary.Claims.Count(c => c.Verdict == v);
        Console.WriteLine($"{Count(Verdict.Reproduced)} reproduced, {Count(Verdict.NotReproduced)} not reproduced, {Count(Verdict.Inconclusive)} inconclusive, " +
            $"{Count(Verdict.InvalidSetup)} invalid setup, {Count(Verdict.Error)} error(s) in {summary.WallSeconds:F0} s");
        Console.WriteLine("(hyp: hypotheses that hold; checks: checks passed; ctrl: controls that discriminate)");
    }

    internal static string VerdictText(Verdict v) => HtmlText.VerdictText(v);

    /// <summary>One updating line per claim on a terminal; plain lines when output is redirected.</summary>
    private sealed class ConsoleObserver : IReproduceObserver
    {
        private readonly bool _live = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Ansi;
        private DateTime _lastPlain = DateTime.MinValue;
        private string _prefix = "";

        public void Started(ClaimDefinition claim, int index, int count)
        {
            _prefix = $"[{index + 1}/{count}] {claim.Id}";
            if (_live) Console.Write($"\r\u001b[2K{_prefix}: starting");
            else Console.WriteLine($"{_prefix}: starting");
        }

        public void Progress(ClaimDefinition claim, string message)
        {
            if (_live) Console.Write($"\r\u001b[2K{_prefix}: {Trim(message)}");
            else if ((DateTime.Now - _lastPlain).TotalSeconds >= 10)
            {
                _lastPlain = DateTime.Now;
                Console.WriteLine($"{_prefix}: {message}");
            }
        }

        public void Finished(ClaimResult result)
        {
            string line = $"{_prefix}: {VerdictText(result.Verdict)} ({result.WallSeconds:F1} s){(result.Error is null ? "" : " - " + result.Error)}";
            if (_live) Console.WriteLine($"\r\u001b[2K{line}");
            else Console.WriteLine(line);
        }

        private static string Trim(string s)
        {
            int width = Math.Max(20, (Console.IsOutputRedirected ? 120 : Console.WindowWidth) - 40);
            return s.Length > width ? s[..width] : s;
        }
    }
}
