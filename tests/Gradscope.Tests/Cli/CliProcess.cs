using System.Diagnostics;

namespace Gradscope.Tests.Cli;

/// <summary>Runs the built gradscope CLI as a real process (dotnet Gradscope.Cli.dll), as a user would.</summary>
internal static class CliProcess
{
    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "Gradscope.Cli.dll");

    /// <summary>Starts the CLI with <paramref name="args"/> (output redirected) in <paramref name="cwd"/>.</summary>
    public static Process Start(string args, string? cwd = null)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{CliDll}\" {args}")
        {
            WorkingDirectory = cwd ?? Environment.CurrentDirectory,
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        return Process.Start(psi)!;
    }

    /// <summary>Runs the CLI to completion; returns its exit code, standard output and standard error.</summary>
    public static (int Code, string Out, string Err) Run(string args, string? cwd = null)
    {
        using var p = Start(args, cwd);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
