using System.CommandLine;
using System.CommandLine.Help;
using Gradscope.Cli;

// NOTE: a plain Command as the root (not RootCommand) so help and usage say "gradscope", not the assembly's file name.
var root = new Command("gradscope", "gradscope: train homogeneous deep networks with the algorithms the theory studies, measure the quantities it reasons with, and reproduce its claims.")
{
    new HelpOption(), new VersionOption(),
};
foreach (var command in Commands.All()) root.Subcommands.Add(command);
// NOTE: redirected output has no terminal width; wide tables (rank-measures, measure) would wrap at 80 columns.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 240;
return await root.Parse(args).InvokeAsync();
