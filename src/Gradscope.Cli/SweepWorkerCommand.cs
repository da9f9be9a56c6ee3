using System.CommandLine;
using Gradscope.Sweeps;

namespace Gradscope.Cli;

/// <summary>Internal <c>gradscope sweep-worker &lt;sweep-dir&gt;</c>: claims and runs points until none is left
/// (started by the local and Slurm executors).</summary>
internal static class SweepWorkerCommand
{
    public static Command Create()
    {
        var c = new Command("sweep-worker", "Internal: claim and run points of a sweep directory until none is left.") { Hidden = true };
        var dir = new Argument<DirectoryInfo>("sweep-dir") { Description = "Sweep directory." };
        var id = new Option<string?>("--worker-id") { Description = "Worker name recorded in the index." };
        var max = new Option<int>("--max-points") { Description = "Stop after this many points.", DefaultValueFactory = _ => int.MaxValue };
        var trainCommand = new Option<string[]>("--train-command") { Description = "Command line run instead of this gradscope for train runs (testing).", Hidden = true, AllowMultipleArgumentsPerToken = true };
        c.Arguments.Add(dir); c.Options.Add(id); c.Options.Add(max); c.Options.Add(trainCommand);
        c.SetAction((pr, ct) =>
        {
            try
            {
                var worker = pr.GetValue(id) ?? $"{Environment.MachineName}-{Environment.ProcessId}";
                // what runs is this binary (or the invoker's --train-command), never a command read from the sweep directory
                var train = pr.GetValue(trainCommand) is { Length: > 0 } t ? new GradscopeCommandLine(t[0], t[1..]) : GradscopeCommandLine.Current();
                new SweepWorker(pr.GetValue(dir)!.FullName, worker, train).Run(pr.GetValue(max), Console.Out, ct);
                return Task.FromResult(0);
            }
            catch (SweepException e)
            {
                Console.Error.WriteLine($"gradscope sweep-worker: {e.Message}");
                return Task.FromResult(2);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                Console.Error.WriteLine($"gradscope sweep-worker: {SweepIndex.Corrupt(Path.Combine(pr.GetValue(dir)!.FullName, SweepDirectory.IndexFile), e).Message}");
                return Task.FromResult(2);
            }
        });
        return c;
    }
}
