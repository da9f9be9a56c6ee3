using System.CommandLine;
using System.Text;
using System.Text.Json;
using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Spectre.Console;

namespace Gradscope.Cli;

/// <summary>
/// <c>gradscope measures [PATTERN...] [--json] [--run DIR]</c>: every registry measure (or those matching the glob patterns)
/// with its key, symbol, definition, THEORY.md section, applicability and cost class; with --run, whether each applies to
/// that run's network and data and, when not, the specific reason. Exit codes: 0, 1 bad input (an unknown pattern, a bad run directory).
/// </summary>
internal static class MeasuresCommand
{
    public static Command Create()
    {
        var c = new Command("measures", "List every measure of the registry: key, symbol, definition, THEORY.md section, what it needs and its cost class (the keys of measure, probes.measures and rank-measures).");
        var patterns = new Argument<string[]>("pattern") { Description = "Keys or globs to list (e.g. 'bound.*' 'layer.*.spectral'); default all.", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "Print the list as JSON." };
        var run = new Option<DirectoryInfo?>("--run") { Description = "A run directory of gradscope train: also say whether each measure applies to its network and data, and why not." };
        c.Arguments.Add(patterns); c.Options.Add(json); c.Options.Add(run);
        c.SetAction(pr =>
        {
            try
            {
                var ps = pr.GetValue(patterns) ?? [];
                var list = ps.Length == 0 ? MeasureRegistry.All : MeasureRegistry.Select(ps);
                Func<IMeasure, string?>? reason = null;
                if (pr.GetValue(run) is { } dir)
                {
                    var inputs = RunInputs.Load(dir.FullName, null);
                    var ctx = new MeasureContext<double>(inputs.Net, inputs.Train, inputs.Test, new MeasureOptions { FullSvd = true });
                    reason = m => m.NotApplicable(ctx);
                }
                if (pr.GetValue(json)) Console.Write(Json(list, reason));
                else Print(list, reason);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException or NotSupportedException or IOException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
        });
        return c;
    }

    /// <summary>The list as a JSON array of {key, symbol, formula, section, needs, applicability, cost, group, array (an .npy array, not a scalar)} (and "applies"/"reason" with a run).</summary>
    internal static string Json(IReadOnlyList<IMeasure> list, Func<IMeasure, string?>? reason)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var m in list)
            {
                var i = m.Info;
                w.WriteStartObject();
                w.WriteString("key", i.Key);
                w.WriteString("symbol", i.Symbol);
                w.WriteString("formula", i.Formula);
                w.WriteString("section", i.Section);
                w.WriteStartArray("needs");
                foreach (var n in Enum.GetValues<MeasureNeeds>().Where(n => n != MeasureNeeds.None && i.Needs.HasFlag(n))) w.WriteStringValue(MeasureInfo.NeedWord(n));
                w.WriteEndArray();
                w.WriteString("applicability", i.Applicability);
                w.WriteString("cost", i.CostName);
                w.WriteString("group", i.Group);
                w.WriteBoolean("array", i.IsArray);
                if (reason is not null)
                {
                    string? why = reason(m);
                    w.WriteBoolean("applies", why is null);
                    if (why is null) w.WriteNull("reason"); else w.WriteString("reason", why);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    private static void Print(IReadOnlyList<IMeasure> list, Func<IMeasure, string?>? reason)
    {
        var t = new Table { Title = new TableTitle($"{list.Count} measures (THEORY.md sections 1, 2, 3 and 5); cost: free < weights < spectrum < forward < kernel < hessian < optimization") };
        foreach (var col in new[] { "key", "symbol", "definition", "§", "needs", "cost" }) t.AddColumn(col);
        if (reason is not null) t.AddColumn("on this run");
        foreach (var m in list)
        {
            var i = m.Info;
            var row = new List<string> { i.Key, i.Symbol, i.Formula, i.Section, i.Applicability, i.CostName };
            if (reason is not null) row.Add(reason(m) is string why ? "not applicable: " + why : "applies");
            t.AddRow(row.Select(Markup.Escape).ToArray());
        }
        AnsiConsole.Write(t);
    }
}
