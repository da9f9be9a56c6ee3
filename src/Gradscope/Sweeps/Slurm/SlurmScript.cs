using System.Text;

namespace Gradscope.Sweeps.Slurm;

/// <summary>Writes the sbatch array script of a sweep: one array task per <c>chunk</c> points, at most
/// <c>maxConcurrent</c> at once (<c>#SBATCH --array=0-(T-1)%M</c>), each task a worker claiming up to
/// <c>chunk</c> points through the index.</summary>
public static class SlurmScript
{
    /// <summary>The script text.</summary>
    public static string Create(string sweepDir, GradscopeCommandLine gradscope, SlurmResources resources, int tasks, int chunk, int maxConcurrent)
    {
        if (tasks < 1) throw new ArgumentOutOfRangeException(nameof(tasks), tasks, "at least one task");
        var sb = new StringBuilder();
        sb.Append("#!/bin/sh\n");
        sb.Append("#SBATCH --job-name=gradscope-sweep\n");
        sb.Append($"#SBATCH --array=0-{tasks - 1}%{Math.Max(1, maxConcurrent)}\n");
        sb.Append("#SBATCH --ntasks=1\n");
        sb.Append($"#SBATCH --cpus-per-task={resources.Cpus ?? 1}\n");
        if (resources.Mem != null) sb.Append($"#SBATCH --mem={resources.Mem}\n");
        if (resources.Time != null) sb.Append($"#SBATCH --time={resources.Time}\n");
        if (resources.Partition != null) sb.Append($"#SBATCH --partition={resources.Partition}\n");
        sb.Append($"#SBATCH --output={Path.Combine(sweepDir, "slurm", "task-%A_%a.log")}\n");
        sb.Append("exec");
        foreach (var a in gradscope.With("sweep-worker", sweepDir, "--worker-id", "slurm-${SLURM_ARRAY_JOB_ID}-${SLURM_ARRAY_TASK_ID}", "--max-points", chunk.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            sb.Append(' ').Append(Quote(a));
        sb.Append('\n');
        return sb.ToString();
    }

    // Double quotes so ${SLURM_...} expands; the characters special inside them are escaped.
    static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("`", "\\`") + "\"";
}
