using System.Diagnostics;

namespace Gradscope.Sweeps.Slurm;

/// <summary>Runs the Slurm client commands (sbatch, squeue, sinfo) with an optional private <c>SLURM_CONF</c>.</summary>
public sealed class SlurmClient(string? slurmConf = null)
{
    /// <summary>Path of the configuration passed as SLURM_CONF (null = the client's default).</summary>
    public string? SlurmConf { get; } = slurmConf;

    /// <summary>Runs a client command; returns exit code, stdout and stderr.</summary>
    /// <exception cref="SweepException">The command is not installed, or did not answer within <paramref name="timeout"/>.</exception>
    public (int Code, string Out, string Err) Run(string command, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (SlurmConf != null) psi.Environment["SLURM_CONF"] = SlurmConf;
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        { throw new SweepException($"Slurm is not available: '{command}' could not be started ({e.Message}); install the Slurm client or use --executor local", e); }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
            {
                try { p.Kill(true); } catch (InvalidOperationException) { }
                throw new SweepException($"Slurm is not answering: '{command} {string.Join(' ', psi.ArgumentList)}' did not finish within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds} s");
            }
            return (p.ExitCode, stdout.Result.Trim(), stderr.Result.Trim());
        }
    }

    /// <summary>Checks that sbatch exists and the controller answers (<c>squeue -h</c> succeeds).</summary>
    /// <exception cref="SweepException">Slurm missing or the controller not answering.</exception>
    public void EnsureAvailable()
    {
        var (code, _, err) = Run("squeue", ["-h", "-o", "%i"], TimeSpan.FromSeconds(20));
        if (code != 0) throw new SweepException($"Slurm is not answering (squeue exit code {code}): {err}");
        var (vcode, _, verr) = Run("sbatch", ["--version"], TimeSpan.FromSeconds(10));
        if (vcode != 0) throw new SweepException($"sbatch is not usable (exit code {vcode}): {verr}");
    }

    /// <summary>Submits a batch script with <c>sbatch --parsable</c>; returns the job id.</summary>
    /// <exception cref="SweepException">sbatch failed.</exception>
    public string Submit(string script)
    {
        var (code, output, err) = Run("sbatch", ["--parsable", script]);
        if (code != 0 || output.Length == 0) throw new SweepException($"sbatch failed (exit code {code}): {err}");
        return output.Split(';')[0].Trim();
    }

    /// <summary>States of the array tasks of a job (<c>squeue -h -j ID -t all -o "%i %T"</c>), e.g. "RUNNING", "COMPLETED".</summary>
    public IReadOnlyList<string> TaskStates(string jobId)
    {
        var (code, output, err) = Run("squeue", ["-h", "-j", jobId, "-t", "all", "-o", "%i %T"]);
        if (code != 0)
        {
            // A job that left squeue's memory (MinJobAge) is reported as an invalid id: it is finished.
            if (err.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase)) return [];
            throw new SweepException($"squeue failed (exit code {code}): {err}");
        }
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 2)[^1].Trim()).ToList();
    }
}
