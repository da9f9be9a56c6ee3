using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gradscope.IO;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Cli;

/// <summary>
/// <c>gradscope measure --run DIR [--step K | --all-checkpoints]</c>: measures a run of <c>gradscope train</c> with its own
/// model, exact data rows and final weights or kept checkpoints (<see cref="RunInputs"/>). Adds run.train_error, run.test_error
/// and run.train_loss, evaluated exactly as the run evaluates them, and compares them with final.json's train_error,
/// test_error and train_loss (a final.json with the old train_acc/test_acc reads through MeasureAliases).
/// </summary>
internal static class MeasureRun
{
    /// <summary>Runs the --run mode; returns the exit code.</summary>
    public static int Run(MeasureArgs a)
    {
        string dir = a.RunDir!;
        foreach (var (given, name) in new[] { (a.Weights, "--weights"), (a.Model, "--model"), (a.Data, "--data"), (a.Test, "--test"), (a.Initial, "--initial") })
            if (given is not null) throw new ArgumentException($"--run takes the model, data, weights and initialization from the run directory '{dir}'; drop {name} '{given}'.");
        if (a.Step is not null && a.AllCheckpoints) throw new ArgumentException("--step and --all-checkpoints exclude each other.");
        if (a.Step is long s && s < 0) throw new ArgumentException($"--step must be >= 0, got {s}.");
        // The run's own loss (and square-loss target scale) for train_loss/test_loss and the Hessian measures unless --loss names another.
        var config = RunInputs.LoadConfig(dir);
        if (a.Loss is null) a = a with { Loss = Gradscope.Losses.Loss.Parse(config.Loss.Kind) };
        a = a with { TargetScale = config.Loss.TargetScale };
        MeasureCommand.CheckCommon(a);
        if (a.AllCheckpoints) return AllCheckpoints(a, dir);

        var r = Measure(a, RunInputs.Load(dir, a.Step));
        string outPath = a.Out ?? Path.Combine(dir, a.Step is long k ? $"measures-step-{k}.json" : "measures.json");
        r = MeasureCommand.WithArrays(a, r, outPath);
        AtomicFile.WriteText(outPath, MeasureOutput.Json(r));
        MeasureOutput.PrintTables(r);
        PrintRun(r.Source.Run!, dir);
        Console.WriteLine($"wrote {outPath}");
        return 0;
    }

    private static MeasureResult Measure(MeasureArgs a, RunInputs run)
    {
        if (a.Penultimate is int p && (p < 0 || p >= run.Net.Layers.Count))
            throw new ArgumentException($"--penultimate must be a layer index of the run's model in [0, {run.Net.Layers.Count - 1}], got {p}.");
        var initialNet = TrainerModels.Build<double>(run.Config, run.Train, new Rng(run.Config.Seed));
        run.Initial.CopyTo(initialNet.Flat, 0);
        var preset = new Dictionary<string, double> { ["run.train_error"] = 1 - run.TrainAccuracy, ["run.train_loss"] = run.TrainLoss };
        if (run.TestAccuracy is double t) preset["run.test_error"] = 1 - t;
        var source = new MeasureSource(Path.Combine(run.Directory, "config.yaml"), run.WeightsFile, n => n, i => run.Net.Layers[i].Kind, run) { SingleWeights = run.Config.DType == "f32" };
        return MeasureCommand.Measure(a, run.Net, run.Train, run.Test, initialNet, run.Initial, source, preset);
    }

    // The run's own errors and loss beside what final.json recorded (for the final weights).
    private static void PrintRun(RunInputs run, string dir)
    {
        Console.WriteLine($"run '{dir}', {(run.Step is long s ? $"checkpoint step {s}" : "final weights")} ({Path.GetFileName(run.WeightsFile)}, {run.Config.DType}): {run.DataNote}.");
        var final = run.Step is null ? ReadFinal(dir) : null;
        void Line(string key, double? value)
        {
            if (value is not double v) return;
            string text = $"  {key} = {Num(v)}";
            if (final is not null && final.TryGetValue(key, out double f))
                text += v == f ? $" (final.json: {Num(f)}, reproduced exactly)" : $" (final.json: {Num(f)}, DIFFERS by {Num(v - f)})";
            Console.WriteLine(text);
        }
        Line("train_error", 1 - run.TrainAccuracy);
        Line("test_error", 1 - run.TestAccuracy);
        Line("train_loss", run.TrainLoss);
    }

    private static Dictionary<string, double>? ReadFinal(string dir)
    {
        string path = Path.Combine(dir, "final.json");
        if (!File.Exists(path)) return null;
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
            var d = new Dictionary<string, double>();
            if (o is null) return null;
            foreach (var (k, v) in o) if (v is JsonValue jv && jv.TryGetValue<double>(out double x)) d[k] = x;
            return Gradscope.Measures.Registry.MeasureAliases.Canonical(d);
        }
        catch (JsonException) { return null; }
    }

    private static int AllCheckpoints(MeasureArgs a, string dir)
    {
        RunInputs.LoadConfig(dir);
        var steps = RunInputs.KeptSteps(dir);
        if (steps.Count == 0) throw new InvalidDataException($"'{dir}' keeps no checkpoints (checkpoints/step-K.safetensors); train with probes.keep_checkpoints: true and probes.checkpoint_every: N.");
        var rows = new List<(long Step, IReadOnlyDictionary<string, double> Values)>();
        foreach (long step in steps)
        {
            var r = Measure(a, RunInputs.Load(dir, step));
            rows.Add((step, r.Values));
            Console.WriteLine($"step {step}: train_error {Num(r.Values["run.train_error"])}" + (r.Values.TryGetValue("run.test_error", out double t) ? $", test_error {Num(t)}" : "")
                + $", {r.Values.Count} measures");
            if (step == steps[^1]) Console.WriteLine($"data: {r.Source.Run!.DataNote}.");
        }
        string baseName = a.Out is null ? Path.Combine(dir, "measures-over-steps") : Path.Combine(Path.GetDirectoryName(a.Out) ?? "", Path.GetFileNameWithoutExtension(a.Out));
        var keys = rows.SelectMany(r => r.Values.Keys).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        var csv = new StringBuilder("step," + string.Join(",", keys) + "\n");
        foreach (var (step, values) in rows)
            csv.Append(step.ToString(CultureInfo.InvariantCulture)).Append(',')
               .Append(string.Join(",", keys.Select(k => values.TryGetValue(k, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : ""))).Append('\n');
        var json = new JsonObject
        {
            ["format"] = "gradscope-measures-over-steps",
            ["version"] = 1,
            ["run"] = dir,
            ["steps"] = new JsonArray(rows.Select(r =>
            {
                var m = new JsonObject();
                foreach (var (k, v) in r.Values.OrderBy(p => p.Key, StringComparer.Ordinal)) m[k] = v;
                return (JsonNode)new JsonObject { ["step"] = r.Step, ["measures"] = m };
            }).ToArray()),
        };
        AtomicFile.WriteText(baseName + ".csv", csv.ToString());
        AtomicFile.WriteText(baseName + ".json", json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"wrote {baseName}.csv and {baseName}.json ({rows.Count} steps x {keys.Count} measures)");
        return 0;
    }

    private static string Num(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}
