using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gradscope.Data;
using Gradscope.IO;
using Gradscope.Losses;
using Gradscope.Measures.PacBayes;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Cli;

/// <summary>
/// <c>gradscope bound pac-bayes --setting T-600|T-1200|T-300-300|R-600 [--out DIR]</c>: the whole pipeline of
/// Dziugaite &amp; Roy 2017 on binary MNIST (digits 0-4 vs 5-9): train the net with SGD, optimize the PAC-Bayes
/// posterior, and compute the bound with every term (docs/bound.md).
/// </summary>
internal static class BoundCommand
{
    /// <summary>The paper's settings: hidden widths and whether the training labels are random.</summary>
    /// <remarks>
    /// SGD epochs: the paper's 20 for the true-label nets. R-600 trains 120: after 20 epochs of the same SGD a 784-600-1 net
    /// has not fitted random labels (training error about 0.4, refused), after 120 it fits them to about 0.014, as the
    /// paper's R-600 (trained to fit its random labels) requires (docs/bound.md).
    /// </remarks>
    internal static readonly IReadOnlyDictionary<string, (int[] Hidden, bool RandomLabels, int Epochs)> Settings = new Dictionary<string, (int[], bool, int)>(StringComparer.OrdinalIgnoreCase)
    {
        ["T-600"] = ([600], false, 20), ["T-1200"] = ([1200], false, 20), ["T-300-300"] = ([300, 300], false, 20), ["R-600"] = ([600], true, 120),
    };

    public static Command Create()
    {
        var bound = new Command("bound", "Numerical generalization bounds on trained nets.");
        bound.Subcommands.Add(PacBayes());
        return bound;
    }

    private static Command PacBayes()
    {
        var c = new Command("pac-bayes", "PAC-Bayes bound with an optimized Gaussian posterior (Dziugaite & Roy 2017) on binary MNIST (0-4 vs 5-9).");
        var setting = new Option<string?>("--setting") { Description = "T-600, T-1200, T-300-300 or R-600 (random labels): the whole pipeline on binary MNIST." };
        var run = new Option<DirectoryInfo?>("--run") { Description = "A finished `gradscope train` run of a binary net: its config, its final weights and its initialization (step-0 checkpoint, else the seeded init)." };
        var outDir = new Option<string?>("--out") { Description = "Output folder for bound.json (default: pac-bayes-<setting>, or RUN/pac-bayes)." };
        var epochs = new Option<int?>("--epochs") { Description = "SGD epochs (batch 100, lr 0.01, momentum 0.9; default: the paper's 20, and 120 for R-600 so the net fits its random labels)." };
        var iterations = new Option<int>("--iterations") { Description = "Posterior optimization steps (default: the paper's 600,000, 1000 epochs of 600 minibatches of 100).", DefaultValueFactory = _ => 600_000 };
        var optimizer = new Option<string>("--optimizer") { Description = "Step rule of the posterior optimization: rmsprop (the paper's) or adam.", DefaultValueFactory = _ => "rmsprop" };
        var lr = new Option<double>("--lr") { Description = "Learning rate of the posterior optimization (w, log s, log lambda).", DefaultValueFactory = _ => 1e-3 };
        var sigmaLr = new Option<double?>("--sigma-lr") { Description = "Learning rate of log s and log lambda (default: --lr, as the paper)." };
        var lrDropAt = new Option<double>("--lr-drop-at") { Description = "Fraction of the posterior steps after which the learning rate drops (the released code: 250 of 1000 epochs).", DefaultValueFactory = _ => 0.25 };
        var lrDropFactor = new Option<double>("--lr-drop-factor") { Description = "Learning-rate drop factor.", DefaultValueFactory = _ => 0.1 };
        var sigmaScale = new Option<double>("--sigma-init-scale") { Description = "Start each posterior standard deviation at this times |w_i| (the released code: 2).", DefaultValueFactory = _ => 2.0 };
        var sigmaInit = new Option<double?>("--sigma-init") { Description = "Start every posterior standard deviation at this value instead of --sigma-init-scale |w_i|." };
        var passes = new Option<int>("--mc-passes") { Description = "Monte Carlo passes over the training set (a fresh weight draw per example; 3 passes of 60,000 give at least the paper's 150,000 trials).", DefaultValueFactory = _ => 3 };
        var delta = new Option<double>("--delta") { Description = "Confidence of the PAC-Bayes step.", DefaultValueFactory = _ => 0.025 };
        var deltaPrime = new Option<double>("--delta-prime") { Description = "Confidence of the Monte Carlo step.", DefaultValueFactory = _ => 0.01 };
        var maxTrain = new Option<double>("--max-train-error") { Description = "Refuse a trained net whose training error is above this.", DefaultValueFactory = _ => 0.05 };
        var train = new Option<int>("--train-samples") { Description = "Use the first N training images (default: all 60,000).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initialization, minibatches and weight noise.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Kernel threads (the posterior steps give the same results for any count).", DefaultValueFactory = _ => Environment.ProcessorCount };
        foreach (var o in new Option[] { setting, run, outDir, epochs, iterations, optimizer, lr, sigmaLr, lrDropAt, lrDropFactor, sigmaScale, sigmaInit, passes, delta, deltaPrime, maxTrain, train, seed, threads }) c.Options.Add(o);
        c.SetAction(pr =>
        {
            try
            {
                string? name = pr.GetValue(setting);
                var runDir = pr.GetValue(run);
                if ((name is null) == (runDir is null)) throw new ArgumentException("bound pac-bayes: give exactly one of --setting NAME and --run DIR.");
                int th = pr.GetValue(threads);
                if (th < 1) throw new ArgumentException($"--threads must be >= 1, got {th}.");
                Parallelism.Threads = th;
                var options = new PosteriorOptions
                {
                    Iterations = pr.GetValue(iterations), LearningRate = pr.GetValue(lr), SigmaLearningRate = pr.GetValue(sigmaLr), Optimizer = ParseOptimizer(pr.GetValue(optimizer)!),
                    LearningRateDropAt = pr.GetValue(lrDropAt), LearningRateDropFactor = pr.GetValue(lrDropFactor),
                    InitialSigmaScale = pr.GetValue(sigmaScale), InitialSigma = pr.GetValue(sigmaInit), McPasses = pr.GetValue(passes),
                    Delta = pr.GetValue(delta), DeltaPrime = pr.GetValue(deltaPrime), MaxTrainError = pr.GetValue(maxTrain), Seed = pr.GetValue(seed),
                };
                options.Validate();
                if (runDir is not null) return RunDirectory(runDir.FullName, options, pr.GetValue(outDir) ?? Path.Combine(runDir.FullName, "pac-bayes"));
                if (!Settings.TryGetValue(name!, out var s))
                    throw new ArgumentException($"--setting: unknown setting '{name}'; choose one of {string.Join(", ", Settings.Keys)}.");
                int e = pr.GetValue(epochs) ?? s.Epochs;
                if (e < 1) throw new ArgumentException($"--epochs must be >= 1, got {e}.");
                string dir = pr.GetValue(outDir) ?? $"pac-bayes-{name}";
                return RunSetting(name!, s.Hidden, s.RandomLabels, e, pr.GetValue(train), options, dir);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or NotSupportedException or TrainConfigException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return c;
    }

    private static int RunSetting(string name, int[] hidden, bool randomLabels, int epochs, int trainSamples, PosteriorOptions options, string dir)
    {
        var clock = Stopwatch.StartNew();
        var registry = DataRegistry.Default();
        if (!registry.Find("mnist-train").IsPresent)
            throw new InvalidOperationException("bound pac-bayes: the MNIST training images are not present; run `gradscope data fetch mnist` first.");
        var trainSet = BinarySplit.Apply(registry.Load("mnist-train"), 5);
        if (trainSamples > 0) trainSet = trainSet.Subset(Enumerable.Range(0, Math.Min(trainSamples, trainSet.N)).ToArray());
        if (randomLabels) trainSet = Transforms.RandomLabels(trainSet, options.Seed + 17);
        var testSet = BinarySplit.Apply(registry.Load("mnist-test"), 5);
        Log(clock, $"{name}: binary MNIST (0-4 vs 5-9), {trainSet.N} training / {testSet.N} test images{(randomLabels ? ", random training labels" : "")}");

        var layers = new List<Layer<float>>();
        int prev = trainSet.D;
        foreach (int h in hidden) { layers.Add(new Dense<float>(prev, h, bias: true)); layers.Add(new Relu<float>()); prev = h; }
        layers.Add(new Dense<float>(prev, 1, bias: true));
        var model = new Sequential<float>([trainSet.D], [.. layers]);
        Init.Apply(model, InitScheme.PyTorchDefault, new Rng(options.Seed));
        var w0 = model.Flat.Select(v => (double)v).ToArray();

        var objective = new Objective<float>(model, trainSet, LossKind.Logistic);
        var sgd = new MomentumSgd<float>(0.9);
        sgd.Initialize(objective);
        var rng = new Rng(options.Seed + 1);
        var order = Enumerable.Range(0, trainSet.N).ToArray();
        long step = 0;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            rng.Shuffle(order.AsSpan());
            double loss = 0; int correct = 0, seen = 0;
            for (int start = 0; start + 100 <= order.Length; start += 100)
            {
                var r = sgd.Step(objective, order.AsSpan(start, 100), new StepContext(step++, 0.01, 0));
                loss += r.Before.L * r.Before.Count; correct += r.Before.Correct; seen += r.Before.Count;
            }
            if (!double.IsFinite(loss)) throw new InvalidOperationException($"bound pac-bayes: SGD diverged in epoch {epoch} (non-finite loss).");
            Log(clock, $"SGD epoch {epoch}/{epochs}: mean minibatch loss {loss / seen:F4}, minibatch accuracy {(double)correct / seen:F4}");
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;

        var report = PacBayesComputation.Run(model, w0, trainSet, testSet, options, msg => Log(clock, msg));
        var extra = new Dictionary<string, object> { ["setting"] = name, ["epochs"] = epochs, ["seconds_training"] = trainSeconds };
        return Write(report, options, extra, clock, dir, name);
    }

    /// <summary>The bound on a finished train run: the seeded trainer rebuilds its data and initialization; the final weights come from model.safetensors.</summary>
    private static int RunDirectory(string runDir, PosteriorOptions options, string dir)
    {
        var clock = Stopwatch.StartNew();
        string configPath = Path.Combine(runDir, "config.yaml"), weights = Path.Combine(runDir, "model.safetensors");
        if (!File.Exists(configPath)) throw new IOException($"--run {runDir}: no config.yaml (not a `gradscope train` run directory).");
        if (!File.Exists(weights)) throw new IOException($"--run {runDir}: no model.safetensors (the run has not finished).");
        var config = TrainConfigYaml.Load(configPath);
        return config.DType == "f32" ? RunDirectory<float>(config, runDir, weights, options, dir, clock) : RunDirectory<double>(config, runDir, weights, options, dir, clock);
    }

    private static int RunDirectory<T>(TrainConfig config, string runDir, string weights, PosteriorOptions options, string dir, Stopwatch clock)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var trainer = new Trainer<T>(config);   // the seeded initialization: the prior mean w0
        var model = trainer.Model;
        string init = "seeded initialization";
        string step0 = Path.Combine(runDir, "checkpoints", "step-0000000000.safetensors");
        if (File.Exists(step0))
        {
            var tensors = SafeTensors.Read(step0).Where(t => t.Name.StartsWith("model.", StringComparison.Ordinal))
                .Select(t => t with { Name = t.Name["model.".Length..] }).ToList();
            StateDict.Load(model, tensors, step0);
            init = step0;
        }
        var w0 = model.Flat.Select(v => double.CreateChecked(v)).ToArray();
        StateDict.Load(model, weights);
        if (model.Outputs != 1) throw new NotSupportedException($"--run {runDir}: the PAC-Bayes bound here is for binary nets (one output); the model has {model.Outputs}.");
        Log(clock, $"run {runDir}: {trainer.Train.N} training samples, {trainer.Test?.N ?? 0} test samples, prior mean from the {init}");
        var report = PacBayesComputation.Run(model, w0, trainer.Train, trainer.Test, options, msg => Log(clock, msg));
        var extra = new Dictionary<string, object> { ["run"] = runDir, ["prior_mean"] = init };
        return Write(report, options, extra, clock, dir, Path.GetFileName(runDir.TrimEnd('/')));
    }

    private static int Write(PacBayesReport report, PosteriorOptions options, Dictionary<string, object> extra, Stopwatch clock, string dir, string name)
    {
        Directory.CreateDirectory(dir);
        var json = new Dictionary<string, object?>
        {
            ["bound"] = report.Bound, ["kl"] = report.Kl,
            ["train_error_mc"] = report.TrainErrorMc, ["train_error_mc_bound"] = report.TrainErrorMcBound, ["m"] = report.M,
            ["train_error_deterministic"] = report.TrainErrorDeterministic,
            ["test_error_stochastic"] = Finite(report.TestErrorStochastic), ["test_error_deterministic"] = Finite(report.TestErrorDeterministic),
            ["j"] = report.J, ["lambda"] = report.Lambda, ["lambda_continuous"] = report.LambdaContinuous,
            ["union_cost"] = report.UnionCost, ["confidence_term"] = report.ConfidenceTerm, ["budget"] = report.Budget,
            ["n"] = report.N, ["parameters"] = report.Parameters, ["delta"] = report.Delta, ["delta_prime"] = report.DeltaPrime,
            ["confidence"] = 1 - report.Delta - report.DeltaPrime,
            ["distance_from_init"] = report.DistanceFromInit, ["mean_sigma"] = report.MeanSigma, ["final_objective"] = report.FinalObjective,
            ["posterior_steps"] = report.Steps, ["optimizer"] = options.Optimizer == PosteriorOptimizerKind.Adam ? "adam" : "rmsprop",
            ["learning_rate"] = options.LearningRate, ["sigma_learning_rate"] = options.SigmaLearningRate ?? options.LearningRate, ["learning_rate_drop_at"] = options.LearningRateDropAt, ["learning_rate_drop_factor"] = options.LearningRateDropFactor,
            ["mc_passes"] = options.McPasses,
            ["sigma_init"] = options.InitialSigma is double s0 ? s0.ToString("R", CultureInfo.InvariantCulture) : options.InitialSigmaScale.ToString("R", CultureInfo.InvariantCulture) + " |w|", ["seed"] = options.Seed,
            ["seconds_bound"] = report.Seconds, ["seconds"] = clock.Elapsed.TotalSeconds,
            ["load_average"] = LoadAverage(),
            // The same numbers under the registry's keys (pacbayes.*, train_error, test_error, n_params): MeasureFile reads them.
            ["measures"] = report.Measures(),
        };
        foreach (var (k, v) in extra) json[k] = v;
        string path = Path.Combine(dir, "bound.json");
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: PAC-Bayes bound {report.Bound:F4} (KL {report.Kl:F0}, MC training error {report.TrainErrorMc:F4} <= {report.TrainErrorMcBound:F4}, " +
            $"stochastic test error {report.TestErrorStochastic:F4}, deterministic {report.TestErrorDeterministic:F4}), confidence {1 - report.Delta - report.DeltaPrime:F3}; {clock.Elapsed.TotalSeconds:F0} s; wrote {path}"));
        return 0;
    }

    private static PosteriorOptimizerKind ParseOptimizer(string name) => name.ToLowerInvariant() switch
    {
        "rmsprop" => PosteriorOptimizerKind.RmsProp,
        "adam" => PosteriorOptimizerKind.Adam,
        _ => throw new ArgumentException($"--optimizer: unknown step rule '{name}'; choose rmsprop or adam."),
    };

    private static object? Finite(double v) => double.IsFinite(v) ? v : null;

    private static void Log(Stopwatch clock, string message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,6:F0} s] {message}"));

    private static string LoadAverage()
    {
        try { return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : ""; }
        catch (IOException) { return ""; }
    }
}
