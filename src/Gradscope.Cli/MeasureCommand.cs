using System.CommandLine;
using System.Globalization;
using Gradscope.IO;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Gradscope.Nn;
using Gradscope.Training;

namespace Gradscope.Cli;

/// <summary>
/// <c>gradscope measure --weights W.safetensors --model M.yaml --data D [--test T] [--out result.json]</c>: every
/// applicable measure of THEORY.md sections 3 and 5 for a network trained anywhere (e.g. a PyTorch nn.Sequential
/// state_dict), written atomically as JSON (keys: docs/measure.md) and printed as tables. Exit codes: 0 success,
/// 1 bad input (missing or unreadable input files, names, shapes, widths, labels, NaN weights, options), 2 the output cannot be written.
/// </summary>
internal static class MeasureCommand
{
    public static Command Create()
    {
        var c = new Command("measure", "Measure a trained network (safetensors weights, e.g. a PyTorch nn.Sequential state_dict, plus a model description): margins, norms, ranks, rho, spectral complexity, balance, alignment, neural collapse and bounds, as JSON (docs/measure.md) and tables.");
        var weights = new Option<FileInfo?>("--weights") { Description = "Weights as safetensors (F32/F64), state_dict names such as 0.weight, 2.weight (with --model and --data; or use --run)." };
        var model = new Option<FileInfo?>("--model") { Description = "Model description YAML (docs/model-format.md): layer types, order, state_dict keys, conv stride/padding." };
        var data = new Option<string?>("--data") { Description = "Training set: a data file (a CSV with a header, label column last or :label=NAME; X.npy,y.npy; a .npz with X and y; Parquet) or a dataset name (gradscope data list), with optional :key=value parameters." };
        var run = new Option<DirectoryInfo?>("--run") { Description = "A run directory of gradscope train: its own model (config.yaml), exact data rows (data_indices.json) and final weights (model.safetensors), instead of --weights/--model/--data/--test." };
        var step = new Option<long?>("--step") { Description = "With --run: measure the kept checkpoint of this step (checkpoints/step-K.safetensors) instead of the final weights." };
        var allCheckpoints = new Option<bool>("--all-checkpoints") { Description = "With --run: measure every kept checkpoint and write the table over steps (measures-over-steps.csv and .json beside --out)." };
        var test = new Option<string?>("--test") { Description = "Test set (a data file or dataset name, as --data): adds test_error and the generalization gap beside the bounds." };
        var initial = new Option<FileInfo?>("--initial") { Description = "Weights at initialization (same layout as --weights): adds the relative weight change ||W - W_0||_F / ||W_0||_F." };
        var output = new Option<FileInfo?>("--out") { Description = "JSON output file, written atomically (default measures.json)." };
        var penultimate = new Option<int?>("--penultimate") { Description = "Neural collapse features: the input of this layer (0-based index in the model description); default the input of the last weight layer." };
        var quantiles = new Option<string>("--quantiles") { Description = "Margin-distribution quantiles to report, comma-separated in [0, 1].", DefaultValueFactory = _ => "0.05,0.1,0.25,0.5" };
        var boundQuantile = new Option<double>("--bound-quantile") { Description = "Quantile of the raw margins used as gamma in the bounds (0 = the minimum margin).", DefaultValueFactory = _ => 0 };
        var delta = new Option<double>("--delta") { Description = "Confidence parameter delta of the BFT bound.", DefaultValueFactory = _ => 0.05 };
        var maxSamples = new Option<int?>("--max-samples") { Description = "Measure margins and neural collapse on at most this many evenly spaced training samples (default all)." };
        var noSvd = new Option<bool>("--no-svd") { Description = "Skip the full singular spectrum per layer (no effective/numerical rank; spectral norms by power iteration only)." };
        var margins = new Option<bool>("--margins") { Description = "Also write the full sorted margin distributions (raw, rho- and spectrally normalized) of the training set, for CDF plots." };
        var ntk = new Option<bool>("--ntk") { Description = "Also compute the empirical NTK Gram matrix on --ntk-samples training points (costly; opt-in)." };
        var ntkRows = new Option<string?>("--ntk-rows") { Description = "With --ntk: these training rows (0-based, e.g. 0,5,7) instead of --ntk-samples evenly spaced ones." };
        var ntkSamples = new Option<int>("--ntk-samples") { Description = "Training points for --ntk (evenly spaced).", DefaultValueFactory = _ => 128 };
        var loss = new Option<string?>("--loss") { Description = "Loss of train_loss, train_log_loss, test_loss, test_log_loss and the Hessian measures (exponential, logistic, cross_entropy, square, hinge); with --run the run's own loss unless given." };
        var hessianTop = new Option<int>("--hessian-top") { Description = "Top Hessian eigenvalues by power iteration on Hessian-vector products (needs --loss; dense nets).", DefaultValueFactory = _ => 0 };
        var hutchinson = new Option<int>("--hutchinson") { Description = "Rademacher vectors for Hutchinson's Hessian trace estimate (needs --loss; dense nets).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the Hessian measures' random vectors.", DefaultValueFactory = _ => 1 };
        var spectra = new Option<bool>("--spectra") { Description = "Write every layer's singular values (of its operator; conv layers also of the kernel) as .npy files beside the JSON." };
        var balanceMatrices = new Option<bool>("--balance-matrices") { Description = "Write each balance matrix B_k = W_{k+1}^T W_{k+1} - W_k W_k^T of adjacent dense layers as .npy beside the JSON (layer.{k}.balance_matrix_full; dense nets)." };
        var outputsOpt = new Option<bool>("--outputs") { Description = "Write the network outputs (n, C) and margins (n) of every training and test sample, in data-row order, as .npy files beside the JSON." };
        var hessian = new Option<string?>("--hessian") { Description = "Hessian of the training loss on the measured training samples (all, or --max-samples; needs --loss, or the run's loss with --run): exact (full matrix from P Hessian-vector products; P <= 2048: trace, ||H||_F, every eigenvalue, .npy spectrum and matrix) or stochastic (Hutchinson trace and ||H||_F^2 with standard errors from --hutchinson S probes, default 100)." };
        hessian.AcceptOnlyFromAmong("exact", "stochastic", "slq");
        var slqProbes = new Option<int>("--slq-probes") { Description = "With --hessian slq: Rademacher probes of the spectral density.", DefaultValueFactory = _ => 10 };
        var slqSteps = new Option<int>("--slq-steps") { Description = "With --hessian slq or --hessian-blocks: Lanczos steps per probe or per layer (full reorthogonalization while the basis fits in 16 MiB, else against the 4 most recent vectors: docs/perf/hessian.md).", DefaultValueFactory = _ => 100 };
        var hessianDtype = new Option<string>("--hessian-dtype") { Description = "Element type of the Hessian-vector products: f32, f64 or auto (default: f32 when the weights are stored in float32, i.e. a safetensors file whose tensors are all F32 or a run of dtype f32, except for --hessian exact; else f64). f32 halves the memory of every vector and runs float32 GEMMs; its values carry float32 rounding (about 1e-7 to 1e-6 of ||H||).", DefaultValueFactory = _ => "auto" };
        hessianDtype.AcceptOnlyFromAmong("auto", "f32", "f64");
        var hessianBlocks = new Option<bool>("--hessian-blocks") { Description = "Per-layer Hessian: each dense layer's diagonal block, its largest and smallest eigenvalue (Lanczos, --slq-steps) and trace (Hutchinson, --hutchinson S, default 100); needs --loss or --run." };
        var flatness = new Option<bool>("--flatness") { Description = "Also compute the flatness and sharpness measures of Jiang et al. 2020 (sigma' and alpha' by bisection with Monte Carlo weight noise and projected ascent on the measured training samples; costly, opt-in; seeded by --seed)." };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces of errors." };
        foreach (var o in new Option[] { weights, model, data, run, step, allCheckpoints, test, initial, output, penultimate, quantiles, boundQuantile, delta, maxSamples, noSvd, margins, ntk, ntkRows, ntkSamples, loss, hessianTop, hutchinson, seed, spectra, outputsOpt, hessian, slqProbes, slqSteps, hessianBlocks, hessianDtype, flatness, verbose, balanceMatrices })
            c.Options.Add(o);
        c.SetAction(pr =>
        {
            try
            {
                var args = new MeasureArgs(pr.GetValue(weights)?.ToString(), pr.GetValue(model)?.ToString(), pr.GetValue(data), pr.GetValue(test),
                    pr.GetValue(output)?.ToString(), pr.GetValue(penultimate), ParseQuantiles(pr.GetValue(quantiles)!),
                    pr.GetValue(boundQuantile), pr.GetValue(delta), pr.GetValue(maxSamples), !pr.GetValue(noSvd), pr.GetValue(ntk), pr.GetValue(ntkSamples),
                    pr.GetValue(loss) is string l ? Loss.Parse(l) : null, pr.GetValue(hessianTop), pr.GetValue(hutchinson), pr.GetValue(seed),
                    pr.GetValue(initial)?.ToString(), pr.GetValue(margins))
                {
                    RunDir = pr.GetValue(run)?.ToString(), Step = pr.GetValue(step), AllCheckpoints = pr.GetValue(allCheckpoints),
                    Spectra = pr.GetValue(spectra), Outputs = pr.GetValue(outputsOpt), Hessian = pr.GetValue(hessian), NtkRows = pr.GetValue(ntkRows), Flatness = pr.GetValue(flatness),
                    BalanceMatrices = pr.GetValue(balanceMatrices),
                    SlqProbes = pr.GetValue(slqProbes), SlqSteps = pr.GetValue(slqSteps), HessianBlocks = pr.GetValue(hessianBlocks),
                    HessianDtype = pr.GetValue(hessianDtype) ?? "auto",
                };
                return args.RunDir is null ? Run(args) : MeasureRun.Run(args);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException or NotSupportedException)
            {
                return Fail(e, pr.GetValue(verbose), 1);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail(e, pr.GetValue(verbose), 2);
            }
        });
        return c;
    }

    private static int Fail(Exception e, bool verbose, int code)
    {
        Console.Error.WriteLine("error: " + e.Message);
        if (verbose) Console.Error.WriteLine(e);
        return code;
    }

    private static double[] ParseQuantiles(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException("--quantiles needs at least one value in [0, 1].");
        return parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double q) && q >= 0 && q <= 1 ? q
            : throw new ArgumentException($"--quantiles: '{p}' is not a number in [0, 1].")).ToArray();
    }

    /// <summary>Checks the options every mode shares.</summary>
    internal static void CheckCommon(MeasureArgs a)
    {
        if (a.NtkSamples < 1) throw new ArgumentException($"--ntk-samples must be >= 1, got {a.NtkSamples}.");
        if (a.MaxSamples is int ms && ms < 1) throw new ArgumentException($"--max-samples must be >= 1, got {ms}.");
        if (!(a.BoundQuantile >= 0 && a.BoundQuantile <= 1)) throw new ArgumentException($"--bound-quantile must lie in [0, 1], got {a.BoundQuantile}.");
        if (!(a.Delta > 0 && a.Delta < 1)) throw new ArgumentException($"--delta must lie in (0, 1), got {a.Delta}.");
        if (a.HessianTop < 0 || a.Hutchinson < 0) throw new ArgumentException("--hessian-top and --hutchinson must be >= 0.");
        if ((a.HessianTop > 0 || a.Hutchinson > 0 || a.Hessian is not null || a.HessianBlocks) && a.Loss is null) throw new ArgumentException("--hessian, --hessian-blocks, --hessian-top and --hutchinson need --loss.");
        a.HessianRequest.Check();
    }

    private static int Run(MeasureArgs a)
    {
        CheckCommon(a);
        if (a.Step is not null || a.AllCheckpoints) throw new ArgumentException("--step and --all-checkpoints need --run DIR.");
        if (a.Weights is null || a.Model is null || a.Data is null)
            throw new ArgumentException("measure needs either --run DIR (a run directory of gradscope train) or all of --weights, --model and --data.");
        var spec = ModelSpec.Load(a.Model);
        var tensors = SafeTensors.Read(a.Weights);
        var net = PretrainedModel.Load(spec, tensors, a.Weights);
        // stored in float32: every floating-point tensor F32 (PyTorch's integer batch counters aside)
        bool single = tensors.Where(t => t.DType != SafeTensorDType.I64).All(t => t.DType == SafeTensorDType.F32);
        if (a.Penultimate is int p && (p < 0 || p >= net.Layers.Count))
            throw new ArgumentException($"--penultimate must be a layer index of '{a.Model}' in [0, {net.Layers.Count - 1}], got {p}.");
        var train = MeasureInputs.Load(a.Data, net, a.Model, "--data", isTest: false);
        var test = a.Test is null ? null : MeasureInputs.Load(a.Test, net, a.Model, "--test", isTest: true);

        var initialNet = a.Initial is null ? null : PretrainedModel.Load(spec, SafeTensors.Read(a.Initial), a.Initial);
        var result = Measure(a, net, train, test, initialNet, a.Initial is null ? null : initialNet!.Flat,
            new MeasureSource(a.Model, a.Weights, spec.FileName, i => spec.Layers[i].Type, null) { SingleWeights = single });
        string outPath = a.Out ?? "measures.json";
        result = WithArrays(a, result, outPath);
        AtomicFile.WriteText(outPath, MeasureOutput.Json(result));
        MeasureOutput.PrintTables(result);
        Console.WriteLine($"wrote {outPath}");
        return 0;
    }

    /// <summary>Writes the .npy arrays the options ask for beside <paramref name="outPath"/> and records them in the result.</summary>
    internal static MeasureResult WithArrays(MeasureArgs a, MeasureResult r, string outPath)
    {
        if (!a.Spectra && !a.Outputs && r.Pending.Count == 0) return r;
        var omitted = new Dictionary<string, string>(r.Omitted);
        var arrays = MeasureArrays.Write(outPath, r.Net, r.Train, r.Test, a.Spectra, a.Outputs, omitted);
        foreach (var (key, (shape, data)) in r.Pending)
        {
            string path = MeasureArrays.PathFor(outPath, key);
            Gradscope.Data.Npy.Write(path, shape, data);
            arrays[key] = Path.GetFileName(path);
        }
        return r with { Omitted = omitted, Arrays = arrays };
    }

    /// <summary>
    /// Every measure of <paramref name="net"/> on <paramref name="train"/> (and <paramref name="test"/>): the suite, the
    /// end-to-end matrix, the margin distributions; non-finite values moved to the omitted list.
    /// </summary>
    internal static MeasureResult Measure(MeasureArgs a, Sequential<double> net, Gradscope.Data.Dataset train, Gradscope.Data.Dataset? test,
        Sequential<double>? initialNet, double[]? initialParameters, MeasureSource source, IReadOnlyDictionary<string, double>? preset = null)
    {
        var omitted = new Dictionary<string, string>();
        var pending = new Dictionary<string, (int[] Shape, double[] Data)>();
        if (a.NtkRows is not null && !a.Ntk) throw new ArgumentException("--ntk-rows needs --ntk.");
        int[]? ntkRows = a.Ntk && a.NtkRows is not null ? DataArgument.Rows(a.NtkRows, train.N, "--ntk-rows", train.Name) : null;
        // The end-to-end matrix itself is an array of the JSON document; its norm, the balance matrices and the SVM angle are registry keys.
        double[][]? endToEnd = null;
        try { var m = Gradscope.Measures.EndToEnd.Matrix(net); endToEnd = Enumerable.Range(0, m.RowCount).Select(r => m.Row(r).ToArray()).ToArray(); }
        catch (ArgumentException e) { omitted["end_to_end"] = e.Message; }
        var options = new MeasureOptions
        {
            FullSvd = a.FullSvd, MaxSamples = a.MaxSamples, MarginQuantiles = a.Quantiles, BoundMarginQuantile = a.BoundQuantile,
            Delta = a.Delta, NeuralCollapseLayer = a.Penultimate, Loss = a.Loss, HessianTopK = a.HessianTop, HutchinsonSamples = 0, TargetScale = a.TargetScale,
            Hessian = a.HessianRequest.ModeOption, HessianProbes = a.HessianRequest.Samples, SlqProbes = a.SlqProbes, SlqSteps = a.SlqSteps, HessianBlocks = a.HessianBlocks,
            HessianSingle = a.HessianInSingle(source.SingleWeights),
            Seed = a.Seed, FitMaxMargin = true, PowerTolerance = 1e-10, BalanceMatrices = a.BalanceMatrices,
            InitialParameters = initialParameters, NtkSamples = a.Ntk ? a.NtkSamples : null, NtkRows = ntkRows,
            Flatness = a.Flatness ? new Gradscope.Measures.Flatness.FlatnessOptions { Seed = a.Seed } : null,
        };
        if (a.Loss is null) omitted["hessian.*"] = "opt-in: pass --loss with --hessian exact|stochastic, --hessian-top K and/or --hutchinson S";
        if (initialParameters is null) omitted["relative_weight_change"] = "needs the weights at initialization: pass --initial W0.safetensors";
        if (!a.Flatness) omitted["flatness.*"] = "opt-in: pass --flatness (sigma' and alpha' searches: hundreds of forward passes over the measured samples)";
        if (!a.Ntk) omitted["ntk.*"] = "opt-in: pass --ntk (an n C x n C Gram matrix; costly on large sets)";
        var context = new MeasureContext<double>(net, train, test, options, initial: initialNet);
        var report = MeasureRegistry.Compute(context);
        foreach (var (k, arr) in report.Arrays) pending[k] = arr;

        var values = new Dictionary<string, double>(report.Values);
        if (preset is not null) foreach (var (k, v) in preset) values[k] = v;
        foreach (var o in report.Omitted)
            if (!omitted.ContainsKey(o.Key) && !values.ContainsKey(o.Key)) omitted[o.Key] = o.Reason;
        // JSON has no Infinity or NaN: a non-finite value is reported as omitted with its value, never written as a number.
        foreach (var k in values.Keys.ToList())
            if (!double.IsFinite(values[k])) { omitted[k] = $"not finite ({values[k].ToString(CultureInfo.InvariantCulture)})"; values.Remove(k); }

        var distributions = a.Margins ? MeasureExtras.MarginDistributions(context) : null;
        return new MeasureResult(a, source, net, train, test, values, omitted, endToEnd, distributions) { Pending = pending };
    }
}

/// <summary>Parsed options of <c>gradscope measure</c>.</summary>
internal sealed record MeasureArgs(string? Weights, string? Model, string? Data, string? Test, string? Out, int? Penultimate, double[] Quantiles,
    double BoundQuantile, double Delta, int? MaxSamples, bool FullSvd, bool Ntk, int NtkSamples, LossKind? Loss, int HessianTop, int Hutchinson, ulong Seed, string? Initial, bool Margins)
{
    /// <summary>--run: a run directory of gradscope train.</summary>
    public string? RunDir { get; init; }
    /// <summary>--step: the kept checkpoint to measure.</summary>
    public long? Step { get; init; }
    /// <summary>--all-checkpoints: measure every kept checkpoint.</summary>
    public bool AllCheckpoints { get; init; }
    /// <summary>--spectra: per-layer singular values as .npy.</summary>
    public bool Spectra { get; init; }
    /// <summary>--outputs: outputs and margins in data-row order as .npy.</summary>
    public bool Outputs { get; init; }
    /// <summary>--ntk-rows: explicit training rows of the empirical NTK (text as given).</summary>
    public string? NtkRows { get; init; }
    /// <summary>--balance-matrices: each B_k of adjacent dense layers as .npy.</summary>
    public bool BalanceMatrices { get; init; }
    /// <summary>--flatness: the opt-in flatness and sharpness searches.</summary>
    public bool Flatness { get; init; }
    /// <summary>--hessian: "exact", "stochastic", "slq" or null.</summary>
    public string? Hessian { get; init; }
    /// <summary>--slq-probes.</summary>
    public int SlqProbes { get; init; } = 10;
    /// <summary>--slq-steps.</summary>
    public int SlqSteps { get; init; } = 100;
    /// <summary>--hessian-blocks.</summary>
    public bool HessianBlocks { get; init; }
    /// <summary>--hessian-dtype: "auto", "f32" or "f64".</summary>
    public string HessianDtype { get; init; } = "auto";
    /// <summary>
    /// Whether the Hessian-vector products run in float32: --hessian-dtype f32, or auto with weights stored in float32
    /// (<paramref name="singleWeights"/>) and a mode other than exact (the full matrix of a small net, P &lt;= 2048, is built in float64
    /// whatever the weights: its cost is small and its spectrum is reported to float64 accuracy).
    /// </summary>
    internal bool HessianInSingle(bool singleWeights) => HessianDtype switch
    {
        "f32" => true,
        "f64" => false,
        "auto" => singleWeights && Hessian != "exact",
        _ => throw new ArgumentException($"--hessian-dtype must be auto, f32 or f64, got '{HessianDtype}'."),
    };
    /// <summary>The Hessian measures asked for (--hutchinson S alone is the stochastic mode with S probes).</summary>
    internal HessianRequest HessianRequest => new(Hessian ?? (Hutchinson > 0 ? "stochastic" : null), Hutchinson > 0 ? Hutchinson : 100, SlqProbes, SlqSteps, HessianBlocks);
    /// <summary>Square-loss target scale of the Hessian measures (a run's loss.target_scale with --run).</summary>
    public double TargetScale { get; init; } = 1.0;
}

/// <summary>Where the measured network came from: its model and weights files, tensor names as the files spell them, layer types, and the run (--run).</summary>
internal sealed record MeasureSource(string Model, string Weights, Func<string, string> TensorName, Func<int, string> LayerType, RunInputs? Run)
{
    /// <summary>Whether the weights are stored in float32 (an all-F32 safetensors file, or a run of dtype f32).</summary>
    public bool SingleWeights { get; init; }
}

/// <summary>Everything <c>gradscope measure</c> reports.</summary>
internal sealed record MeasureResult(MeasureArgs Args, MeasureSource Source, Sequential<double> Net, Gradscope.Data.Dataset Train, Gradscope.Data.Dataset? Test,
    IReadOnlyDictionary<string, double> Values, IReadOnlyDictionary<string, string> Omitted, double[][]? EndToEnd,
    IReadOnlyDictionary<string, double[]>? MarginDistributions)
{
    /// <summary>Arrays written as .npy files beside the JSON: key -&gt; file name (--spectra, --outputs).</summary>
    public IReadOnlyDictionary<string, string> Arrays { get; init; } = new Dictionary<string, string>();
    /// <summary>Arrays computed with the measures (e.g. the exact Hessian's spectrum), written by <see cref="MeasureCommand.WithArrays"/>.</summary>
    public IReadOnlyDictionary<string, (int[] Shape, double[] Data)> Pending { get; init; } = new Dictionary<string, (int[] Shape, double[] Data)>();
}
