using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Gradscope.Sweeps.Slurm;

/// <summary>Writes the sbatch array script of a sweep: one array task per <c>chunk</c> points, at most
/// <c>maxConcurrent</c> at once (<c>#SBATCH --array=0-(T-1)%M</c>), each task a worker claiming up to
/// <c>chunk</c> points through the index.</summary>
/// <remarks>
/// NOTE: nothing from the sweep file or the file system reaches the script unchecked. Every resource value must
/// match Slurm's own grammar for it (<see cref="Validate"/>), so no value can end a <c>#SBATCH</c> line or start a
/// shell line; paths appear only in the <c>exec</c> line, single-quoted (a <c>'</c> written <c>'\''</c>), so the shell
/// expands nothing in them, and paths holding control characters (a newline above all) are refused. The task log
/// path is relative (<c>task-%A_%a.log</c>): sbatch runs in the sweep's slurm/ folder (<see cref="SlurmClient.Submit"/>),
/// which is the job's working directory, so no path has to pass through Slurm's own <c>%</c> filename patterns.
/// </remarks>
public static partial class SlurmScript
{
    /// <summary>Name of the array tasks' log files, relative to the slurm/ folder the job runs in.</summary>
    public const string TaskLog = "task-%A_%a.log";

    /// <summary>The script text.</summary>
    /// <exception cref="SweepException">A resource value is not valid Slurm syntax, or a path holds a control character.</exception>
    public static string Create(string sweepDir, GradscopeCommandLine gradscope, SlurmResources resources, int tasks, int chunk, int maxConcurrent,
        GradscopeCommandLine? trainCommand = null)
    {
        if (tasks < 1) throw new ArgumentOutOfRangeException(nameof(tasks), tasks, "at least one task");
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "at least one point per task");
        Validate(resources);
        var sb = new StringBuilder();
        sb.Append("#!/bin/sh\n");
        sb.Append("#SBATCH --job-name=gradscope-sweep\n");
        sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{tasks - 1}%{Math.Max(1, maxConcurrent)}\n");
        sb.Append("#SBATCH --ntasks=1\n");
        sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={resources.Cpus ?? 1}\n");
        if (resources.Mem != null) sb.Append($"#SBATCH --mem={resources.Mem}\n");
        if (resources.Time != null) sb.Append($"#SBATCH --time={resources.Time}\n");
        if (resources.Partition != null) sb.Append($"#SBATCH --partition={resources.Partition}\n");
        sb.Append($"#SBATCH --output={TaskLog}\n");
        sb.Append("exec");
        var argv = gradscope.With("sweep-worker", sweepDir);
        foreach (var a in argv) sb.Append(' ').Append(Quote(a));
        // the one expanded word: Slurm's own job and task ids, written here, never taken from input
        sb.Append(" --worker-id \"slurm-${SLURM_ARRAY_JOB_ID}-${SLURM_ARRAY_TASK_ID}\"");
        sb.Append(" --max-points ").Append(chunk.ToString(CultureInfo.InvariantCulture));
        if (trainCommand is not null)
        {
            sb.Append(" --train-command");
            foreach (var a in trainCommand.With()) sb.Append(' ').Append(Quote(a));
        }
        sb.Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// Checks every resource value against Slurm's grammar (sbatch(1)): <c>cpus</c> a count 1..100000; <c>mem</c> a
    /// size with an optional unit K, M, G or T; <c>time</c> one of minutes, minutes:seconds, hours:minutes:seconds,
    /// days-hours, days-hours:minutes, days-hours:minutes:seconds, UNLIMITED or INFINITE; <c>partition</c> one or more
    /// comma-separated names of letters, digits, '_', '-' and '.'.
    /// </summary>
    /// <exception cref="SweepException">Names the key, the value and the expected form.</exception>
    public static void Validate(SlurmResources r)
    {
        if (r.Cpus is int c && (c < 1 || c > 100_000)) throw Bad("cpus", c.ToString(CultureInfo.InvariantCulture), "a number of CPUs from 1 to 100000");
        if (r.Mem is { } m && !MemPattern().IsMatch(m)) throw Bad("mem", m, "a size in megabytes or with a unit K, M, G or T (e.g. 400M, 2G)");
        if (r.Time is { } t && !TimePattern().IsMatch(t))
            throw Bad("time", t, "a Slurm time limit: minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes, days-hours:minutes:seconds, UNLIMITED or INFINITE");
        if (r.Partition is { } p && !PartitionPattern().IsMatch(p))
            throw Bad("partition", p, "one or more partition names (letters, digits, '_', '-', '.') separated by commas");
    }

    static SweepException Bad(string key, string value, string expected) =>
        new($"resources.{key}: '{Visible(value)}' is not valid; expected {expected}");

    /// <summary>The value with control characters shown as escapes, so an error message stays one line.</summary>
    static string Visible(string s)
    {
        var sb = new StringBuilder();
        foreach (char ch in s.Length > 80 ? s[..80] + "..." : s)
            sb.Append(char.IsControl(ch) ? ch switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => $"\\u{(int)ch:x4}" } : ch.ToString());
        return sb.ToString();
    }

    /// <summary>
    /// <paramref name="s"/> as one shell word the shell takes literally: in single quotes, each <c>'</c> written
    /// <c>'\''</c>. Refuses control characters (a newline in a path would still be literal in the word, but no
    /// path Gradscope writes needs one, and sbatch's directive scanner and log readers would not keep it intact).
    /// </summary>
    /// <exception cref="SweepException">The string holds a control character.</exception>
    public static string Quote(string s)
    {
        if (s.Any(char.IsControl)) throw new SweepException($"'{Visible(s)}' holds a control character (e.g. a newline); a path in a Slurm script must not; choose another directory");
        return "'" + s.Replace("'", "'\\''") + "'";
    }

    [GeneratedRegex(@"^[0-9]{1,12}[KMGTkmgt]?\z")]
    private static partial Regex MemPattern();

    [GeneratedRegex(@"^(?:UNLIMITED|INFINITE|[0-9]{1,9}(?::[0-9]{1,2}){0,2}|[0-9]{1,6}-[0-9]{1,2}(?::[0-9]{1,2}){0,2})\z")]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,62}(?:,[A-Za-z0-9_][A-Za-z0-9_.\-]{0,62}){0,31}\z")]
    private static partial Regex PartitionPattern();
}
