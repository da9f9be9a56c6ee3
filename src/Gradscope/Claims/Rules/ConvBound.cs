namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// conv-bound: bias-free conv nets of several channel counts on real 8x8 digit images, trained by the shared
/// trainer to zero training error. For each net, at init and after training, the Frobenius-product bound of
/// paper 4 with rho over the kernels (||w_k||_F) against the same bound with rho over the dense-equivalent
/// Toeplitz matrices (||M_k||_F), both from <see cref="ConvKernelNormBound"/>. The ratio of the two bounds is
/// the ratio of the two rho's: the margin and the other factors cancel.
/// </summary>
public sealed class ConvBound : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "conv-bound";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var channels = ctx.Parameters.Ints("channels");
        double worst = 0;
        var bars = new List<Bar>();
        foreach (int ch in channels)
        {
            string name = $"c{ch}";
            var cfg = ConfigVariants.WithLayerParameter(ctx.Config("train", name), "conv2d", "out_channels", ch);
            var trainer = new Trainer<double>(cfg);
            var train = trainer.Train;
            double maxNorm = Margins.MaxInputNorm(train);
            // At init the minimum margin is not positive, so the bounds are undefined; their ratio is
            // prod ||M_k||_F / prod ||w_k||_F for any margin, so any positive margin (1) gives it.
            var atInit = ConvKernelNormBound.Of(trainer.Model, maxNorm, train.N, 1.0);
            ctx.Progress($"{name}: training");
            var result = ctx.Run(trainer, name);
            double minMargin = Margins.Raw(trainer.Model, train).Min();
            var trained = ConvKernelNormBound.Of(trainer.Model, maxNorm, train.N, minMargin > 0 ? minMargin : 1.0);
            double initRatio = 1 / atInit.Ratio, trainedRatio = 1 / trained.Ratio;
            worst = Math.Max(worst, Math.Max(initRatio, trainedRatio));
            outcome.Numbers.Add(Evidence.Info($"{ch} channels: kernel / dense-equivalent bound at init", initRatio));
            outcome.Numbers.Add(Evidence.Info($"{ch} channels: kernel / dense-equivalent bound after training", trainedRatio));
            outcome.Numbers.Add(Evidence.Info($"{ch} channels: training accuracy", result.Final["train_acc"]));
            outcome.Numbers.Add(Evidence.Info($"{ch} channels: test error", 1 - result.Final["test_acc"]));
            if (minMargin > 0)
            {
                outcome.Numbers.Add(Evidence.Info($"{ch} channels: kernel-norm bound after training", trained.KernelNorm));
                outcome.Numbers.Add(Evidence.Info($"{ch} channels: dense-equivalent bound after training", trained.DenseEquivalent));
                bars.Add(new Bar($"{ch} channels", trained.KernelNorm, "kernel-norm bound"));
                bars.Add(new Bar($"{ch} channels", trained.DenseEquivalent, "dense-equivalent bound"));
            }
            else outcome.Notes.Add($"{ch} channels: training did not separate the training set (min margin {ClaimContext.Fmt(minMargin)}), so its bounds are undefined; the ratio is that of the two rho's.");
        }
        outcome.Numbers.Insert(0, ctx.Check("kernel_over_dense", "largest kernel-norm / dense-equivalent bound over the nets, at init and after training", worst));
        if (bars.Count > 0)
            outcome.Charts.Add(Charts.Bars("bounds", "Kernel-norm vs dense-equivalent bound after training",
                "B (sqrt(2 L ln 2) + 1) rho / (sqrt(n) min margin) with rho the product of kernel norms ||w_k||_F, or of the Frobenius norms of the dense-equivalent (Toeplitz) matrices; log scale.",
                "net", "bound", bars, logY: true));
        outcome.Notes.Add("Nets: three bias-free 3x3 conv layers (padding 1) with ReLU and a dense output layer, on 8x8 digit images scaled to [0, 1]; full-batch GD on cross-entropy until zero training error.");
        return outcome;
    }
}
