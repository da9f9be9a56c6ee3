using System.Globalization;

namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// bound-tracks-error (Bartlett, Foster &amp; Telgarsky 2017, Fig. 1): one bias-free ReLU MLP trained by the shared trainer
/// (loss-scaled full-batch GD, cross-entropy) at several label-noise levels with several seeds each (a seed draws the
/// training subset and the init), every net to the same training cross-entropy. Per net: the clean test error, the BFT
/// term R ||X||_F / (n gamma_q) (R the spectral complexity, gamma_q the q-quantile of the raw training margins), and the
/// naive baselines rho = prod ||W_k||_F, 1 / gamma_q and the steps to reach the loss. The pooled Kendall tau is not
/// enough (the test error rises with the noise by construction), so the bound must also beat every baseline in the
/// within-noise-level tau (<see cref="KendallTaus.WithinGroups"/>); each baseline is a control judged by the same checks.
/// </summary>
public sealed class BoundTracksError : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "bound-tracks-error";

    private sealed record Net(double Noise, int Seed, double TestError, double TrainAcc, double TrainLoss, double R, double Rho, double GammaQ,
        double Proxy, double Bft, double Vc, long Steps, string Reason);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        double[] levels = ctx.Parameters.Doubles("noise_levels");
        int seeds = ctx.Parameters.Int("seeds");
        double q = ctx.Parameters.Double("margin_quantile");
        if (!(q > 0 && q < 1)) throw new InvalidDataException($"{ctx.Definition.Source}: margin_quantile must lie in (0, 1), got {q}.");
        if (seeds < 1) throw new InvalidDataException($"{ctx.Definition.Source}: seeds must be >= 1, got {seeds}.");
        var nets = new List<Net>();
        int n = 0;
        long parameters = 0;
        for (int s = 0; s < seeds; s++)
        {
            // one seed per replicate: within it every noise level shares the subset and init; only the noisy labels differ
            var baseCfg = ctx.Config("train", $"seed-{s}");
            foreach (double p in levels)
            {
                string name = string.Create(CultureInfo.InvariantCulture, $"noise-{p:0.###}-seed-{s}");
                var trainer = new Trainer<double>(ConfigVariants.WithLabelNoise(baseCfg, p));
                ctx.Progress($"{name}: training");
                var result = ctx.Run(trainer, name);
                var train = trainer.Train;
                n = train.N; parameters = trainer.Model.ParameterCount;
                // R, rho, ||X||_F, the BFT bound (margin gamma = the q-quantile of the raw margins) and the VC term from the registry
                var mc = ClaimMeasures.Context(trainer.Model, train, ClaimMeasures.Options with { BoundMarginQuantile = q });
                var v = ClaimMeasures.Values(mc, "spectral_complexity", "rho", "input_frobenius", "bound.bft", "bound.vc");
                double r = v["spectral_complexity"], xf = v["input_frobenius"], gq = mc.BoundGamma;
                nets.Add(new Net(p, s, result.Final["test_error"], result.TrainAccuracy, result.Final["train_loss"], r, v["rho"], gq,
                    gq > 0 ? r * xf / (n * gq) : double.NaN,
                    gq > 0 ? v["bound.bft"] : double.NaN,
                    v["bound.vc"], result.Steps, result.Reason ?? ""));
            }
        }

        outcome.Hypotheses.Add(ctx.Hypothesis("training_loss", nets.Max(x => x.TrainLoss)) with { Key = "train_loss" });
        outcome.Hypotheses.Add(ctx.Hypothesis("train_fit", nets.Min(x => x.TrainAcc)));
        outcome.Hypotheses.Add(ctx.Hypothesis("noise_levels", levels.Distinct().Count()));
        outcome.Hypotheses.Add(ctx.Hypothesis("seeds", seeds));

        var err = nets.Select(x => x.TestError).ToList();
        var group = nets.Select(x => x.Noise).ToList();
        var quantities = new (string Id, string Label, List<double> Values)[]
        {
            ("bound", $"R ||X||_F / (n gamma_{q:G3})", nets.Select(x => x.Proxy).ToList()),
            ("rho-baseline", "rho = prod ||W_k||_F", nets.Select(x => x.Rho).ToList()),
            ("raw-margin-baseline", $"1 / gamma_{q:G3} (raw margin)", nets.Select(x => 1 / x.GammaQ).ToList()),
            ("steps-baseline", "steps to reach the training loss", nets.Select(x => (double)x.Steps).ToList()),
        };
        var pooled = quantities.Select(t => KendallTaus.Pooled(t.Values, err)).ToArray();
        var within = quantities.Select(t => KendallTaus.WithinGroups(t.Values, err, group)).ToArray();
        double Advantage(int i) => within[i] - Enumerable.Range(0, quantities.Length).Where(j => j != i).Max(j => within[j]);

        outcome.Numbers.Add(ctx.Check("bound_orders_error", $"Kendall tau-b({quantities[0].Label}, test error) pooled over all {nets.Count} nets", pooled[0]));
        outcome.Numbers.Add(ctx.Check("beats_baselines", $"within-noise-level tau of {quantities[0].Label} minus the best baseline's", Advantage(0)));
        for (int i = 1; i < quantities.Length; i++)
            outcome.Controls.Add(ctx.Control(quantities[i].Id,
                ctx.Check("bound_orders_error", $"Kendall tau-b({quantities[i].Label}, test error) pooled over all nets", pooled[i]),
                ctx.Check("beats_baselines", $"within-noise-level tau of {quantities[i].Label} minus the best of the others (the bound included)", Advantage(i))));
        for (int i = 0; i < quantities.Length; i++)
        {
            outcome.Numbers.Add(Evidence.Info($"within-noise-level Kendall tau({quantities[i].Label}, test error)", within[i]));
            outcome.Numbers.Add(Evidence.Info($"pooled Kendall tau({quantities[i].Label}, test error)", pooled[i]));
        }
        outcome.Numbers.Add(Evidence.Info("pooled Kendall tau(BFT bound with constants, test error)", KendallTaus.Pooled(nets.Select(x => x.Bft).ToList(), err)));
        outcome.Numbers.Add(Evidence.Info("pooled Kendall tau(label noise, test error)", KendallTaus.Pooled(group, err), "the ordering the noise sets by construction"));
        outcome.Numbers.Add(Evidence.Info("VC term sqrt(p L ln p / n) (the same for every net: it depends only on p, L, n)", nets[0].Vc, $"p = {parameters}, n = {n}; > 1 is vacuous"));
        foreach (double p in levels)
        {
            var at = nets.Where(x => x.Noise == p).ToList();
            string l = string.Create(CultureInfo.InvariantCulture, $"noise {p:0.###}");
            outcome.Numbers.Add(Evidence.Info($"{l}: mean test error over seeds", at.Average(x => x.TestError),
                $"test errors {string.Join(", ", at.Select(x => ClaimContext.Fmt(x.TestError)))}; steps {string.Join(", ", at.Select(x => x.Steps))}"));
            outcome.Numbers.Add(Evidence.Info($"{l}: mean R ||X||_F / (n gamma_q) over seeds", at.Average(x => x.Proxy)));
            outcome.Numbers.Add(Evidence.Info($"{l}: mean BFT bound over seeds", at.Average(x => x.Bft)));
            outcome.Numbers.Add(Evidence.Info($"{l}: largest final training cross-entropy", at.Max(x => x.TrainLoss)));
        }

        outcome.Charts.Add(Charts.Scatter("bound-vs-error", "BFT term vs test error",
            $"Each point is one net trained to the same training cross-entropy on labels with the given noise (seeds: different subsets and inits); x = R ||X||_F / (n gamma_q), gamma_q the {q:G3}-quantile of its training margins; y = its clean test error. The claim: x orders y, also among the nets of one noise level.",
            "R ||X||_F / (n gamma_q)", "test error",
            nets.Select(x => new Point(x.Proxy, x.TestError, null, string.Create(CultureInfo.InvariantCulture, $"noise {x.Noise:0.###}"))).ToList(), logX: true));
        var noise = levels.ToList();
        List<double> Mean(Func<Net, double> f) => levels.Select(p => nets.Where(x => x.Noise == p).Average(f)).ToList();
        outcome.Charts.Add(Charts.Lines("vs-noise", "Test error and bounds vs label noise",
            "Means over seeds of the clean test error, the BFT term R ||X||_F / (n gamma_q), the BFT bound with its explicit constants and the VC term sqrt(p L ln p / n) against the fraction of noisy training labels (log y).",
            "label noise", "value",
            [new Series("test error", noise, Mean(x => x.TestError)), new Series("R ||X||_F / (n gamma_q)", noise, Mean(x => x.Proxy)),
             new Series("BFT bound", noise, Mean(x => x.Bft)), new Series("VC term", noise, Mean(x => x.Vc))], logY: true));
        outcome.Charts.Add(Charts.Bars("within-level-tau", "Within-noise-level Kendall tau with the test error",
            "Kendall tau over the pairs of nets that share a noise level (they differ in training subset and init only), for the BFT term and the naive baselines. The claim: the BFT term orders these nets better than every baseline by >= 0.2.",
            "quantity", "within-level tau", quantities.Select((t, i) => new Bar(t.Label, within[i])).ToList()));

        var c = ctx.Config("train", "seed-0");
        outcome.Notes.Add($"Bias-free one-hidden-layer ReLU MLP {string.Join("-", c.Model.Mlp?.Widths ?? [])} (He init) on class-balanced subsets of {c.Data.Train.Name} (n = {n}), {seeds} seeds x {levels.Length} noise levels; loss-scaled full-batch GD (eta / L) on cross-entropy, eta = {ClaimContext.Fmt(c.Algorithm.Eta)}, every run until its training cross-entropy is <= {ClaimContext.Fmt(c.Stop.Loss ?? double.NaN)}. data.label_noise replaces that fraction of training labels by another class. Test error is on {c.Data.Test?.Name} with its true labels.");
        outcome.Notes.Add($"gamma_q is the {q:G3}-quantile of the raw training margins (quantiles interpolate linearly); the BFT bound uses margin-violation rate #(m_i < gamma_q)/n, delta = 0.05 and W the largest layer width.");
        return outcome;
    }
}
