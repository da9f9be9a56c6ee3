using System.CommandLine;
using Gradscope.Claims;

namespace Gradscope.Cli;

/// <summary>`gradscope claims`: lists the claims with id, statement and paper.</summary>
internal static class ClaimsCommand
{
    public static Command Create()
    {
        var cmd = new Command("claims", "List the claims `gradscope reproduce` judges: id, paper and statement.");
        cmd.SetAction(_ =>
        {
            foreach (var (def, _) in ClaimRegistry.All)
            {
                Console.WriteLine($"{def.Id}  (paper {def.Paper})");
                Console.WriteLine($"    {def.Statement}");
            }
            var missing = ClaimRegistry.Order.Except(ClaimRegistry.All.Select(c => c.Definition.Id)).ToList();
            if (missing.Count > 0) Console.WriteLine($"not implemented yet: {string.Join(", ", missing)}");
            return 0;
        });
        return cmd;
    }
}
