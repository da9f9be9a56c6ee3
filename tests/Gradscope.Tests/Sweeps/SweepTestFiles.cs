using Gradscope.Sweeps;

namespace Gradscope.Tests.Sweeps;

/// <summary>Temporary directories, sweep files and a fake train program (a shell script honouring the train contract:
/// sleeps, then writes final.json atomically) for the sweep machinery tests.</summary>
internal sealed class SweepTestFiles : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("gs-sweep-").FullName;

    public string Write(string name, string text)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, text);
        return path;
    }

    public const string BaseYaml = """
        model:
          width: 8
          depth: 2
        algorithm:
          eta: 0.1
        seed: 0
        """;

    /// <summary>A tiny real training config: a bias-free d-h-1 logistic MLP on 24 separable points (and 24 test points),
    /// 20 GD steps at eta 0.1; <paramref name="extra"/> (YAML lines) is appended, e.g. a probes section.</summary>
    public static string RealBase(int d = 4, int h = 6, string extra = "") => $$"""
        seed: 1
        model:
          mlp:
            widths: [{{d}}, {{h}}, 1]
        data:
          train: {name: separable, n: 24, d: {{d}}}
          test: {name: separable, n: 24, d: {{d}}}
        loss:
          kind: logistic
        algorithm:
          name: gd
          eta: 0.1
        stop:
          steps: 20
        """ + (extra.Length > 0 ? "\n" + extra : "");

    /// <summary>Writes <paramref name="baseYaml"/> and a sweep over it with <paramref name="grid"/> (YAML lines under
    /// <c>grid:</c>), runs `gradscope sweep` with the real trainer, asserts it succeeded and returns the sweep directory.</summary>
    public string RunRealSweep(string baseYaml, string grid, int parallel = 1)
    {
        Write("base.yaml", baseYaml);
        var sweepPath = Write("s.yaml", "base: base.yaml\ngrid:\n" + grid);
        var dir = Path.Combine(Root, "out");
        var run = RunCli(null, "sweep", sweepPath, "--out", dir, "--parallel", parallel.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Xunit.Assert.True(run.Code == 0, $"sweep exit {run.Code}: {run.Out} {run.Err}");
        return dir;
    }

    /// <summary>A fake train: `train CFG --out DIR --threads N` or `train --resume DIR --threads N` (copies the config
    /// into DIR like the trainer); fails for configs containing "width: 13".</summary>
    public GradscopeCommandLine FakeTrain(double sleepSeconds)
    {
        var path = Write("fake-train.sh", $$"""
            #!/bin/sh
            if [ "$2" = "--resume" ]; then d="$3"; else d="$4"; mkdir -p "$d"; cp "$2" "$d/config.yaml"; fi
            if grep -q "width: 13" "$d/config.yaml"; then echo "width 13 is unlucky" >&2; exit 3; fi
            sleep {{sleepSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}}
            echo '{"train_loss":0.1,"train_acc":1.0,"test_acc":0.9,"steps":10,"wall_s":0.3}' > "$d/final.json.tmp"
            mv "$d/final.json.tmp" "$d/final.json"
            """.Replace("\r", ""));
        MakeExecutable(path);
        return new GradscopeCommandLine(path, []);
    }

    /// <summary>The Gradscope CLI of this build (Gradscope.Cli.dll next to the test assembly) under the dotnet host.</summary>
    public static GradscopeCommandLine Cli() =>
        GradscopeCommandLine.ForDll(typeof(Gradscope.Cli.SweepCommand).Assembly.Location);

    /// <summary>Runs the CLI of this build with <paramref name="args"/> (environment variables in <paramref name="env"/>
    /// replaced); returns exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) RunCli(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var argv = Cli().With(args);
        var psi = new System.Diagnostics.ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        if (env != null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        Xunit.Assert.True(p.WaitForExit(TimeSpan.FromSeconds(120)), "gradscope did not finish");
        return (p.ExitCode, output, err.Result);
    }

    public static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
