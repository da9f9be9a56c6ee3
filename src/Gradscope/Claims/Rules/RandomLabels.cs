namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// random-labels: one bias-free ReLU MLP trained by the shared trainer (full-batch GD, cross-entropy) twice from the
/// same init on the same real digit subset, once with the true labels and once with uniformly random labels, each until
/// every training point is classified correctly. On each training set: raw margins m_i = f(x_i)_y - max_{j != y} f(x_i)_j
/// and spectrally-normalized margins m_i / (R ||X||_F / n) (R the spectral complexity, THEORY.md section 3). The claim:
/// both nets interpolate; the normalized margin distributions separate (true-label margins larger), the raw ones do not.
/// Separation is the one-sided KS distance sup_t (F_random(t) - F_true(t)) (<see cref="MarginSeparation.Above"/>).
/// </summary>
public sealed class RandomLabels : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "random-labels";

    private sealed record Fit(string Label, double[] Raw, double[] Normalized, double R, double Rho, double TrainAcc, double TestAcc, long Steps, string Reason, int[] Labels, double[] X);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        double noise = ctx.Parameters.Double("random_label_noise");
        // one seed for both runs: the same subset, the same init; only the labels differ
        var baseCfg = ctx.Config("train", "pair");
        var truth = Train(ctx, ConfigVariants.WithLabelNoise(baseCfg, 0), "true-labels", "true labels");
        var random = Train(ctx, ConfigVariants.WithLabelNoise(baseCfg, noise), "random-labels", "random labels");
        if (!truth.X.AsSpan().SequenceEqual(random.X))
            throw new InvalidOperationException("random-labels: the two runs did not train on the same inputs.");

        var normTrue = new MarginDistribution(truth.Normalized); var normRandom = new MarginDistribution(random.Normalized);
        var rawTrue = new MarginDistribution(truth.Raw); var rawRandom = new MarginDistribution(random.Raw);
        double sepNorm = MarginSeparation.Above(normTrue, normRandom), sepRaw = MarginSeparation.Above(rawTrue, rawRandom);
        outcome.Numbers.Add(ctx.Check("train_fit", "smaller final training accuracy of the two nets", Math.Min(truth.TrainAcc, random.TrainAcc)));
        outcome.Numbers.Add(ctx.Check("normalized_separation", "one-sided KS sup_t (F_random - F_true), normalized margins m / (R ||X||_F / n)", sepNorm));
        outcome.Numbers.Add(ctx.Check("separation_gain", "normalized minus raw one-sided KS distance", sepNorm - sepRaw));
        outcome.Numbers.Add(Evidence.Info("one-sided KS sup_t (F_random - F_true), raw margins", sepRaw));
        outcome.Numbers.Add(Evidence.Info("two-sided KS distance, normalized margins", MarginSeparation.Ks(normTrue, normRandom)));
        outcome.Numbers.Add(Evidence.Info("two-sided KS distance, raw margins", MarginSeparation.Ks(rawTrue, rawRandom)));
        outcome.Numbers.Add(Evidence.Info("median normalized margin, true / random labels", normTrue.Quantile(0.5) / normRandom.Quantile(0.5)));
        outcome.Numbers.Add(Evidence.Info("median raw margin, true / random labels", rawTrue.Quantile(0.5) / rawRandom.Quantile(0.5)));
        outcome.Numbers.Add(Evidence.Info("spectral complexity R, random / true labels", random.R / truth.R));
        int same = Enumerable.Range(0, truth.Labels.Length).Count(i => truth.Labels[i] == random.Labels[i]);
        outcome.Numbers.Add(Evidence.Info("fraction of random labels equal to the true label", (double)same / truth.Labels.Length, "1/C for labels independent of the input"));
        foreach (var f in new[] { truth, random })
        {
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: training accuracy", f.TrainAcc, $"after {f.Steps} steps ({f.Reason})"));
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: test accuracy (true test labels)", f.TestAcc));
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: spectral complexity R", f.R));
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: rho = prod ||W_k||_F", f.Rho));
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: median raw margin", new MarginDistribution(f.Raw).Quantile(0.5)));
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: median normalized margin", new MarginDistribution(f.Normalized).Quantile(0.5)));
        }

        outcome.Charts.Add(Charts.Ecdf("normalized-margins", "Normalized margin distributions, true vs random labels",
            "Empirical CDFs of the spectrally-normalized training margins m_i / (R ||X||_F / n) of the same architecture trained to zero training error on true and on random labels. The claim: the curves separate, true labels to the right.",
            "normalized margin m / (R ||X||_F / n)", [new Sample("true labels", truth.Normalized), new Sample("random labels", random.Normalized)]));
        outcome.Charts.Add(Charts.Ecdf("raw-margins", "Raw margin distributions, true vs random labels",
            "Empirical CDFs of the raw training margins f(x)_y - max_{j != y} f(x)_j of the same two nets. The claim: without normalization the curves do not separate.",
            "raw margin f(x)_y - max_{j != y} f(x)_j", [new Sample("true labels", truth.Raw), new Sample("random labels", random.Raw)]));

        var c = baseCfg;
        outcome.Notes.Add($"Bias-free one-hidden-layer ReLU MLP {string.Join("-", c.Model.Mlp?.Widths ?? [])} (He init) on a class-balanced subset of optdigits' training writers ({truth.Labels.Length} points), pixels scaled to [0, 1]; full-batch GD on cross-entropy, eta = {ClaimContext.Fmt(c.Algorithm.Eta)}. Both runs share one seed: the same inputs and the same initial weights; only the labels differ.");
        outcome.Notes.Add($"Random labels: data.label_noise = {ClaimContext.Fmt(noise)} replaces that fraction of labels by a different uniformly drawn class; with C = 10 classes, (C - 1)/C = 0.9 makes every label uniform over the 10 classes and independent of the input (label_noise 1.0 would instead forbid the true class).");
        outcome.Notes.Add("Each run stops at the first step after which the minimum training margin is >= 0 (stop.margin: 0, evaluated on the weights after the step), i.e. as soon as the training error is zero. The train_acc rule of full-batch GD is checked on the loss computed before the last step and can end a run one step after which a point is misclassified again.");
        outcome.Notes.Add("Both nets see the same X, so ||X||_F / n is common and the difference between the normalized and the raw comparison is the ratio of the spectral complexities R.");
        return outcome;
    }

    private static Fit Train(ClaimContext ctx, TrainConfig cfg, string name, string label)
    {
        var trainer = new Trainer<double>(cfg);
        ctx.Progress($"{name}: training");
        var result = ctx.Run(trainer, name);
        var train = trainer.Train;
        var raw = Margins.Raw(trainer.Model, train);
        var weights = WeightMatrix.Of(trainer.Model);
        double r = SpectralComplexity.Of(weights);
        double rho = weights.Aggregate(1.0, (p, m) => p * FrobeniusNorm.Of(m));
        return new Fit(label, raw, Margins.SpectrallyNormalized(raw, r, Margins.InputFrobenius(train)), r, rho,
            result.Final["train_acc"], result.Final["test_acc"], result.Steps, result.Reason ?? "", train.Y.ToArray(), train.X.ToArray());
    }
}
