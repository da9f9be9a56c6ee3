namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// conv-bound (paper 4): one bias-free conv architecture trained by the shared trainer on training sets of several
/// sizes n (random subsets of the same real digits), every net to the same training cross-entropy (Jiang et al. 2020:
/// measures are compared at equal fit), certified as hypotheses. Per net: the kernel-norm bound
/// B (sqrt(2 L ln 2) + 1) prod_k ||w_k||_F / (sqrt(n) gamma_min) and the dense-equivalent (Toeplitz) bound from
/// <see cref="ConvKernelNormBound"/>, the test error and the training error. Checks: the kernel-norm bound orders the
/// test error across the nets (Kendall tau) and lies above every net's generalization gap. Control: the kernel-norm
/// product alone, judged by the same checks. The kernel / dense ratio is fixed by the architecture (a geometric
/// identity), so it is context.
/// </summary>
public sealed class ConvBound : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "conv-bound";

    private sealed record Net(int N, double TrainAcc /* share of training points with a positive margin, final weights */, double TestError, double MinMargin, ConvBoundResult? Bound, ConvBoundResult AtInit, long Steps, string Reason, bool Homogeneous, double TrainLoss);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var sizes = ctx.Parameters.Ints("sizes");
        // independent runs side by side, one kernel thread each (the same results as one after another)
        var nets = ParallelRuns.Map(ctx, sizes, size =>
        {
            string name = $"n{size}";
            var cfg = ctx.Config("train", name) with { Threads = 1 };
            cfg = cfg with { Data = cfg.Data with { Subsample = size } };
            var trainer = new Trainer<double>(cfg);
            var train = trainer.Train;
            double maxNorm = Margins.MaxInputNorm(train);
            // the ratio at init does not depend on the margin (any positive margin gives it)
            var atInit = ConvKernelNormBound.Of(trainer.Model, maxNorm, train.N, 1.0);
            ctx.Progress($"{name}: training");
            var result = ctx.Run(trainer, name);
            var margins = Margins.Raw(trainer.Model, train);
            double minMargin = margins.Min();
            // the margin bound needs a positive minimum margin; without one the train_fit hypothesis fails and no bound is judged
            var bound = minMargin > 0 ? ConvKernelNormBound.Of(trainer.Model, maxNorm, train.N, minMargin) : null;
            return new Net(train.N, margins.Count(m => m > 0) / (double)train.N, result.Final["test_error"], minMargin, bound, atInit,
                result.Steps, result.Reason ?? "", trainer.Model.IsHomogeneous, result.Final["train_loss"]);
        }).ToList();

        outcome.Hypotheses.Add(ctx.Hypothesis("training_loss", nets.Max(x => x.TrainLoss)) with { Key = "train_loss" });
        outcome.Hypotheses.Add(ctx.Hypothesis("equal_loss", nets.Max(x => x.TrainLoss) / nets.Min(x => x.TrainLoss)));
        outcome.Hypotheses.Add(ctx.Hypothesis("train_fit", nets.Min(x => x.TrainAcc)));
        outcome.Hypotheses.Add(ctx.Hypothesis("bias_free", nets.All(x => x.Homogeneous) ? 1 : 0));
        outcome.Hypotheses.Add(ctx.Hypothesis("nets", nets.Count));
        foreach (var x in nets)
            outcome.Numbers.Add(Evidence.Info($"n = {x.N}: test error", x.TestError, $"training cross-entropy {ClaimContext.Fmt(x.TrainLoss)}, training accuracy {ClaimContext.Fmt(x.TrainAcc)}, min margin {ClaimContext.Fmt(x.MinMargin)} after {x.Steps} steps ({x.Reason})") with { Key = "test_error" });
        if (outcome.Hypotheses.Any(h => !h.Holds) || nets.Any(x => x.Bound is null)) return outcome;

        var err = nets.Select(x => x.TestError).ToList();
        double MinOverGap(Func<Net, double> q) => nets.Min(x => q(x) / (x.TestError - (1 - x.TrainAcc)));
        var kernel = nets.Select(x => x.Bound!.KernelNorm).ToList();
        var rhoAlone = nets.Select(x => x.Bound!.KernelRho).ToList();
        outcome.Numbers.Add(ctx.Check("bound_orders_error", "Kendall tau-b(kernel-norm bound, test error) over the nets", KendallTaus.Pooled(kernel, err)));
        outcome.Numbers.Add(ctx.Check("bound_above_gap", "smallest kernel-norm bound / (test error - training error) over the nets", MinOverGap(x => x.Bound!.KernelNorm)));
        outcome.Controls.Add(ctx.Control("kernel-rho-alone",
            ctx.Check("bound_orders_error", "Kendall tau-b(prod_k ||w_k||_F, test error) over the nets", KendallTaus.Pooled(rhoAlone, err)),
            ctx.Check("bound_above_gap", "smallest prod_k ||w_k||_F / (test error - training error) over the nets", MinOverGap(x => x.Bound!.KernelRho))));
        outcome.Numbers.Add(Evidence.Info("Kendall tau-b(dense-equivalent bound, test error)", KendallTaus.Pooled(nets.Select(x => x.Bound!.DenseEquivalent).ToList(), err),
            "the same architecture at every n: the dense bound is the kernel bound times a constant, so it orders the nets identically"));
        foreach (var x in nets)
        {
            string l = $"n = {x.N}";
            outcome.Numbers.Add(Evidence.Info($"{l}: kernel-norm bound", x.Bound!.KernelNorm));
            outcome.Numbers.Add(Evidence.Info($"{l}: dense-equivalent bound", x.Bound!.DenseEquivalent));
            outcome.Numbers.Add(Evidence.Info($"{l}: prod_k ||w_k||_F (kernel rho)", x.Bound!.KernelRho) with { Key = "rho_kernel" });
            outcome.Numbers.Add(Evidence.Info($"{l}: kernel / dense-equivalent bound after training", 1 / x.Bound!.Ratio,
                $"at init {ClaimContext.Fmt(1 / x.AtInit.Ratio)}: set by the architecture (valid positions per tap), an identity, not a finding"));
        }

        var ns = nets.Select(x => (double)x.N).ToList();
        outcome.Charts.Add(Charts.Lines("bound-vs-n", "Kernel-norm bound and test error vs training-set size",
            "The kernel-norm bound B (sqrt(2 L ln 2) + 1) prod ||w_k||_F / (sqrt(n) gamma_min), the dense-equivalent bound, the kernel-norm product alone (control) and the test error of the same conv architecture trained to the same training cross-entropy on n samples; log-log. The claim: the bound falls with the test error and stays above it.",
            "training samples n", "value",
            [new Series("kernel-norm bound", ns, kernel), new Series("dense-equivalent bound", ns, nets.Select(x => x.Bound!.DenseEquivalent).ToList()),
             new Series("prod ||w_k||_F (control)", ns, rhoAlone), new Series("test error", ns, err)], logX: true, logY: true));
        outcome.Charts.Add(Charts.Scatter("bound-vs-error", "Kernel-norm bound vs test error",
            "Each point is one conv net (training-set size n); the claim: the bound orders the test error.",
            "kernel-norm bound", "test error", nets.Select(x => new Point(x.Bound!.KernelNorm, x.TestError, null, $"n = {x.N}")).ToList(), logX: true));
        var c = ctx.Config("train");
        outcome.Notes.Add($"Nets: bias-free 3x3 conv layers (padding 1) with ReLU and a dense output layer, on 8x8 digit images of {c.Data.Train.Name} scaled to [0, 1], random subsets of n = {string.Join(", ", sizes)}; full-batch loss-scaled GD on cross-entropy (eta = {ClaimContext.Fmt(c.Algorithm.Eta)}) until the training cross-entropy is {ClaimContext.Fmt(c.Stop.Loss ?? double.NaN)} (or the step cap), every net at the same fit. Test set: {c.Data.Test?.Name} (disjoint writers).");
        outcome.Notes.Add("The bound is the Golowich-Rakhlin-Shamir Rademacher term with the kernel norms ||w_k||_F of paper 4 (B = max_i ||x_i||, gamma_min the minimum raw training margin); its confidence term is left out, so the comparison with the gap is the main term's.");
        return outcome;
    }
}
