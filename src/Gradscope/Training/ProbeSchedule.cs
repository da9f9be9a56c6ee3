namespace Gradscope.Training;

/// <summary>
/// The steps at which probes run: step 0 (the initial weights) and the last step always; every
/// <see cref="Every"/>-th step when Every &gt; 0; and, with <see cref="PerDecade"/> = k &gt; 0, the
/// log-spaced steps round(10^(j / k)) for j = 0, 1, 2, ... (duplicates merged), i.e. k points per decade.
/// A probe at step k sees the weights after k updates.
/// </summary>
public sealed class ProbeSchedule
{
    private long _nextLog = 1;
    private long _j;

    /// <summary>Creates the schedule; throws on negative arguments.</summary>
    public ProbeSchedule(long every, int perDecade)
    {
        if (every < 0) throw new ArgumentException($"ProbeSchedule: every must be >= 0, got {every}.");
        if (perDecade < 0) throw new ArgumentException($"ProbeSchedule: per_decade must be >= 0, got {perDecade}.");
        Every = every; PerDecade = perDecade;
    }

    /// <summary>Probe every this many steps (0: off).</summary>
    public long Every { get; }
    /// <summary>Log-spaced probe points per decade (0: off).</summary>
    public int PerDecade { get; }

    /// <summary>The j-th log-spaced step round(10^(j / k)).</summary>
    public static long LogStep(long j, int perDecade) => (long)Math.Round(Math.Pow(10, (double)j / perDecade));

    /// <summary>Whether step <paramref name="step"/> is a probe step (the last step is added by the trainer). Pure in step.</summary>
    public bool Contains(long step)
    {
        if (step == 0) return true;
        if (Every > 0 && step % Every == 0) return true;
        if (PerDecade > 0)
        {
            // Advance a cached cursor when steps are queried in increasing order; fall back to a scan otherwise.
            if (step < _nextLog) { _j = 0; _nextLog = 1; }
            while (_nextLog < step) _nextLog = LogStep(++_j, PerDecade);
            return _nextLog == step;
        }
        return false;
    }

    /// <summary>All probe steps in [0, last], in increasing order, including 0 and <paramref name="last"/>.</summary>
    public IReadOnlyList<long> StepsUpTo(long last)
    {
        var s = new ProbeSchedule(Every, PerDecade);
        var result = new List<long>();
        for (long k = 0; k <= last; k++) if (s.Contains(k) || k == last) result.Add(k);
        return result;
    }
}
