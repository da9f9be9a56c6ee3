using System.Diagnostics;
using System.Reflection;

namespace Gradscope.Sweeps;

/// <summary>How to start the gradscope CLI as a child process: an executable plus leading arguments
/// (the entry dll when the CLI runs under the <c>dotnet</c> host), so workers and train runs use the same build.</summary>
public sealed record GradscopeCommandLine(string FileName, IReadOnlyList<string> PrefixArguments)
{
    /// <summary>The running CLI: <see cref="Environment.ProcessPath"/>, plus the entry assembly when that path is the dotnet host.</summary>
    /// <exception cref="SweepException">The process path is unknown.</exception>
    public static GradscopeCommandLine Current()
    {
        var exe = Environment.ProcessPath ?? throw new SweepException("cannot find the gradscope executable (no process path)");
        var name = System.IO.Path.GetFileNameWithoutExtension(exe);
        if (name == "dotnet")
        {
            var entry = Assembly.GetEntryAssembly()?.Location;
            if (string.IsNullOrEmpty(entry)) throw new SweepException("cannot find the gradscope entry assembly under the dotnet host");
            return new GradscopeCommandLine(exe, [entry]);
        }
        return new GradscopeCommandLine(exe, []);
    }

    /// <summary>A command line running a .NET dll with the same dotnet host as this process (tests use it for Gradscope.Cli.dll).</summary>
    public static GradscopeCommandLine ForDll(string dllPath)
    {
        var host = Environment.ProcessPath is { } p && System.IO.Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        return new GradscopeCommandLine(host, [dllPath]);
    }

    /// <summary>Executable followed by prefix and the given arguments.</summary>
    public IReadOnlyList<string> With(params IEnumerable<string> args) => [FileName, .. PrefixArguments, .. args];

    /// <summary>Starts the command with stdout and stderr appended to files (through <c>/bin/sh -c 'exec ...'</c>, so the
    /// returned process is the command itself and no pipe has to be drained).</summary>
    public static Process StartLogged(IReadOnlyList<string> argv, string stdoutPath, string stderrPath, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$@\" >>\"$GS_OUT\" 2>>\"$GS_ERR\" </dev/null");
        psi.ArgumentList.Add("sh");
        foreach (var a in argv) psi.ArgumentList.Add(a);
        psi.Environment["GS_OUT"] = stdoutPath;
        psi.Environment["GS_ERR"] = stderrPath;
        if (env != null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return Process.Start(psi) ?? throw new SweepException($"could not start {argv[0]}");
    }
}
