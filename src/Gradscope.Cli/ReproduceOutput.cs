using Gradscope.Claims;
using Gradscope.Report;

namespace Gradscope.Cli;

/// <summary>
/// What <c>reproduce --out DIR</c> may do with DIR: a new or empty folder is used; an earlier reproduction (summary.json or
/// claims/) is refused unless <c>--resume</c> (its finished claims are kept) or <c>--force</c> (it is deleted first); any
/// other non-empty folder is refused even with <c>--force</c>, so a mistyped --out never deletes unrelated files.
/// Every refusal happens before anything is written.
/// </summary>
internal static class ReproduceOutput
{
    /// <summary>Checks DIR against the flags; returns the summary to resume from (for --resume), else null. Throws ArgumentException / InvalidDataException with the reason.</summary>
    /// <remarks><paramref name="scale"/> and <paramref name="seed"/>: the values given on the command line (null: not given; a resumed run then keeps its own).</remarks>
    public static RunSummary? Prepare(string dir, bool resume, bool force, RunScale? scale, ulong? seed)
    {
        if (resume && force) throw new ArgumentException("--resume and --force exclude each other: --resume keeps the finished claims in --out, --force deletes them.");
        bool exists = Directory.Exists(dir);
        if (!exists && File.Exists(dir)) throw new ArgumentException($"--out '{dir}' is a file, not a folder.");
        bool empty = !exists || !Directory.EnumerateFileSystemEntries(dir).Any();
        if (empty)
        {
            if (resume) throw new ArgumentException($"--resume: '{dir}' holds no reproduction to resume; run without --resume.");
            return null;
        }
        bool isReproduction = File.Exists(Path.Combine(dir, SummaryFile.FileName)) || Directory.Exists(Path.Combine(dir, "claims"));
        if (!isReproduction)
            throw new ArgumentException($"--out '{dir}' is a non-empty folder that is not a reproduction (no {SummaryFile.FileName}, no claims/); nothing was changed. Choose another --out.");
        if (resume) return ClaimRunner.LoadForResume(dir, scale, seed);
        if (force)
        {
            Directory.Delete(dir, recursive: true);
            return null;
        }
        throw new ArgumentException($"--out '{dir}' already holds a reproduction ({Describe(dir)}); nothing was changed. "
            + "Use --resume to run only the claims it is missing and merge them into its summary and report, --force to delete it and start over, or another --out.");
    }

    private static string Describe(string dir)
    {
        var path = Path.Combine(dir, SummaryFile.FileName);
        if (!File.Exists(path)) return "claim folders without a summary.json";
        try
        {
            var s = SummaryFile.Read(path);
            return $"{SummaryFile.FileName} with {s.Claims.Count} claim(s): {string.Join(", ", s.Claims.Select(c => c.Id))}";
        }
        catch (InvalidDataException) { return $"an unreadable {SummaryFile.FileName}"; }
    }
}
