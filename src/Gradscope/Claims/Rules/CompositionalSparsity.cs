using System.Globalization;

namespace Gradscope.Claims.Rules;

using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// compositional-sparsity (Poggio et al. 2017; Mhaskar, Liao &amp; Poggio 2017): a binary-label target sign f(x) with f a
/// complete binary tree of 2-variable functions whose leaf-level nodes are products a b (non-unate, XOR-type) under
/// tanh nodes (Data/SyntheticCompositional, node product_tanh), leaves laid out in Z order on a square image so that
/// each 2 x 2 block is a depth-2 subtree. A deep net of locally connected layers (kernel 2, stride 2, no weight sharing)
/// mirrors the tree; a shallow net is one dense hidden layer with a matched parameter count; the control is the same
/// locally connected net on a scrambled leaf layout. Each net's step size is chosen from one grid by its validation
/// error at the middle training size; all are then trained on nested training sets of growing size n and evaluated on
/// one large test set from a separate stream. Hypotheses: a least-squares linear classifier errs &gt;= 0.35 on the test
/// set (the target is far from a halfspace) and the parameter counts match within 10%. Check: the shallow net needs
/// &gt;= 4x the samples of the deep net to reach the target test error; the control is judged by the same ratio.
/// </summary>
public sealed class CompositionalSparsity : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "compositional-sparsity";

    private static readonly string[] NetKeys = ["deep", "shallow", "scrambled"];

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var sizes = ctx.Parameters.Ints("sizes");
        double target = ctx.Parameters.Double("target_error");
        double[] grid = ctx.Parameters.Doubles("eta_grid");
        int nVal = ctx.Parameters.Int("validation_n");
        if (sizes.Length == 0 || grid.Length == 0 || nVal < 1)
            throw new InvalidDataException($"{ctx.Definition.Source}: sizes and eta_grid must be non-empty and validation_n >= 1.");
        int nRef = sizes[sizes.Length / 2];

        var errors = new Dictionary<string, List<double>>();
        var parameters = new Dictionary<string, long>();
        var chosen = new Dictionary<string, double>();
        double majorityError = double.NaN, linearError = double.NaN;

        // every run is independent given its step size: the step-size selection runs of all nets side by side, then
        // the size sweeps of all nets, one kernel thread each (the same numbers as one after another)
        var validation = NetKeys.ToDictionary(net => net, net => ValidationSet(ctx, net, sizes.Max(), nVal));
        var selection = NetKeys.SelectMany(net => grid.Select(eta => (Net: net, Eta: eta))).ToList();
        var selected = ParallelRuns.Map(ctx, selection, job =>
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"{job.Net}-n{nRef}-eta{job.Eta:G4}");
            var cfg = Sized(ctx, job.Net, nRef, job.Eta);
            var trainer = new Trainer<double>(cfg);
            try
            {
                ctx.Progress($"{name}: training (step-size selection)");
                var result = ctx.Run(trainer, name);
                return (Parameters: trainer.Model.ParameterCount, Validation: Error(trainer, validation[job.Net]), Test: (double?)result.Final["test_error"], Failure: (string?)null);
            }
            catch (InvalidOperationException e)
            {
                return (trainer.Model.ParameterCount, 1.0, null, e.Message); // a diverged run is never chosen over a finite one
            }
        });
        var atRef = NetKeys.ToDictionary(net => net, _ => new Dictionary<double, double>());
        for (int i = 0; i < selection.Count; i++)
        {
            var (net, eta) = selection[i];
            var r = selected[i];
            parameters[net] = r.Parameters;
            if (r.Failure is { } failure) outcome.Notes.Add($"{net}, eta = {ClaimContext.Fmt(eta)} at n = {nRef}: {failure}");
            else atRef[net][eta] = r.Test!.Value;
            outcome.Numbers.Add(Evidence.Info($"{net} net, eta = {ClaimContext.Fmt(eta)}: validation error at n = {nRef}", r.Validation));
            if (!chosen.ContainsKey(net) || r.Validation < selected[selection.IndexOf((net, chosen[net]))].Validation) chosen[net] = eta;
        }

        var sweep = NetKeys.SelectMany(net => sizes.Where(n => !(n == nRef && atRef[net].ContainsKey(chosen[net]))).Select(n => (Net: net, N: n)))
            .OrderByDescending(j => j.N).ToList();
        var swept = ParallelRuns.Map(ctx, sweep, job =>
        {
            var trainer = new Trainer<double>(Sized(ctx, job.Net, job.N, chosen[job.Net]));
            string name = $"{job.Net}-n{job.N}";
            ctx.Progress($"{name}: training");
            var result = ctx.Run(trainer, name);
            double majority = double.NaN, linear = double.NaN;
            if (job.Net == "deep" && job.N == sizes.Max() && trainer.Test is { } test)
            {
                double ones = test.Y.Count(y => y == 1) / (double)test.N;
                majority = Math.Min(ones, 1 - ones);
                linear = LinearBaseline.Error(LinearBaseline.Fit(trainer.Train), test);
            }
            return (Error: result.Final["test_error"], Majority: majority, Linear: linear);
        });
        var at = sweep.Zip(swept).ToDictionary(x => x.First, x => x.Second);
        foreach (string net in NetKeys)
        {
            errors[net] = sizes.Select(n => at.TryGetValue((net, n), out var r) ? r.Error : atRef[net][chosen[net]]).ToList();
            if (net == "deep" && at.TryGetValue((net, sizes.Max()), out var largest) && !double.IsNaN(largest.Linear))
                (majorityError, linearError) = (largest.Majority, largest.Linear);
        }
        if (double.IsNaN(linearError))
        {
            // the largest size was the reference size of the deep net: fit the baseline on a fresh copy of that training set
            var trainer = new Trainer<double>(Sized(ctx, "deep", sizes.Max()));
            var test = trainer.Test ?? throw new InvalidDataException($"{ctx.Definition.Source}: the deep config needs a test set.");
            double ones = test.Y.Count(y => y == 1) / (double)test.N;
            majorityError = Math.Min(ones, 1 - ones);
            linearError = LinearBaseline.Error(LinearBaseline.Fit(trainer.Train), test);
        }

        double match = parameters["shallow"] / (double)parameters["deep"];
        outcome.Hypotheses.Add(ctx.Hypothesis("linear_baseline_error", linearError));
        outcome.Hypotheses.Add(ctx.Hypothesis("parameter_match", match));

        int nShallow = FirstReaching(sizes, errors["shallow"], target);
        (double Ratio, string Label) Ratio(string net)
        {
            int nNet = FirstReaching(sizes, errors[net], target);
            if (nNet < 0) return (double.NaN, $" (the {net} net never reached it)");
            return nShallow < 0 ? (sizes.Max() / (double)nNet, $" (the shallow net never reached it: lower bound with n = {sizes.Max()})") : (nShallow / (double)nNet, "");
        }
        var deepRatio = Ratio("deep"); var scrambledRatio = Ratio("scrambled");
        outcome.Numbers.Insert(0, ctx.Check("sample_ratio", $"n for the shallow net / n for the deep LC net to reach test error {ClaimContext.Fmt(target)}{deepRatio.Label}", deepRatio.Ratio));
        outcome.Controls.Add(ctx.Control("scrambled-layout",
            ctx.Check("sample_ratio", $"n for the shallow net / n for the LC net on the scrambled layout to reach test error {ClaimContext.Fmt(target)}{scrambledRatio.Label}", scrambledRatio.Ratio)));
        foreach (string net in NetKeys)
        {
            outcome.Numbers.Add(Evidence.Info($"{net} net: smallest n reaching the target error (-1: never)", FirstReaching(sizes, errors[net], target),
                $"eta = {ClaimContext.Fmt(chosen[net])} (validation rule); test errors {string.Join(", ", errors[net].Select(ClaimContext.Fmt))} at n = {string.Join(", ", sizes)}"));
            outcome.Numbers.Add(Evidence.Info($"{net} net: parameters", parameters[net]));
        }
        outcome.Numbers.Add(Evidence.Info("test error of always predicting the majority class", majorityError));

        var ns = sizes.Select(v => (double)v).ToList();
        outcome.Charts.Add(Charts.Lines("error-vs-n", "Test error vs number of training samples",
            $"Deep locally connected net matching the tree, the same net on a scrambled leaf layout (control), and a parameter-matched one-hidden-layer dense net, each with its step size chosen by validation; the dashed level is the certified linear baseline. The claim: the deep net reaches test error {ClaimContext.Fmt(target)} with >= 4x fewer samples than the shallow one, the scrambled one does not.",
            "training samples n", "test error",
            [new Series("deep locally connected", ns, errors["deep"]), new Series("shallow dense", ns, errors["shallow"]),
             new Series("locally connected, scrambled layout (control)", ns, errors["scrambled"]),
             new Series("linear least-squares classifier (largest n)", ns, ns.Select(_ => linearError).ToList())], logX: true));
        outcome.Notes.Add("The deep net: locally connected layers (kernel 2 x 2, stride 2, no weight sharing, ReLU) down to one position, then a dense output; with the Z-order layout each layer's receptive fields are exactly the subtrees two tree levels higher. The shallow net: one dense ReLU hidden layer. The control: the deep architecture on the leaves placed at a seeded random permutation of the pixels.");
        outcome.Notes.Add("Leaf-level nodes a b are XOR-type: f(x) keeps its value when two sibling leaves both flip sign and changes sign when one does, so E[f x_i] = 0 for every leaf and linear classifiers are at chance; the inputs are uniform on [-1, 1]^d.");
        outcome.Notes.Add($"Step sizes: for each net, the eta of [{string.Join(", ", grid.Select(ClaimContext.Fmt))}] with the lowest error on {nVal} validation samples (the training stream after the largest training set: disjoint from every training set and from the test stream) after training on n = {nRef}. Training sets are nested prefixes of one stream; every net trains with the same loss and number of full-batch GD steps.");
        return outcome;
    }

    private static TrainConfig Sized(ClaimContext ctx, string net, int n) =>
        ConfigVariants.WithTrainDataParameter(ctx.Config(net, $"n{n}"), "n", n);

    // net's config at training size n and step size eta, with one kernel thread (the runs go side by side)
    private static TrainConfig Sized(ClaimContext ctx, string net, int n, double eta)
    {
        var cfg = Sized(ctx, net, n);
        return cfg with { Algorithm = cfg.Algorithm with { Eta = eta }, Threads = 1 };
    }

    // the samples after the largest training set in the training stream of net's data (same tree, same layout)
    private static Dataset ValidationSet(ClaimContext ctx, string net, int nMax, int nVal)
    {
        var cfg = Sized(ctx, net, nMax + nVal);
        var data = DataResolver.Resolve(cfg.Data.Train.Name, cfg.Data.Train.Params, isTest: false, runSeed: cfg.Seed)
            ?? throw new InvalidDataException($"{ctx.Definition.Source}: {net}.data.train '{cfg.Data.Train.Name}' is not a generator.");
        if (data.N != nMax + nVal) throw new InvalidDataException($"{ctx.Definition.Source}: {net}.data.train must be a generator with parameter n.");
        return data.Subset(Enumerable.Range(nMax, nVal).ToArray(), "validation");
    }

    // the classification error as the registry's train_error/test_error compute it (SampleOutputs.Error)
    private static double Error(Trainer<double> trainer, Dataset data) => Measures.Registry.SampleOutputs.Error(ModelEval.Outputs(trainer.Model, data), data.Y);

    private static int FirstReaching(int[] sizes, List<double> errors, double target)
    {
        for (int i = 0; i < sizes.Length; i++) if (errors[i] <= target) return sizes[i];
        return -1;
    }
}
