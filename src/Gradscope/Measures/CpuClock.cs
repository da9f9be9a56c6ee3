using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Gradscope.Measures;

/// <summary>CPU time consumed by this process (all its threads), in seconds.</summary>
public static partial class CpuClock
{
    private const int ProcessCpuTimeId = 2; // CLOCK_PROCESS_CPUTIME_ID on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds, Nanoseconds; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>
    /// Process CPU seconds: clock_gettime(CLOCK_PROCESS_CPUTIME_ID) on 64-bit Linux (nanosecond resolution), else
    /// <see cref="Process.TotalProcessorTime"/> (coarser).
    /// </summary>
    public static double ProcessSeconds()
    {
        if (OperatingSystem.IsLinux() && Environment.Is64BitProcess && ClockGetTime(ProcessCpuTimeId, out var t) == 0)
            return t.Seconds + t.Nanoseconds * 1e-9;
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime.TotalSeconds;
    }
}
