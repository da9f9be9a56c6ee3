namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// no-overfitting-with-width (memo 90, Poggio et al.): bias-free one-hidden-layer ReLU MLPs of growing width on a real
/// digit subset, each trained by the shared trainer (loss-scaled full-batch GD, cross-entropy) far past interpolation,
/// to a training loss of 1e-6. Hypotheses: every width interpolates at that loss. Checks: the test error (on a disjoint
/// test set) grows over the smallest width by at most 2 standard errors, and the rho-bound
/// B (sqrt(2 L ln 2) + 1) / (sqrt(n) gamma_min) (gamma_min = min_i m_i / rho, <see cref="FrobeniusProductBound"/>) stays
/// within a factor 2 of its value at the smallest width. Control: the VC term sqrt(p L ln p / n) judged by the same ratio.
/// </summary>
public sealed class NoOverfittingWithWidth : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "no-overfitting-with-width";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var widths = ctx.Parameters.Ints("widths");
        var testError = new List<double>(); var trainAcc = new List<double>(); var trainLoss = new List<double>();
        var rhoBound = new List<double>(); var spectral = new List<double>(); var gammas = new List<double>(); var vc = new List<double>();
        // every width side by side, one kernel thread each (the same numbers as one after another), the widest first
        var order = Enumerable.Range(0, widths.Length).OrderByDescending(i => widths[i]).ToList();
        var done = new PerWidth[widths.Length];
        var results = ParallelRuns.Map(ctx, order, i => Train(ctx, widths[i]));
        for (int k = 0; k < order.Count; k++) done[order[k]] = results[k];
        int nTest = done[0].NTest;
        foreach (var (w, d) in widths.Zip(done))
        {
            testError.Add(d.TestError); trainAcc.Add(d.TrainAcc); trainLoss.Add(d.TrainLoss);
            rhoBound.Add(d.RhoBound); spectral.Add(d.Spectral); gammas.Add(d.Gamma); vc.Add(d.Vc);
            outcome.Numbers.Add(Evidence.Info($"width {w}: test error", testError[^1],
                $"training loss {ClaimContext.Fmt(trainLoss[^1])}, training accuracy {ClaimContext.Fmt(trainAcc[^1])} after {d.Steps} steps ({d.Reason}); gamma_min = {ClaimContext.Fmt(gammas[^1])}") with { Key = "test_error" });
        }
        outcome.Hypotheses.Add(ctx.Hypothesis("interpolation", trainAcc.Min()));
        outcome.Hypotheses.Add(ctx.Hypothesis("training_loss", trainLoss.Max()) with { Key = "train_loss" });
        outcome.Hypotheses.Add(ctx.Hypothesis("widths", widths.Distinct().Count()));

        double worstZ = double.NegativeInfinity;
        for (int i = 1; i < widths.Length; i++)
        {
            double se = ErrorRates.DifferenceStandardError(testError[i], testError[0], nTest);
            double z = (testError[i] - testError[0]) / se;
            worstZ = Math.Max(worstZ, double.IsNaN(z) ? 0 : z);
        }
        double MaxRatio(List<double> v) => v.All(double.IsFinite) ? v.Max(x => x / v[0]) : double.NaN; // undefined when a width did not separate
        outcome.Numbers.Insert(0, ctx.Check("error_increase", worstZ));
        outcome.Numbers.Insert(1, ctx.Check("bound_ratio", $"largest rho-bound(w) / rho-bound(w_min = {widths[0]})", MaxRatio(rhoBound)));
        outcome.Controls.Add(ctx.Control("vc-capacity",
            ctx.Check("bound_ratio", $"largest VC term(w) / VC term(w_min = {widths[0]})", MaxRatio(vc))));
        outcome.Numbers.Add(Evidence.Info("largest test-error increase over the smallest width (absolute)", testError.Skip(1).Max() - testError[0]));
        outcome.Numbers.Add(Evidence.Info("largest spectral term R ||X||_F / (n m_min) ratio to the smallest width", MaxRatio(spectral)));
        outcome.Numbers.Add(Evidence.Info("Kendall tau(rho-bound, test error) over the widths", KendallTaus.Pooled(rhoBound, testError)));

        var ws = widths.Select(v => (double)v).ToList();
        outcome.Charts.Add(Charts.Lines("error", "Test error vs width, past interpolation",
            "Every width trained by loss-scaled GD to training cross-entropy 1e-6 (zero training error). The claim: the test error does not grow with width (within 2 standard errors of the narrowest net's).",
            "hidden width", "test error", [new Series("test error", ws, testError)], logX: true));
        outcome.Charts.Add(Charts.Lines("bounds", "rho-bound vs VC term, relative to the narrowest net",
            "The rho-bound B (sqrt(2 L ln 2) + 1) / (sqrt(n) gamma_min) and the spectral term R ||X||_F / (n m_min), each divided by its value at the smallest width, beside the VC term sqrt(p L ln p / n) divided likewise (it grows like sqrt(p)); log-log. The claim: the margin bounds stay within a factor 2, the VC term does not.",
            "hidden width", "bound / bound at the smallest width",
            [new Series("rho-bound", ws, rhoBound.Select(x => x / rhoBound[0]).ToList()), new Series("spectral term", ws, spectral.Select(x => x / spectral[0]).ToList()),
             new Series("VC term (control)", ws, vc.Select(x => x / vc[0]).ToList())], logX: true, logY: true));
        var c = ctx.Config("train");
        outcome.Notes.Add($"Bias-free one-hidden-layer ReLU MLPs (He init) on a random subset of {c.Data.Train.Name} (n = {c.Data.Subsample}); loss-scaled full-batch GD (eta / L, eta = {ClaimContext.Fmt(c.Algorithm.Eta)}) on cross-entropy until the training loss is <= {ClaimContext.Fmt(c.Stop.Loss ?? double.NaN)}. Test set: {c.Data.Test?.Name} ({nTest} points, disjoint from the training source).");
        outcome.Notes.Add("The standard error of a difference of two error rates treats them as independent binomial proportions on the test set (conservative: on a shared test set they are positively correlated).");
        return outcome;
    }

    private sealed record PerWidth(double TestError, double TrainAcc, double TrainLoss, double RhoBound, double Spectral, double Gamma, double Vc, long Steps, string? Reason, int NTest);

    // one width: trained to the stop rule, then its margins, norms and bounds
    private static PerWidth Train(ClaimContext ctx, int w)
    {
        string name = $"w{w}";
        var cfg = ConfigVariants.WithHiddenWidth(ctx.Config("train", name), w) with { Threads = 1 };
        var trainer = new Trainer<double>(cfg);
        ctx.Progress($"{name}: training");
        var result = ctx.Run(trainer, name);
        var train = trainer.Train;
        int nTest = trainer.Test?.N ?? throw new InvalidDataException($"{ctx.Definition.Source}: the train config needs a test set.");
        // rho, the Frobenius-product bound (margin = the minimum raw margin), R, ||X||_F, gamma_min and the VC term from the registry
        var c = ClaimMeasures.Context(trainer.Model, train);
        var v = ClaimMeasures.Values(c, "margin.min", "rho", "bound.frobenius_product", "spectral_complexity", "input_frobenius", "gamma_min", "bound.vc");
        var raw = c.SampleOutputs.Raw;
        double minMargin = v["margin.min"];
        return new PerWidth(result.Final["test_error"], raw.Count(m => m > 0) / (double)train.N, result.Final["train_loss"],
            minMargin > 0 ? v["bound.frobenius_product"] : double.NaN,
            minMargin > 0 ? v["spectral_complexity"] * v["input_frobenius"] / (train.N * minMargin) : double.NaN,
            v["gamma_min"], v["bound.vc"], result.Steps, result.Reason, nTest);
    }
}
