using System.Diagnostics;

namespace Gradscope.Sweeps.Slurm;

/// <summary>Runs the Slurm client commands (sbatch, squeue, scontrol) with an optional private <c>SLURM_CONF</c>.</summary>
public sealed class SlurmClient(string? slurmConf = null)
{
    /// <summary>Path of the configuration passed as SLURM_CONF (null = the client's default).</summary>
    public string? SlurmConf { get; } = slurmConf;

    /// <summary>Runs a client command; returns exit code, stdout and stderr.</summary>
    /// <exception cref="SweepException">The command is not installed, or did not answer within <paramref name="timeout"/>.</exception>
    public (int Code, string Out, string Err) Run(string command, IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory != null) psi.WorkingDirectory = workingDirectory;
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

    /// <summary>How long the first client call of <see cref="EnsureAvailable"/> may take: <c>scontrol ping</c> answers
    /// at once whether the controller is up (squeue and sinfo retry an unreachable controller for about 10 s, and
    /// every client retries a missing configuration file for 60 s, so those are checked before any of them runs).</summary>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks, failing fast, that the configuration exists, the controller answers (<c>scontrol ping</c>),
    /// <c>squeue -h</c> succeeds and sbatch runs.</summary>
    /// <exception cref="SweepException">Slurm missing, its configuration missing, or the controller not answering.</exception>
    public void EnsureAvailable()
    {
        if (SlurmConf != null && !File.Exists(SlurmConf))
            throw new SweepException($"Slurm is not available: the configuration SLURM_CONF='{SlurmConf}' does not exist");
        var (pcode, pout, perr) = Run("scontrol", ["ping"], PingTimeout);
        if (pcode != 0)
            throw new SweepException($"Slurm is not answering: 'scontrol ping' says {First(pout, perr)} (exit code {pcode}); start slurmctld or use --executor local");
        var (code, _, err) = Run("squeue", ["-h", "-o", "%i"], TimeSpan.FromSeconds(20));
        if (code != 0) throw new SweepException($"Slurm is not answering (squeue exit code {code}): {err}");
        var (vcode, _, verr) = Run("sbatch", ["--version"], TimeSpan.FromSeconds(10));
        if (vcode != 0) throw new SweepException($"sbatch is not usable (exit code {vcode}): {verr}");
    }

    static string First(string output, string error)
    {
        var line = (output + "\n" + error).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return line is null ? "nothing" : $"'{line}'";
    }

    /// <summary>Submits a batch script with <c>sbatch --parsable</c> from <paramref name="workingDirectory"/> (the job's
    /// working directory, where relative log paths of the script land); returns the job id.</summary>
    /// <exception cref="SweepException">sbatch failed.</exception>
    public string Submit(string script, string? workingDirectory = null)
    {
        var (code, output, err) = Run("sbatch", ["--parsable", script], workingDirectory: workingDirectory);
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
