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
        var doc = JsonDocument.Parse(line);
        if (doc.RootElement.TryGetProperty("error", out var err))
        {
            string message = $"Peer request {request["workload"]} failed: {err.GetString()}";
            doc.Dispose();
            throw new InvalidOperationException(message);
        }
        return doc;
    }

    /// <summary>Ends the python process (closing its input lets it exit).</summary>
    public void Dispose()
    {
        try { _process.StandardInput.Close(); if (!_process.WaitForExit(5000)) _process.Kill(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
