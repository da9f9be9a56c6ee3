using System.CommandLine;
using Gradscope.Cli;

var root = new RootCommand("gradscope: train homogeneous deep networks with the algorithms the theory studies, measure the quantities it reasons with, and reproduce its claims.");
foreach (var command in Commands.All()) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
