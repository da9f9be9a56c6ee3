namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// no-overfitting-with-width: bias-free ReLU MLPs of growing hidden width on a real digit subset, each trained by
/// the shared trainer (full-batch GD, cross-entropy) to a small training loss. Widths that reach zero training
/// error interpolate; the smallest of them is the interpolation width. Past it, the test error (on a separate
/// writers' test set) must not grow. Beside it: the normalized-margin bound R ||X||_F / (n m_min) (spectral
/// complexity R, THEORY.md section 3; m_min the minimum raw training margin), the Frobenius-product rho-bound
/// B (sqrt(2 L ln 2) + 1) rho / (sqrt(n) m_min), and the minimum normalized margin gamma = m_min / rho.
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
        var testError = new List<double>(); var trainError = new List<double>();
        var spectralBound = new List<double>(); var rhoBound = new List<double>(); var gammas = new List<double>();
        foreach (int w in widths)
        {
            string name = $"w{w}";
            var cfg = ConfigVariants.WithHiddenWidth(ctx.Config("train", name), w);
            var trainer = new Trainer<double>(cfg);
            ctx.Progress($"{name}: training");
            var result = ctx.Run(trainer, name);
            var train = trainer.Train;
            var raw = Margins.Raw(trainer.Model, train);
            double minMargin = raw.Min();
            var weights = WeightMatrix.Of(trainer.Model);
            double rho = weights.Aggregate(1.0, (p, m) => p * Math.Sqrt(m.Data.Sum(v => v * v)));
            double r = SpectralComplexity.Of(weights);
            bool separated = minMargin > 0;
            testError.Add(1 - result.Final["test_acc"]);
            trainError.Add(1 - result.Final["train_acc"]);
            spectralBound.Add(separated ? r * Margins.InputFrobenius(train) / (train.N * minMargin) : double.NaN);
            rhoBound.Add(separated ? FrobeniusProductBound.Of(Margins.MaxInputNorm(train), weights.Count, rho, train.N, minMargin) : double.NaN);
            gammas.Add(minMargin / rho);
            outcome.Numbers.Add(Evidence.Info($"width {w}: test error", testError[^1], $"training error {ClaimContext.Fmt(trainError[^1])} after {result.Steps} steps ({result.Reason})"));
        }
        var interp = Enumerable.Range(0, widths.Length).Where(i => trainError[i] == 0).ToList();
        outcome.Numbers.Insert(0, ctx.Check("interpolating_widths", "widths of the sweep that reach zero training error", interp.Count));
        if (interp.Count == 0) return outcome;
        int star = interp[0];
        var past = interp.Where(i => i > star).ToList();
        double increase = past.Count == 0 ? 0 : past.Max(i => testError[i] - testError[star]);
        outcome.Numbers.Insert(1, ctx.Check("max_error_increase", $"largest test-error increase over the interpolation width {widths[star]} (widths past it that interpolate)", increase));
        double tau = ClaimMath.KendallTau(interp.Select(i => spectralBound[i]).ToList(), interp.Select(i => testError[i]).ToList());
        outcome.Numbers.Insert(2, ctx.Check("bound_tracks_error", "Kendall tau(R ||X||_F / (n m_min), test error) over interpolating widths", tau));
        outcome.Numbers.Insert(3, Evidence.Info("Kendall tau(rho-bound, test error) over interpolating widths",
            ClaimMath.KendallTau(interp.Select(i => rhoBound[i]).ToList(), interp.Select(i => testError[i]).ToList())));
        outcome.Numbers.Insert(4, Evidence.Info("Kendall tau(1 / gamma, test error) over interpolating widths",
            ClaimMath.KendallTau(interp.Select(i => 1 / gammas[i]).ToList(), interp.Select(i => testError[i]).ToList())));
        outcome.Numbers.Insert(5, Evidence.Info("test error at the largest width minus at the interpolation width", testError[^1] - testError[star]));
        var ws = widths.Select(v => (double)v).ToList();
        outcome.Charts.Add(Charts.Lines("error", "Test and training error vs width",
            $"Full-batch GD to a small training loss at every width; widths from {widths[star]} on reach zero training error. The claim: past that point the test error does not grow.",
            "hidden width", "error", [new Series("test error", ws, testError), new Series("training error", ws, trainError)], logX: true));
        outcome.Charts.Add(Charts.Lines("bounds", "Normalized-margin bounds vs width",
            "R ||X||_F / (n m_min) (spectral complexity over the minimum training margin) and the Frobenius-product rho-bound B (sqrt(2 L ln 2) + 1) rho / (sqrt(n) m_min); log-log. The claim: they track the test error above.",
            "hidden width", "bound", [new Series("spectral bound R ||X||_F / (n m_min)", ws, spectralBound), new Series("rho-bound", ws, rhoBound)], logX: true, logY: true));
        outcome.Notes.Add("Bias-free one-hidden-layer ReLU MLPs (He init) on a random subset of optdigits' training writers, pixels scaled to [0, 1]; full-batch GD on cross-entropy at one step size for every width until the training loss is 0.01 (or the step cap), so every width is compared at the same training loss.");
        outcome.Notes.Add("Bounds use the minimum raw training margin m_min (defined only once the training set is separated); the test set is optdigits' separate writers' test set.");
        return outcome;
    }
}
