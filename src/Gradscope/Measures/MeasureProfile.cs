using System.Diagnostics;

namespace Gradscope.Measures;

/// <summary>
/// Where the time of a measure computation goes: process CPU time, wall time and bytes allocated on the calling thread per
/// named phase (a registry entry, the layer table, one Gram spectrum's product, reduction and QL iteration, ...), each
/// phase's own share with that of the phases nested in it taken out. A profile records only while it is active on the calling thread
/// (<see cref="Activate"/>); phases opened on other threads or with no active profile cost one thread-static read.
/// </summary>
/// <remarks>
/// NOTE: CPU time is the whole process's (CLOCK_PROCESS_CPUTIME_ID on Linux), so at two threads a phase also counts its
/// worker's time, spinning included: the cost a phase takes from the machine, not from its thread. Wall times under load
/// say little; compare CPU times, or ratios taken back to back in one process.
/// </remarks>
public sealed class MeasureProfile
{
    [ThreadStatic] private static MeasureProfile? _current;

    private readonly Dictionary<string, Row> _rows = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly Stack<Frame> _open = new();

    /// <summary>One phase's totals: calls, own CPU and wall seconds and own bytes allocated by its thread (nested phases excluded).</summary>
    public sealed record Row(string Name, int Calls, double CpuSeconds, double WallSeconds, long Bytes);

    private readonly record struct Frame(string Name, double Cpu0, long Wall0, long Bytes0)
    {
        public double ChildCpu { get; init; }
        public double ChildWall { get; init; }
        public long ChildBytes { get; init; }
    }

    /// <summary>The phases in the order first opened, with their own times summed over calls.</summary>
    public IReadOnlyList<Row> Rows => _order.Select(n => _rows[n]).ToList();

    /// <summary>Makes this profile record the phases opened on the calling thread until the returned scope is disposed.</summary>
    public Activation Activate()
    {
        var previous = _current;
        _current = this;
        return new Activation(previous);
    }

    /// <summary>Opens phase <paramref name="name"/> on the active profile (nothing when none is active); dispose to close it.</summary>
    public static Phase Time(string name)
    {
        var p = _current;
        if (p is null) return default;
        if (!p._rows.ContainsKey(name)) { p._rows[name] = new Row(name, 0, 0, 0, 0); p._order.Add(name); }
        p._open.Push(new Frame(name, CpuClock.ProcessSeconds(), Stopwatch.GetTimestamp(), GC.GetAllocatedBytesForCurrentThread()));
        return new Phase(p);
    }

    private void Close()
    {
        double cpu1 = CpuClock.ProcessSeconds();
        long wall1 = Stopwatch.GetTimestamp(), bytes1 = GC.GetAllocatedBytesForCurrentThread();
        var f = _open.Pop();
        double cpu = cpu1 - f.Cpu0, wall = Stopwatch.GetElapsedTime(f.Wall0, wall1).TotalSeconds;
        long bytes = bytes1 - f.Bytes0;
        if (_open.Count > 0)
        {
            var parent = _open.Pop();
            _open.Push(parent with { ChildCpu = parent.ChildCpu + cpu, ChildWall = parent.ChildWall + wall, ChildBytes = parent.ChildBytes + bytes });
        }
        var own = _rows[f.Name];
        _rows[f.Name] = new Row(f.Name, own.Calls + 1, own.CpuSeconds + cpu - f.ChildCpu, own.WallSeconds + wall - f.ChildWall, own.Bytes + bytes - f.ChildBytes);
    }

    /// <summary>An open phase; disposing closes it.</summary>
    public readonly struct Phase(MeasureProfile? profile) : IDisposable
    {
        /// <summary>Closes the phase.</summary>
        public void Dispose() => profile?.Close();
    }

    /// <summary>An activation; disposing restores the profile active before it.</summary>
    public readonly struct Activation(MeasureProfile? previous) : IDisposable
    {
        /// <summary>Restores the previous profile.</summary>
        public void Dispose() => _current = previous;
    }
}
