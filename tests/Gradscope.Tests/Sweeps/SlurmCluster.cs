using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gradscope.Tests.Sweeps;

/// <summary>
/// Test fixture: a private single-node Slurm (Debian's slurmctld + slurmd) in a temporary directory, as
/// docs/SLURM.md describes: auth/none, cred/none, proctrack/linuxproc, task/none, no cgroups, no accounting,
/// free ports, daemons started directly and stopped through their pid files on dispose (also when start fails).
/// Clients reach it with <c>SLURM_CONF=</c><see cref="ConfPath"/>.
/// </summary>
public sealed class SlurmCluster : IDisposable
{
    /// <summary>Temporary directory holding the config, state, spool, pid and log files.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("gs-slurm-").FullName;
    /// <summary>slurm.conf path.</summary>
    public string ConfPath => Path.Combine(Root, "slurm.conf");
    /// <summary>Null when started, else why the cluster is unavailable.</summary>
    public string? StartError { get; }

    string CtldPid => Path.Combine(Root, "slurmctld.pid");
    string DPid => Path.Combine(Root, "slurmd.pid");

    public SlurmCluster()
    {
        try
        {
            foreach (var tool in new[] { "slurmctld", "slurmd", "sbatch", "squeue", "sinfo" })
                if (!OnPath(tool)) throw new InvalidOperationException($"'{tool}' is not installed (Debian packages slurmctld slurmd slurm-client)");
            Directory.CreateDirectory(Path.Combine(Root, "state"));
            Directory.CreateDirectory(Path.Combine(Root, "spool"));
            int ctldPort = FreePort(), dPort = FreePort();
            File.WriteAllText(ConfPath, $"""
                ClusterName=gradscope-test
                SlurmctldHost=localhost
                SlurmctldPort={ctldPort}
                SlurmdPort={dPort}
                SlurmUser=root
                SlurmdUser=root
                AuthType=auth/none
                CredType=cred/none
                ProctrackType=proctrack/linuxproc
                TaskPlugin=task/none
                JobAcctGatherType=jobacct_gather/none
                AccountingStorageType=accounting_storage/none
                SelectType=select/cons_tres
                SelectTypeParameters=CR_Core
                SlurmdParameters=config_overrides
                MpiDefault=none
                MailProg=/bin/true
                SchedulerParameters=sched_interval=1
                ReturnToService=2
                MinJobAge=600
                StateSaveLocation={Root}/state
                SlurmdSpoolDir={Root}/spool
                SlurmctldPidFile={CtldPid}
                SlurmdPidFile={DPid}
                SlurmctldLogFile={Root}/slurmctld.log
                SlurmdLogFile={Root}/slurmd.log
                NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 CPUs={Environment.ProcessorCount} RealMemory=1000 State=UNKNOWN
                PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
                """);
            Run("slurmctld", "-f", ConfPath);
            Run("slurmd", "-f", ConfPath, "-N", "localhost");
            var watch = Stopwatch.StartNew();
            while (Capture("sinfo", "-h", "-n", "localhost", "-o", "%T").Trim() != "idle")
            {
                if (watch.Elapsed > TimeSpan.FromSeconds(30))
                    throw new InvalidOperationException($"node not idle after 30 s; slurmctld.log tail: {Tail("slurmctld.log")}; slurmd.log tail: {Tail("slurmd.log")}");
                Thread.Sleep(100);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            StartError = e.Message;
            Stop();
        }
    }

    string Tail(string log)
    {
        var p = Path.Combine(Root, log);
        return File.Exists(p) ? string.Join(" | ", File.ReadLines(p).TakeLast(8)) : "(none)";
    }

    static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, tool)));

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    ProcessStartInfo Info(string cmd, string[] args)
    {
        var psi = new ProcessStartInfo(cmd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SLURM_CONF"] = ConfPath;
        return psi;
    }

    void Run(string cmd, params string[] args)
    {
        using var p = Process.Start(Info(cmd, args))!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(20000)) { p.Kill(true); throw new InvalidOperationException($"{cmd} did not return"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{cmd} exited with {p.ExitCode}: {err.Result}");
    }

    /// <summary>Runs a client command against the cluster and returns its stdout.</summary>
    public string Capture(string cmd, params string[] args)
    {
        using var p = Process.Start(Info(cmd, args))!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit(20000);
        return output;
    }

    void Stop()
    {
        foreach (var pidFile in new[] { DPid, CtldPid })
        {
            if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) continue;
            try
            {
                using var p = Process.GetProcessById(pid);
                var exe = new FileInfo($"/proc/{pid}/exe").LinkTarget ?? "";
                if (!exe.Contains("slurm", StringComparison.Ordinal)) continue; // pid reused by something else
                Process.Start("kill", ["-TERM", pid.ToString()])!.WaitForExit();
                if (!p.WaitForExit(10000)) p.Kill();
            }
            catch (ArgumentException) { } // already gone
            catch (InvalidOperationException) { }
        }
    }

    /// <summary>Stops both daemons by their pid files and deletes the directory.</summary>
    public void Dispose()
    {
        Stop();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
