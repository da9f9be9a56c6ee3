using System.Diagnostics;
using System.Text.Json;

namespace Gradscope.Cli.Bench;

/// <summary>
/// Runs the peer (PyTorch/numpy) workloads through Bench/peer_driver.py in one long-lived
/// /usr/bin/python3 process: one JSON request line in, one JSON result line out.
/// </summary>
internal sealed class PeerDriver : IDisposable
{
    private readonly Process _process;

    private PeerDriver(Process process, string versions) { _process = process; Versions = versions; }

    /// <summary>Library versions reported by the driver.</summary>
    public string Versions { get; }

    /// <summary>Starts the driver; returns null and a reason when python3, torch or the peer scripts are missing.</summary>
    public static PeerDriver? TryStart(string peerDir, out string? problem)
    {
        const string python = "/usr/bin/python3";
        string script = Path.Combine(AppContext.BaseDirectory, "Bench", "peer_driver.py");
        problem = null;
        if (!File.Exists(python)) { problem = $"{python} not found; install python3-torch python3-numpy python3-threadpoolctl libopenblas0-pthread (apt)."; return null; }
        if (!File.Exists(script)) { problem = $"peer driver script not found at {script}."; return null; }
        if (!File.Exists(Path.Combine(peerDir, "train_mlp.py")) || !File.Exists(Path.Combine(peerDir, "peak.py")))
        { problem = $"peer workloads (peak.py, train_mlp.py) not found in '{peerDir}'; pass --peer-dir."; return null; }
        var psi = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(script); psi.ArgumentList.Add("--peer-dir"); psi.ArgumentList.Add(peerDir);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        string? first = p.StandardOutput.ReadLine();
        if (first is null) { problem = "the peer driver exited before answering."; p.Dispose(); return null; }
        using var doc = JsonDocument.Parse(first);
        if (!doc.RootElement.GetProperty("ready").GetBoolean())
        {
            problem = $"PyTorch peer unavailable ({doc.RootElement.GetProperty("error").GetString()}); install python3-torch python3-numpy python3-threadpoolctl libopenblas0-pthread (apt).";
            p.StandardInput.Close(); p.WaitForExit(5000); p.Dispose();
            return null;
        }
        return new PeerDriver(p, first);
    }

    /// <summary>Runs one peer repetition; returns its figure of merit. Throws InvalidOperationException when the peer fails.</summary>
    public double Run(Dictionary<string, object> request, int seed)
    {
        var req = new Dictionary<string, object>(request) { ["seed"] = seed };
        _process.StandardInput.WriteLine(JsonSerializer.Serialize(req));
        _process.StandardInput.Flush();
        string line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The peer driver exited.");
        WaitUntilIdle();
        using var doc = JsonDocument.Parse(line);
        if (doc.RootElement.TryGetProperty("error", out var err))
            throw new InvalidOperationException($"Peer workload {request["workload"]} failed: {err.GetString()}");
        return doc.RootElement.GetProperty("value").GetDouble();
    }

    /// <summary>Sends one request and returns the peer's whole answer (parsed). Throws InvalidOperationException when the peer fails.</summary>
    public JsonDocument Request(Dictionary<string, object> request, int seed)
    {
        var req = new Dictionary<string, object>(request) { ["seed"] = seed };
        _process.StandardInput.WriteLine(JsonSerializer.Serialize(req));
        _process.StandardInput.Flush();
        string line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The peer driver exited.");
        WaitUntilIdle();
        var doc = JsonDocument.Parse(line);
        if (doc.RootElement.TryGetProperty("error", out var err))
        {
            string message = $"Peer request {request["workload"]} failed: {err.GetString()}";
            doc.Dispose();
            throw new InvalidOperationException(message);
        }
        return doc;
    }

    /// <summary>
    /// Waits until the peer process has stopped using CPU: its CPU time (all threads, /proc/PID/stat, in 10 ms ticks)
    /// does not grow over two consecutive 20 ms windows, or 2 s have passed.
    /// NOTE: after a repetition OpenBLAS's and OpenMP's threads keep spinning for a while (OpenBLAS: about 2^28
    /// cycles, 0.1 s here) before they sleep. Timing ours meanwhile measures our kernels with one core taken by the
    /// peer's idle threads: with 2 threads our second thread then rarely gets a core, and interleaved repetitions
    /// became bimodal (256^3 f32 nt: 214 or 396 GFLOP/s in alternate repetitions). Our own workers poll for at most
    /// 100 us after a kernel, so the peer's next repetition needs no such wait.
    /// </summary>
    private void WaitUntilIdle()
    {
        if (!OperatingSystem.IsLinux()) { Thread.Sleep(200); return; }
        var deadline = Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency;
        long previous = CpuTicks(), quietWindows = 0;
        while (quietWindows < 2 && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(20);
            long now = CpuTicks();
            if (now < 0) { Thread.Sleep(200); return; }
            quietWindows = now == previous ? quietWindows + 1 : 0;
            previous = now;
        }
    }

    /// <summary>User + system CPU time of the peer process in clock ticks (fields 14 and 15 of /proc/PID/stat), or -1.</summary>
    private long CpuTicks()
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            // the command name (field 2) is in parentheses and may hold spaces: split after its closing parenthesis
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11]) + long.Parse(fields[12]);   // fields 14 and 15 counted from 1, 3 and on here
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException) { return -1; }
    }

    /// <summary>Ends the python process (closing its input lets it exit).</summary>
    public void Dispose()
    {
        try { _process.StandardInput.Close(); if (!_process.WaitForExit(5000)) _process.Kill(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
