using System.CommandLine;

namespace Gradscope.Cli;

/// <summary>Every subcommand of the gradscope CLI, each defined in its own file.</summary>
internal static class Commands
{
    public static IEnumerable<Command> All()
    {
        // one line per command; keep in the order shown by --help
        yield return ReproduceCommand.Create();
        yield return ClaimsCommand.Create();
        yield return TrainCommand.Create();
        yield return MeasureCommand.Create();
        yield return MeasuresCommand.Create();
        yield return SvmCommand.Create();
        yield return NtkAnalyticCommand.Create();
        yield return BoundCommand.Create();
        yield return SweepCommand.Create();
        yield return RankMeasuresCommand.Create();
        yield return BenchCommand.Create();
        yield return ReportCommand.Create();
        yield return PlotCommand.Create();
        yield return TableCommand.Create();
        yield return ServeCommand.Create();
        yield return DataCommand.Create();
        yield return SweepWorkerCommand.Create();
        yield return DevCommand.Create();
    }
}
