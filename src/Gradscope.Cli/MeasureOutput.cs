using System.Globalization;
using System.Text;
using System.Text.Json;
using Gradscope.Measures;
using Spectre.Console;

namespace Gradscope.Cli;

/// <summary>The JSON document (docs/measure.md) and the console tables of <c>gradscope measure</c>.</summary>
internal static class MeasureOutput
{
    /// <summary>
    /// { "format": "gradscope-measure", "version": 1, "model", "weights", "task", "outputs", "homogeneous",
    /// "train": {name, n, features}, "test": {...} | null, "layers": [{k, tensor, layer, type, shape, matrix, kernel_matrix}]
    /// (matrix: the shape of the operator T_k the measures use; kernel_matrix: the reshaped weight, conv and locally connected layers),
    /// "measures": {key: number}, "end_to_end": [[...]] (deep linear nets), "margin_distribution": {raw, rho, spectral} (--margins),
    /// "omitted": {key: reason} }.
    /// </summary>
    public static string Json(MeasureResult r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", "gradscope-measure");
            w.WriteNumber("version", 1);
            w.WriteString("model", r.Source.Model);
            w.WriteString("weights", r.Source.Weights);
            w.WriteString("task", r.Net.Outputs == 1 ? "binary" : "multiclass");
            w.WriteNumber("outputs", r.Net.Outputs);
            w.WriteBoolean("homogeneous", r.Net.IsHomogeneous);
            // the loss train_loss, test_loss and the Hessian measures are of (--loss, or a run's own)
            if (r.Args.Loss is { } loss) { w.WriteString("loss", Gradscope.Losses.Loss.Name(loss)); w.WriteNumber("target_scale", r.Args.TargetScale); }
            if (r.Source.Run is { } run)
            {
                w.WriteStartObject("run");
                w.WriteString("directory", run.Directory);
                if (run.Step is long step) w.WriteNumber("step", step); else w.WriteString("step", "final");
                w.WriteString("dtype", run.Config.DType);
                w.WriteString("data", run.DataNote);
                w.WriteEndObject();
            }
            WriteData(w, "train", r.Train);
            if (r.Test is null) w.WriteNull("test"); else WriteData(w, "test", r.Test);
            w.WriteStartArray("layers");
            var ops = LayerOperator.Of(r.Net);
            for (int k = 0; k < ops.Count; k++)
            {
                var np = r.Net.Weights[k];
                w.WriteStartObject();
                w.WriteNumber("k", k);
                w.WriteString("tensor", r.Source.TensorName(np.Name));
                w.WriteNumber("layer", np.LayerIndex);
                w.WriteString("type", r.Source.LayerType(np.LayerIndex));
                w.WriteStartArray("shape"); foreach (int s in np.Value.Shape) w.WriteNumberValue(s); w.WriteEndArray();
                w.WriteStartArray("matrix"); w.WriteNumberValue(ops[k].Rows); w.WriteNumberValue(ops[k].Cols); w.WriteEndArray();
                if (!ops[k].IsKernelMatrix) { w.WriteStartArray("kernel_matrix"); w.WriteNumberValue(ops[k].Kernel.Rows); w.WriteNumberValue(ops[k].Kernel.Cols); w.WriteEndArray(); }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            var omitted = new SortedDictionary<string, string>(r.Omitted.ToDictionary(), StringComparer.Ordinal);
            Gradscope.Measures.Registry.MeasureFile.WriteMeasures(w, Ordered(r.Values), omitted);
            if (r.EndToEnd is { } e2e)
            {
                w.WriteStartArray("end_to_end");
                foreach (var row in e2e) { w.WriteStartArray(); foreach (double v in row) w.WriteNumberValue(v); w.WriteEndArray(); }
                w.WriteEndArray();
            }
            if (r.MarginDistributions is { } md)
            {
                w.WriteStartObject("margin_distribution");
                foreach (var (k, arr) in md) { w.WriteStartArray(k); foreach (double x in arr) w.WriteNumberValue(x); w.WriteEndArray(); }
                w.WriteEndObject();
            }
            w.WriteStartObject("arrays");
            foreach (var (k, f) in r.Arrays.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, f);
            w.WriteEndObject();
            w.WriteStartObject("omitted");
            foreach (var (k, v) in omitted) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    private static void WriteData(Utf8JsonWriter w, string name, Gradscope.Data.Dataset d)
    {
        w.WriteStartObject(name);
        w.WriteString("name", d.Name);
        w.WriteNumber("n", d.N);
        w.WriteNumber("features", d.D);
        w.WriteEndObject();
    }

    // Scalars first in a fixed reading order, then per-layer keys by layer index.
    private static IEnumerable<KeyValuePair<string, double>> Ordered(IReadOnlyDictionary<string, double> values) =>
        values.OrderBy(p => p.Key.StartsWith("layer.", StringComparison.Ordinal) ? 1 : 0)
              .ThenBy(p => LayerIndex(p.Key))
              .ThenBy(p => p.Key, StringComparer.Ordinal);

    private static int LayerIndex(string key)
    {
        if (!key.StartsWith("layer.", StringComparison.Ordinal)) return -1;
        int dot = key.IndexOf('.', 6);
        return dot > 6 && int.TryParse(key.AsSpan(6, dot - 6), NumberStyles.None, CultureInfo.InvariantCulture, out int k) ? k : -1;
    }

    /// <summary>Prints the per-layer table, the network-level measures and the omitted measures with their reasons.</summary>
    public static void PrintTables(MeasureResult r)
    {
        var v = r.Values;
        string F(string key) => v.TryGetValue(key, out double x) ? Short(x) : "-";
        var ops = LayerOperator.Of(r.Net);
        bool conv = ops.Any(op => !op.IsKernelMatrix);
        var layers = new Table
        {
            Title = new TableTitle("Per layer, of the operator T_k the layer applies (conv: its dense-equivalent Toeplitz matrix, shape 'operator'): fro = ||T||_F, spec = ||T||_2, stable/eff/num = ranks, "
                + (conv ? "kfro/kspec = ||w||_F, ||w||_2 of the reshaped kernel (shape 'kernel'), " : "") + "b_k = ||W_k+1||_F^2 - ||W_k||_F^2 of the parameters, align = alignment"),
        };
        var columns = conv ? new[] { "k", "tensor", "operator", "kernel", "fro", "spec", "stable", "eff", "num", "kfro", "kspec", "b_k", "align" }
                           : new[] { "k", "tensor", "shape", "fro", "spec", "stable", "eff", "num", "b_k", "align" };
        foreach (var col in columns)
            layers.AddColumn(new TableColumn(col) { NoWrap = col is "tensor" or "shape" or "operator" or "kernel" });
        for (int k = 0; k < r.Net.Weights.Count; k++)
        {
            var np = r.Net.Weights[k];
            var op = ops[k];
            var row = new List<string> { k.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Source.TensorName(np.Name)) };
            if (conv) { row.Add(MeasureInputs.Shape([op.Rows, op.Cols])); row.Add(op.IsKernelMatrix ? "-" : MeasureInputs.Shape(np.Value.Shape)); }
            else row.Add(MeasureInputs.Shape(np.Value.Shape));
            row.AddRange([F($"layer.{k}.frobenius"), F($"layer.{k}.spectral"), F($"layer.{k}.stable_rank"), F($"layer.{k}.effective_rank"), F($"layer.{k}.numerical_rank")]);
            if (conv) { row.Add(F($"layer.{k}.kernel_frobenius")); row.Add(F($"layer.{k}.kernel_spectral")); }
            row.AddRange([F($"layer.{k}.balance"), F($"layer.{k}.alignment")]);
            layers.AddRow(row.ToArray());
        }
        AnsiConsole.Write(layers);

        string lossNote = r.Args.Loss is { } lk ? $"; loss {Gradscope.Losses.Loss.Name(lk)}" + (lk == Gradscope.Losses.LossKind.Square ? $", target scale {Num(r.Args.TargetScale)}" : "") : "";
        var net = new Table { Title = new TableTitle($"Network ({(r.Net.Outputs == 1 ? "binary, 1 output" : $"multiclass, {r.Net.Outputs} outputs")}; train '{Markup.Escape(r.Train.Name)}' n = {r.Train.N}{lossNote})") };
        net.AddColumn("measure"); net.AddColumn(new TableColumn("value").RightAligned());
        foreach (var (k, x) in Ordered(v).Where(p => !p.Key.StartsWith("layer.", StringComparison.Ordinal)))
            net.AddRow(Markup.Escape(k), Num(x));
        AnsiConsole.Write(net);

        if (r.Omitted.Count > 0)
        {
            var om = new Table { Title = new TableTitle("Omitted (not applicable or not requested)") };
            om.AddColumn("measure"); om.AddColumn("reason");
            foreach (var (k, why) in r.Omitted.OrderBy(p => p.Key, StringComparer.Ordinal)) om.AddRow(Markup.Escape(k), Markup.Escape(why));
            AnsiConsole.Write(om);
        }
    }

    private static string Short(double x) => x == Math.Floor(x) && Math.Abs(x) < 1e5 ? x.ToString("0", CultureInfo.InvariantCulture) : x.ToString("G4", CultureInfo.InvariantCulture);

    private static string Num(double x) => x == Math.Floor(x) && Math.Abs(x) < 1e9 ? x.ToString("0", CultureInfo.InvariantCulture) : x.ToString("G6", CultureInfo.InvariantCulture);
}
