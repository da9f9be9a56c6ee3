using System.Runtime.InteropServices;
using System.CommandLine;
using Gradscope.Training;
using Spectre.Console;

namespace Gradscope.Cli;

/// <summary>
/// gradscope train &lt;config.yaml&gt; [key=value ...] [--out DIR] [--threads N] [--seed S] | gradscope train --resume &lt;run-dir&gt;.
/// Each key=value overrides a dotted key of the config (algorithm.eta=0.1, model.layers.0.out=64); the effective config
/// is the run directory's config.yaml, which records the overrides in its first comment lines.
/// Exit codes: 0 success (or an already finished run), 1 configuration or usage error, 2 resume/checkpoint error,
/// 3 NaN/Inf stopped the run (the last good checkpoint is kept), 4 interrupted by SIGINT (Ctrl+C) or SIGTERM after writing
/// its checkpoint (continue with --resume).
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var c = new Command("train", "Train a network from a YAML config (docs/config.md) into a run directory, or resume an interrupted run.");
        var config = new Argument<FileInfo?>("config") { Description = "The run's YAML config.", Arity = ArgumentArity.ZeroOrOne };
        var overrides = new Argument<string[]>("overrides") { Description = "key=value overrides of the config's dotted keys (algorithm.eta=0.1 model.mlp.widths=[2,64,1] stop.steps=1000).", Arity = ArgumentArity.ZeroOrMore };
        var outDir = new Option<DirectoryInfo?>("--out") { Description = "Run directory (default runs/<config name>-<UTC time>)." };
        var threads = new Option<int?>("--threads") { Description = "Kernel threads (overrides the config's threads)." };
        var seed = new Option<ulong?>("--seed") { Description = "Seed (overrides the config's seed)." };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Continue the run in this directory from its latest checkpoint." };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces of errors." };
        c.Arguments.Add(config); c.Arguments.Add(overrides);
        c.Options.Add(outDir); c.Options.Add(threads); c.Options.Add(seed); c.Options.Add(resume); c.Options.Add(verbose);
        c.SetAction(pr =>
        {
            bool v = pr.GetValue(verbose);
            try
            {
                return Run(pr.GetValue(config), (pr.GetValue(overrides) ?? []).Select(IO.ConfigOverride.Parse).ToList(), pr.GetValue(outDir), pr.GetValue(threads), pr.GetValue(seed), pr.GetValue(resume));
            }
            catch (Exception e) when (e is TrainConfigException or ArgumentException or InvalidOperationException)
            {
                return Fail(e, v, 1);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                return Fail(e, v, 2);
            }
        });
        return c;
    }

    private static int Fail(Exception e, bool verbose, int code)
    {
        Console.Error.WriteLine("error: " + e.Message);
        if (verbose) Console.Error.WriteLine(e);
        return code;
    }

    private static int Run(FileInfo? config, IReadOnlyList<IO.ConfigOverride> overrides, DirectoryInfo? outDir, int? threads, ulong? seed, DirectoryInfo? resume)
    {
        if (threads is int t && t < 1) throw new ArgumentException($"--threads must be >= 1, got {t}.");
        TrainerResult result;
        string dir;
        if (resume is not null && config is not null && IO.ConfigOverride.Looks(config.ToString()))
        {
            // train --resume DIR key=value: the first override landed in the config argument
            overrides = [IO.ConfigOverride.Parse(config.ToString()), .. overrides];
            config = null;
        }
        if (resume is not null)
        {
            if (config is not null) throw new ArgumentException("give either a config or --resume <run-dir>, not both.");
            if (outDir is not null) throw new ArgumentException("--out cannot be combined with --resume (the run continues in its own directory).");
            dir = resume.FullName;
            if (overrides.Count > 0 && File.Exists(Path.Combine(dir, "config.yaml"))) TrainerRunner.RunConfig(dir, overrides);
            if (TrainerRunner.IsFinished(dir))
            {
                Console.WriteLine($"'{dir}' already finished; nothing to resume.");
                return 0;
            }
            result = WithProgress(null, o => TrainerRunner.Resume(dir, o, threads, seed, overrides));
        }
        else
        {
            if (config is null) throw new ArgumentException("a config file is required (gradscope train <config.yaml>), or --resume <run-dir>.");
            var cfg = TrainConfigYaml.Load(config.ToString(), overrides); // the path as the user wrote it names the file in errors
            if (threads is int th) cfg = cfg with { Threads = th };
            if (seed is ulong s) cfg = cfg with { Seed = s };
            cfg.Validate();
            dir = outDir?.FullName ?? Path.GetFullPath(Path.Combine("runs", $"{Path.GetFileNameWithoutExtension(config.Name)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}"));
            var provenance = new List<string> { $"effective config of: gradscope train {config}{string.Concat(overrides.Select(o => " " + o.Text))}" };
            provenance.AddRange(overrides.Select(o => $"override: {o.Text}"));
            result = WithProgress(cfg.Stop.Steps, o => TrainerRunner.Start(cfg, o with { RunDirectory = dir, ConfigProvenance = provenance }));
        }
        switch (result.Status)
        {
            case TrainerStatus.NonFinite:
                Console.Error.WriteLine($"error: {result.Reason}; the last good checkpoint is kept in {Path.Combine(dir, "checkpoints")}.");
                return 3;
            case TrainerStatus.Interrupted:
                // NOTE: a distinct exit code, so that a scheduler (Slurm's time-out or pre-emption sends SIGTERM) can tell an
                // interrupted run, whose checkpoint is written and which continues bit-identically, from a finished one
                Console.WriteLine($"interrupted at step {result.Steps}; the checkpoint is written; resume with: gradscope train --resume {dir}");
                return InterruptedExitCode;
            default:
                var f = result.Final;
                string test = f.TryGetValue("test_error", out double te) ? $", test_error {te:0.####}" : "";
                Console.WriteLine($"done: {result.Steps} steps (stop rule: {result.Reason}), t = {result.Time:G6}, loss {f["train_loss"]:G6}, log loss {f["train_log_loss"]:G6}, train_error {f["train_error"]:0.####}{test}, {result.WallSeconds:0.0} s");
                Console.WriteLine($"run directory: {dir}");
                return 0;
        }
    }

    /// <summary>The exit code of a run stopped by SIGINT or SIGTERM after writing its interrupt checkpoint (resumable).</summary>
    public const int InterruptedExitCode = 4;

    // A Spectre.Console progress bar on a terminal; plain lines (at most ~one per 2 s) when output is redirected.
    private static TrainerResult WithProgress(long? totalHint, Func<TrainerRunOptions, TrainerResult> run)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (what Slurm and `kill` send) stops the run like Ctrl+C: the trainer writes its interrupt checkpoint first
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        try
        {
            if (Console.IsOutputRedirected)
            {
                var last = DateTime.UtcNow;
                void Report(TrainerProgress p)
                {
                    var now = DateTime.UtcNow;
                    if ((now - last).TotalSeconds < 2 && p.Step != 0) return;
                    last = now;
                    Console.WriteLine(Line(p));
                }
                return run(new TrainerRunOptions { ProbeProviders = [new Gradscope.Measures.Registry.MeasureProbeProvider()], Progress = Report, ProgressEvery = 50, Cancellation = cts.Token });
            }
            TrainerResult? result = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: totalHint ?? 1000);
                    result = run(new TrainerRunOptions
                    {
                        ProbeProviders = [new Gradscope.Measures.Registry.MeasureProbeProvider()],
                        ProgressEvery = 25,
                        Cancellation = cts.Token,
                        Progress = p =>
                        {
                            if (p.TotalSteps is long ts) { task.MaxValue = ts; task.Value = p.Step; }
                            else if (p.TotalTime is double tt) { task.MaxValue = 1000; task.Value = Math.Min(1000, 1000 * p.Time / tt); }
                            task.Description = Markup.Escape(Line(p));
                        },
                    });
                    task.Value = task.MaxValue;
                });
            return result!;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    private static string Line(TrainerProgress p) =>
        $"step {p.Step}{(p.TotalSteps is long ts ? "/" + ts : "")} t {p.Time:G5} loss {p.Loss:G5} log L {p.LogLoss:G5} acc {p.Accuracy:0.###}";
}
