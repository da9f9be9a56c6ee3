using System.Globalization;

namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// bound-tracks-error: one bias-free ReLU MLP trained by the shared trainer (full-batch GD, cross-entropy, same init and
/// inputs) on a real digit subset with increasing label noise, each until zero training error on its noisy labels. For
/// each net: the clean test error, the BFT main term R ||X||_F / (n gamma_q) (R the spectral complexity, THEORY.md
/// section 3; gamma_q the q-quantile of the raw training margins), the BFT bound with its explicit constants
/// (<see cref="BftBound"/>, margin-violation rate q) and the VC term sqrt(p L ln p / n) (<see cref="VcBound"/>).
/// The claim: the BFT term orders the test errors (Kendall tau), while the VC term is vacuous (&gt; 1) for every net.
/// </summary>
public sealed class BoundTracksError : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "bound-tracks-error";

    private sealed record Net(double Noise, double TestError, double TrainAcc, double R, double GammaQ, double Proxy, double Bft, double Vc, long Steps, string Reason);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        double[] levels = ctx.Parameters.Doubles("noise_levels");
        double q = ctx.Parameters.Double("margin_quantile");
        if (!(q > 0 && q < 1)) throw new InvalidDataException($"{ctx.Definition.Source}: margin_quantile must lie in (0, 1), got {q}.");
        // one seed for every noise level: the same inputs and init; only the fraction of noisy labels differs
        var baseCfg = ctx.Config("train", "sweep");
        var nets = new List<Net>();
        int n = 0;
        long parameters = 0;
        foreach (double p in levels)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"noise-{p:0.###}");
            var trainer = new Trainer<double>(ConfigVariants.WithLabelNoise(baseCfg, p));
            ctx.Progress($"{name}: training");
            var result = ctx.Run(trainer, name);
            var train = trainer.Train;
            n = train.N; parameters = trainer.Model.ParameterCount;
            var weights = WeightMatrix.Of(trainer.Model);
            var margins = new MarginDistribution(Margins.Raw(trainer.Model, train));
            var spectral = weights.Select(w => SpectralNorm.Of(w)).ToArray();
            var norms21 = weights.Select(FrobeniusNorm.RowSum21).ToArray();
            double r = SpectralComplexity.From(spectral, norms21), xf = Margins.InputFrobenius(train);
            double gq = margins.Quantile(q);
            int maxWidth = weights.Max(w => Math.Max(w.Rows, w.Cols));
            double violation = margins.Sorted.Count(m => m < gq) / (double)n;
            nets.Add(new Net(p, 1 - result.Final["test_acc"], result.Final["train_acc"], r, gq,
                gq > 0 ? r * xf / (n * gq) : double.NaN,
                gq > 0 ? BftBound.Theorem11(violation, spectral, norms21, xf, gq, n, maxWidth) : double.NaN,
                VcBound.Of(parameters, weights.Count, n), result.Steps, result.Reason ?? ""));
        }

        var err = nets.Select(x => x.TestError).ToList();
        outcome.Numbers.Add(ctx.Check("bound_orders_error", $"Kendall tau(R ||X||_F / (n gamma_{q:G3}), test error) across noise levels", ClaimMath.KendallTau(nets.Select(x => x.Proxy).ToList(), err)));
        outcome.Numbers.Add(ctx.Check("vc_vacuous", "smallest VC term sqrt(p L ln p / n) of the nets", nets.Min(x => x.Vc)));
        outcome.Numbers.Add(Evidence.Info("Kendall tau(BFT bound with constants, test error)", ClaimMath.KendallTau(nets.Select(x => x.Bft).ToList(), err)));
        outcome.Numbers.Add(Evidence.Info($"Kendall tau(1 / gamma_{q:G3} raw margin, test error)", ClaimMath.KendallTau(nets.Select(x => 1 / x.GammaQ).ToList(), err), "the unnormalized margin alone, for comparison"));
        outcome.Numbers.Add(Evidence.Info("Kendall tau(R, test error)", ClaimMath.KendallTau(nets.Select(x => x.R).ToList(), err), "the spectral complexity alone, without the margin"));
        outcome.Numbers.Add(Evidence.Info("Kendall tau(label noise, test error)", ClaimMath.KendallTau(nets.Select(x => x.Noise).ToList(), err)));
        foreach (var x in nets)
        {
            string l = string.Create(CultureInfo.InvariantCulture, $"noise {x.Noise:0.###}");
            outcome.Numbers.Add(Evidence.Info($"{l}: test error", x.TestError, $"training accuracy {ClaimContext.Fmt(x.TrainAcc)} after {x.Steps} steps ({x.Reason})"));
            outcome.Numbers.Add(Evidence.Info($"{l}: R ||X||_F / (n gamma_q)", x.Proxy));
            outcome.Numbers.Add(Evidence.Info($"{l}: BFT bound", x.Bft));
            outcome.Numbers.Add(Evidence.Info($"{l}: spectral complexity R", x.R));
            outcome.Numbers.Add(Evidence.Info($"{l}: margin quantile gamma_q", x.GammaQ));
        }
        outcome.Numbers.Add(Evidence.Info("VC term sqrt(p L ln p / n) (same for every net)", nets[0].Vc, $"p = {parameters}, n = {n}"));

        outcome.Charts.Add(Charts.Scatter("bound-vs-error", "BFT term vs test error",
            $"Each point is one net trained to zero training error on labels with the given noise; x = R ||X||_F / (n gamma_q), gamma_q the {q:G3}-quantile of its training margins; y = its clean test error. The claim: x orders y.",
            "R ||X||_F / (n gamma_q)", "test error",
            nets.Select(x => new Point(x.Proxy, x.TestError, null, string.Create(CultureInfo.InvariantCulture, $"noise {x.Noise:0.###}"))).ToList(), logX: true));
        var noise = nets.Select(x => x.Noise).ToList();
        outcome.Charts.Add(Charts.Lines("vs-noise", "Test error and bounds vs label noise",
            "Clean test error, the BFT term R ||X||_F / (n gamma_q), the BFT bound with its explicit constants and the VC term sqrt(p L ln p / n) against the fraction of noisy training labels (log y). The claim: the BFT quantities rise with the test error; the VC term is above 1 throughout.",
            "label noise", "value",
            [new Series("test error", noise, err), new Series("R ||X||_F / (n gamma_q)", noise, nets.Select(x => x.Proxy).ToList()),
             new Series("BFT bound", noise, nets.Select(x => x.Bft).ToList()), new Series("VC term", noise, nets.Select(x => x.Vc).ToList())], logY: true));

        outcome.Notes.Add($"Bias-free one-hidden-layer ReLU MLP {string.Join("-", baseCfg.Model.Mlp?.Widths ?? [])} (He init) on a class-balanced subset of optdigits' training writers (n = {n}), pixels scaled to [0, 1]; full-batch GD on cross-entropy, eta = {ClaimContext.Fmt(baseCfg.Algorithm.Eta)}. All nets share one seed (same inputs, same init); data.label_noise replaces that fraction of training labels by another class. Test error is on optdigits' separate writers' test set with its true labels.");
        outcome.Notes.Add("Each run stops at the first step after which the minimum training margin is >= 0 (zero training error on its own noisy labels, evaluated on the final weights), or at the step cap.");
        outcome.Notes.Add($"gamma_q is the {q:G3}-quantile of the raw training margins (quantiles interpolate linearly); the BFT bound uses margin-violation rate #(m_i < gamma_q)/n, delta = 0.05 and W the largest layer width. The VC term does not depend on the weights, so it is the same number for every net.");
        outcome.Notes.Add("The BFT bound with its explicit constants is itself far above 1 for these nets; the claim is about how the BFT quantities order the test errors, not about their values.");
        return outcome;
    }
}
