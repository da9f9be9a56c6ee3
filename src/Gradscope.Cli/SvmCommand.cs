using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gradscope.Data;
using Gradscope.IO;
using Gradscope.Measures;
using Gradscope.Measures.Registry;

namespace Gradscope.Cli;

/// <summary>
/// <c>gradscope svm DATA [--binary A,B] [--out svm.json]</c>: the hard-margin linear SVM without intercept of a binary
/// data set (THEORY.md section 5, distance to max margin; no model): margin 1/||w||, direction w/||w||, support rows
/// (DATA's row numbers) and dual variables alpha (one per row used, listed in .rows.npy), as JSON plus .npy arrays beside it (docs/measure.md):
/// a thin caller of the registry's <c>svm.*</c> entries on a data set alone. Exit codes: 0 success, 1 bad input or
/// data not separable through the origin, 2 the output cannot be written.
/// </summary>
internal static class SvmCommand
{
    public static Command Create()
    {
        var c = new Command("svm", "Hard-margin linear SVM (no intercept) of a binary data set: margin, direction, support rows (JSON + .npy).");
        var data = new Argument<string>("data") { Description = "A data file (a CSV with a header, label column last or :label=NAME; X.npy,y.npy; a .npz with X and y; Parquet; labels 0/1) or a dataset name (gradscope data list)." };
        var binary = new Option<string?>("--binary") { Description = "Keep classes A and B of a multiclass set as labels 0 and 1, e.g. --binary 3,8." };
        var output = new Option<FileInfo?>("--out") { Description = "JSON output file (default svm.json); arrays go beside it as svm.direction.npy, svm.alpha.npy, svm.support_rows.npy." };
        var tolerance = new Option<double>("--tolerance") { Description = "KKT tolerance of the dual coordinate ascent.", DefaultValueFactory = _ => 1e-10 };
        var maxEpochs = new Option<int>("--max-epochs") { Description = "Epochs of dual coordinate ascent before giving up (data not separable through the origin).", DefaultValueFactory = _ => 100_000 };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces of errors." };
        c.Arguments.Add(data);
        foreach (var o in new Option[] { binary, output, tolerance, maxEpochs, verbose }) c.Options.Add(o);
        c.SetAction(pr => CliErrors.Guard(pr.GetValue(verbose), () => Run(pr.GetValue(data)!, pr.GetValue(binary), pr.GetValue(output)?.ToString() ?? "svm.json",
            pr.GetValue(tolerance), pr.GetValue(maxEpochs))));
        return c;
    }

    private static int Run(string source, string? binary, string outPath, double tolerance, int maxEpochs)
    {
        if (!(tolerance > 0)) throw new ArgumentException($"--tolerance must be > 0, got {tolerance}.");
        if (maxEpochs < 1) throw new ArgumentException($"--max-epochs must be >= 1, got {maxEpochs}.");
        var data = DataArgument.Load(source);
        int[] rowOf = Enumerable.Range(0, data.N).ToArray();
        if (binary is not null) (data, rowOf) = DataArgument.Binary(data, binary);
        if (data.Classes != 2 || data.Y.Any(y => y is not (0 or 1)))
            throw new ArgumentException($"'{source}' has {data.Classes} classes; the SVM needs labels 0/1 (pick two classes with --binary A,B).");
        var report = MeasureRegistry.Compute(new DataMeasureContext(data, new MeasureOptions { Svm = true, SvmTolerance = tolerance, SvmMaxEpochs = maxEpochs }),
            MeasureRegistry.Select(["svm.*"]));
        if (!report.Values.TryGetValue("svm.margin", out double margin))
            throw new ArgumentException($"'{data.Name}': {report.Omitted.FirstOrDefault()?.Reason ?? "the SVM was not computed"}");
        var v = report.Values;
        var dir = report.Arrays["svm.direction"].Data;
        var alpha = report.Arrays["svm.alpha"].Data;
        // Support rows and alpha are reported against DATA's own rows (with --binary: the rows of the two classes kept).
        var support = report.Arrays["svm.support_rows"].Data.Select(i => rowOf[(int)i]).ToArray();
        string Npy(string key) => MeasureArrays.PathFor(outPath, key);
        Gradscope.Data.Npy.Write(Npy("direction"), [dir.Length], dir);
        Gradscope.Data.Npy.Write(Npy("alpha"), [alpha.Length], alpha);
        Gradscope.Data.Npy.Write(Npy("rows"), [rowOf.Length], rowOf.Select(i => (long)i).ToArray());
        Gradscope.Data.Npy.Write(Npy("support_rows"), [support.Length], support.Select(i => (long)i).ToArray());
        var json = new JsonObject
        {
            ["format"] = "gradscope-svm",
            ["version"] = 1,
            ["data"] = new JsonObject { ["name"] = data.Name, ["n"] = data.N, ["features"] = data.D },
            ["margin"] = margin,
            ["w_norm"] = v["svm.w_norm"],
            ["support_rows"] = new JsonArray(support.Select(i => (JsonNode)i).ToArray()),
            ["kkt_violation"] = v["svm.kkt_violation"],
            ["epochs"] = (int)v["svm.epochs"],
            ["arrays"] = new JsonObject
            {
                ["direction"] = Path.GetFileName(Npy("direction")),
                ["alpha"] = Path.GetFileName(Npy("alpha")),
                ["support_rows"] = Path.GetFileName(Npy("support_rows")),
                ["rows"] = Path.GetFileName(Npy("rows")),
            },
        };
        AtomicFile.WriteText(outPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"hard-margin SVM of '{data.Name}' (n = {data.N}, d = {data.D}, no intercept)");
        Console.WriteLine($"  margin = min_i y_i <w, x_i> / ||w|| = {margin.ToString("R", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"  support rows ({support.Length}, rows of '{source}'): {string.Join(", ", support.Take(20))}{(support.Length > 20 ? ", ..." : "")}");
        Console.WriteLine($"  KKT violation {v["svm.kkt_violation"]:G3} after {v["svm.epochs"]} epochs");
        Console.WriteLine($"wrote {outPath}, {Path.GetFileName(Npy("direction"))}, {Path.GetFileName(Npy("alpha"))}, {Path.GetFileName(Npy("support_rows"))}");
        return 0;
    }
}

/// <summary>The exit codes and error lines the small analysis commands share: 1 bad input, 2 output not writable.</summary>
internal static class CliErrors
{
    /// <summary>Runs <paramref name="body"/>, turning input errors into "error: ..." with exit code 1 and output errors into code 2.</summary>
    public static int Guard(bool verbose, Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException or NotSupportedException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
    }
}
