namespace Gradscope.Sweeps;

/// <summary>Life cycle of a point in the index: pending -> running (leased to one worker) -> done | failed.</summary>
public static class PointStatus
{
    /// <summary>Not started, or reset for a re-run.</summary>
    public const string Pending = "pending";
    /// <summary>Claimed by a worker whose lease is renewed by heartbeats.</summary>
    public const string Running = "running";
    /// <summary>Finished with exit code 0; final metrics stored.</summary>
    public const string Done = "done";
    /// <summary>Finished with a non-zero exit code; error stored.</summary>
    public const string Failed = "failed";
}

/// <summary>One row of the index.</summary>
public sealed record PointRecord(int Index, string Hash, string Directory, string Hyperparameters, long? Seed, string Status,
    string? Error, string? Worker, string? Host, int Attempts, double? WallSeconds, string? Metrics);

/// <summary>A point handed to a worker by <see cref="SweepIndex.TryClaim"/>; <see cref="PreviousChildPid"/> and
/// <see cref="PreviousHost"/> describe the train process of a worker whose lease expired (to stop an orphan).</summary>
public sealed record ClaimedPoint(int Index, string Directory, int Attempt, long? PreviousChildPid, string? PreviousHost);
