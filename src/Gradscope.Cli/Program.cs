using System.CommandLine;
using System.CommandLine.Help;
using Gradscope.Cli;

// NOTE: a plain Command as the root (not RootCommand) so help and usage say "gradscope", not the assembly's file name.
var root = new Command("gradscope", "gradscope: train homogeneous deep networks with the algorithms the theory studies, measure the quantities it reasons with, and reproduce its claims.")
{
    new HelpOption(), new VersionOption(),
};
foreach (var command in Commands.All()) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
