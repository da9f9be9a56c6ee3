namespace Gradscope.Sweeps.Slurm;

/// <summary>Runs a sweep as a Slurm job array: submits the script of <see cref="SlurmScript"/> with
/// <c>sbatch --parsable</c>, follows it with <c>squeue</c> and reads the results from the index.</summary>
public sealed class SlurmExecutor(SlurmClient client)
{
    /// <summary>Time between squeue polls.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Submits the claimable points of an existing sweep directory and waits for the array to finish.
    /// Returns the job id (null when nothing was claimable) and the final counts.</summary>
    /// <exception cref="SweepException">sbatch or squeue failed.</exception>
    public (string? JobId, IReadOnlyDictionary<string, int> Counts) Run(string sweepDir, GradscopeCommandLine gradscope, SlurmResources resources,
        int chunk, int maxConcurrent, Action<IReadOnlyDictionary<string, int>>? progress = null, CancellationToken cancel = default,
        GradscopeCommandLine? trainCommand = null)
    {
        sweepDir = Path.GetFullPath(sweepDir);
        SlurmScript.Validate(resources);
        using var index = SweepIndex.Open(Path.Combine(sweepDir, SweepDirectory.IndexFile));
        int claimable = index.Claimable();
        if (claimable == 0) return (null, index.Counts());
        int tasks = (claimable + chunk - 1) / chunk;
        var slurmDir = Directory.CreateDirectory(Path.Combine(sweepDir, "slurm")).FullName;
        var script = Path.Combine(slurmDir, "sweep.sbatch");
        File.WriteAllText(script, SlurmScript.Create(sweepDir, gradscope, resources, tasks, chunk, maxConcurrent, trainCommand));
        var jobId = client.Submit(script, workingDirectory: slurmDir);
        File.AppendAllText(Path.Combine(slurmDir, "jobs.txt"), jobId + "\n");
        string[] live = ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"];
        while (!cancel.IsCancellationRequested)
        {
            progress?.Invoke(index.Counts());
            var states = client.TaskStates(jobId);
            if (!states.Any(s => live.Contains(s))) break;
            Thread.Sleep(PollInterval);
        }
        var counts = index.Counts();
        progress?.Invoke(counts);
        return (jobId, counts);
    }
}
