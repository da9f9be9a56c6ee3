using System.CommandLine;
using Gradscope.Claims;

namespace Gradscope.Cli;

/// <summary>
/// gradscope dev claims-full-as-overrides [--definitions DIR] [--fixtures DIR]: rewrites every claim definition whose
/// <c>full</c> repeats <c>quick</c> into one whose <c>full</c> states only what differs (<see cref="ClaimFullAsOverrides"/>),
/// copying each original to the fixtures folder that the equivalence test reads. Hidden: a maintenance command.
/// </summary>
internal static class DevCommand
{
    public static Command Create()
    {
        var dev = new Command("dev", "Maintenance commands for the repository.") { Hidden = true };
        var rewrite = new Command("claims-full-as-overrides", "Rewrite claim definitions so that 'full' states only what differs from 'quick'.");
        var defs = new Option<string>("--definitions") { Description = "Folder of claim definitions.", DefaultValueFactory = _ => "src/Gradscope/Claims/Definitions" };
        var fixtures = new Option<string?>("--fixtures") { Description = "Folder receiving each original (the test fixture).", DefaultValueFactory = _ => "tests/Gradscope.Tests/Claims/Fixtures/DefinitionsBeforeFullMerge" };
        rewrite.Options.Add(defs); rewrite.Options.Add(fixtures);
        rewrite.SetAction(pr =>
        {
            try
            {
                var done = ClaimFullAsOverrides.RewriteDirectory(pr.GetValue(defs)!, pr.GetValue(fixtures));
                foreach (var f in done) Console.WriteLine($"rewrote {f}");
                Console.WriteLine($"{done.Count} definition(s) rewritten; the others already state only what differs.");
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"gradscope dev: {e.Message}");
                return 2;
            }
        });
        dev.Subcommands.Add(rewrite);
        return dev;
    }
}
