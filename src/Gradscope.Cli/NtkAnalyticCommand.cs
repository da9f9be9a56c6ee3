using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gradscope.IO;
using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Gradscope.Tensors;

namespace Gradscope.Cli;

/// <summary>
/// <c>gradscope ntk-analytic DATA --depth L [--rows 0,5,7 | --max-samples N] [--out ntk-analytic.json]</c>: the analytic
/// NTK Theta^L and NNGP Sigma^L of an infinitely wide bias-free ReLU MLP with L hidden layers (THEORY.md section 5,
/// <see cref="AnalyticNtk"/>) on the chosen rows, written as .npy (n x n) with the NTK's eigenvalues and a summary
/// in the JSON (keys ntk_analytic.*): a thin caller of the registry's <c>ntk_analytic.*</c> entries on a data set alone. Exit codes: 0 success, 1 bad input, 2 the output cannot be written.
/// </summary>
internal static class NtkAnalyticCommand
{
    public static Command Create()
    {
        var c = new Command("ntk-analytic", "Analytic infinite-width NTK and NNGP of a bias-free ReLU MLP on a data set's rows (.npy kernels + summary).");
        var data = new Argument<string>("data") { Description = "A data file (a CSV with a header, label column last or :label=NAME; X.npy,y.npy; a .npz with X and y; Parquet) or a dataset name (gradscope data list)." };
        var depth = new Option<int>("--depth") { Description = "L, the number of hidden ReLU layers (0: the linear kernel x.x'/d).", Required = true };
        var rows = new Option<string?>("--rows") { Description = "Explicit data rows, e.g. --rows 0,5,7 (0-based; default all rows or --max-samples evenly spaced)." };
        var maxSamples = new Option<int?>("--max-samples") { Description = "At most this many evenly spaced rows (when --rows is not given)." };
        var output = new Option<FileInfo?>("--out") { Description = "JSON output file (default ntk-analytic.json); the kernels go beside it as .ntk.npy, .nngp.npy, .ntk_eigenvalues.npy." };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces of errors." };
        c.Arguments.Add(data);
        foreach (var o in new Option[] { depth, rows, maxSamples, output, verbose }) c.Options.Add(o);
        c.SetAction(pr => CliErrors.Guard(pr.GetValue(verbose), () => Run(pr.GetValue(data)!, pr.GetValue(depth), pr.GetValue(rows), pr.GetValue(maxSamples),
            pr.GetValue(output)?.ToString() ?? "ntk-analytic.json")));
        return c;
    }

    private static int Run(string source, int depth, string? rowsText, int? maxSamples, string outPath)
    {
        if (depth < 0) throw new ArgumentException($"--depth must be >= 0 hidden layers, got {depth}.");
        if (maxSamples is int m && m < 1) throw new ArgumentException($"--max-samples must be >= 1, got {m}.");
        if (rowsText is not null && maxSamples is not null) throw new ArgumentException("--rows and --max-samples exclude each other.");
        var data = DataArgument.Load(source);
        int[] rows = rowsText is not null ? DataArgument.Rows(rowsText, data.N, "--rows", data.Name)
            : Enumerable.Range(0, Math.Min(data.N, maxSamples ?? data.N)).Select(i => maxSamples is int k && k < data.N ? (int)((long)i * data.N / k) : i).ToArray();
        int n = rows.Length;
        try { MemoryLimit.CheckBytes($"three {n} x {n} kernels", 3L * n * n * sizeof(double)); }
        catch (ArgumentException e) { throw new ArgumentException($"{e.Message} Choose fewer rows with --max-samples or --rows."); }
        var report = MeasureRegistry.Compute(new DataMeasureContext(data.Subset(rows), new MeasureOptions { AnalyticNtkDepth = depth }),
            MeasureRegistry.Select(["ntk_analytic.*"]));
        var v = report.Values;
        var ntk = report.Arrays["ntk_analytic.ntk"].Data;
        var nngp = report.Arrays["ntk_analytic.nngp"].Data;
        var eig = report.Arrays["ntk_analytic.eigenvalues"].Data;
        double condition = v.TryGetValue("ntk_analytic.condition", out double kappa) ? kappa : double.PositiveInfinity;
        string Npy(string key) => MeasureArrays.PathFor(outPath, key);
        Gradscope.Data.Npy.Write(Npy("ntk"), [n, n], ntk);
        Gradscope.Data.Npy.Write(Npy("nngp"), [n, n], nngp);
        Gradscope.Data.Npy.Write(Npy("ntk_eigenvalues"), [n], eig);
        Gradscope.Data.Npy.Write(Npy("rows"), [n], rows.Select(i => (long)i).ToArray());
        var json = new JsonObject
        {
            ["format"] = "gradscope-ntk-analytic",
            ["version"] = 1,
            ["data"] = new JsonObject { ["name"] = data.Name, ["n"] = data.N, ["features"] = data.D },
            ["depth"] = depth,
            ["rows"] = n,
            ["ntk_analytic.trace"] = v["ntk_analytic.trace"],
            ["ntk_analytic.frobenius"] = v["ntk_analytic.frobenius"],
            ["ntk_analytic.lambda_max"] = v["ntk_analytic.lambda_max"],
            ["ntk_analytic.lambda_min"] = v["ntk_analytic.lambda_min"],
            ["ntk_analytic.condition"] = double.IsFinite(condition) ? condition : null,
            ["arrays"] = new JsonObject
            {
                ["ntk"] = Path.GetFileName(Npy("ntk")), ["nngp"] = Path.GetFileName(Npy("nngp")),
                ["ntk_eigenvalues"] = Path.GetFileName(Npy("ntk_eigenvalues")), ["rows"] = Path.GetFileName(Npy("rows")),
            },
        };
        AtomicFile.WriteText(outPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        string F(double x) => x.ToString("G6", CultureInfo.InvariantCulture);
        Console.WriteLine($"analytic NTK of a bias-free ReLU MLP with {depth} hidden layer(s), infinite width, on {n} rows of '{data.Name}' (d = {data.D})");
        Console.WriteLine($"  trace {F(v["ntk_analytic.trace"])}, ||Theta||_F {F(v["ntk_analytic.frobenius"])}, lambda_max {F(v["ntk_analytic.lambda_max"])}, lambda_min {F(v["ntk_analytic.lambda_min"])}, condition {F(condition)}");
        Console.WriteLine($"wrote {outPath}, {Path.GetFileName(Npy("ntk"))}, {Path.GetFileName(Npy("nngp"))}, {Path.GetFileName(Npy("ntk_eigenvalues"))}, {Path.GetFileName(Npy("rows"))}");
        return 0;
    }
}
