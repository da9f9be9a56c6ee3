namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// random-labels (Bartlett, Foster &amp; Telgarsky 2017, Fig. 2): one bias-free ReLU MLP trained by the shared trainer
/// (loss-scaled full-batch GD, cross-entropy) twice from the same init on the same real digit subset, once with the
/// true labels and once with uniformly random labels, both to the same training cross-entropy. On each training set:
/// raw margins m_i = f(x_i)_y - max_{j != y} f(x_i)_j and spectrally-normalized margins m_i / (R ||X||_F / n) (R the
/// spectral complexity, THEORY.md section 3). Hypotheses: equal training loss, zero training error on both label sets.
/// Checks: the normalized margins separate (one-sided KS sup_t (F_random(t) - F_true(t)) &gt;= 0.5), the raw ones do
/// not. Controls: the separation check on the raw margins; a second true-label net from another init against the first.
/// </summary>
public sealed class RandomLabels : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "random-labels";

    private sealed record Fit(string Label, double[] Raw, double[] Normalized, double R, double Rho, double TrainLoss, double TrainAcc, double TestAcc, long Steps, string Reason, int[] Labels, double[] X);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        double noise = ctx.Parameters.Double("random_label_noise");
        // one seed for both runs: the same subset, the same init; only the labels differ
        var baseCfg = ctx.Config("train", "pair");
        var truth = Train(ctx, ConfigVariants.WithLabelNoise(baseCfg, 0), "true-labels", "true labels", null);
        var random = Train(ctx, ConfigVariants.WithLabelNoise(baseCfg, noise), "random-labels", "random labels", null);
        if (!truth.X.AsSpan().SequenceEqual(random.X))
            throw new InvalidOperationException("random-labels: the two runs did not train on the same inputs.");
        // control: the same subset and true labels, the init of another seed
        var otherInit = new Trainer<double>(ctx.Config("train", "second-init")).Model.SnapshotParameters();
        var second = Train(ctx, ConfigVariants.WithLabelNoise(baseCfg, 0), "true-labels-second-init", "true labels, second init", otherInit);

        double worstLoss = Math.Max(truth.TrainLoss, random.TrainLoss);
        outcome.Hypotheses.Add(ctx.Hypothesis("training_loss", worstLoss) with { Key = "train_loss" });
        outcome.Hypotheses.Add(ctx.Hypothesis("equal_loss", worstLoss / Math.Min(truth.TrainLoss, random.TrainLoss)));
        outcome.Hypotheses.Add(ctx.Hypothesis("train_fit", Math.Min(truth.TrainAcc, random.TrainAcc)));

        var normTrue = new MarginDistribution(truth.Normalized); var normRandom = new MarginDistribution(random.Normalized);
        var rawTrue = new MarginDistribution(truth.Raw); var rawRandom = new MarginDistribution(random.Raw);
        double sepNorm = MarginSeparation.Above(normTrue, normRandom), sepRaw = MarginSeparation.Above(rawTrue, rawRandom);
        outcome.Numbers.Add(ctx.Check("normalized_separation", sepNorm));
        outcome.Numbers.Add(ctx.Check("raw_not_separated", sepRaw));

        outcome.Controls.Add(ctx.Control("raw-margins",
            ctx.Check("normalized_separation", "one-sided KS sup_t (F_random - F_true) of the RAW margins", sepRaw)));
        // the second true-label net plays the part of the random-label net
        var normSecond = new MarginDistribution(second.Normalized); var rawSecond = new MarginDistribution(second.Raw);
        outcome.Controls.Add(ctx.Control("true-vs-true",
            ctx.Check("normalized_separation", "one-sided KS sup_t (F_second - F_first) of the normalized margins of two true-label nets", MarginSeparation.Above(normTrue, normSecond)),
            ctx.Check("raw_not_separated", "one-sided KS sup_t (F_second - F_first) of the raw margins of two true-label nets", MarginSeparation.Above(rawTrue, rawSecond))));

        outcome.Numbers.Add(Evidence.Info("two-sided KS distance, normalized margins", MarginSeparation.Ks(normTrue, normRandom)));
        outcome.Numbers.Add(Evidence.Info("two-sided KS distance, raw margins", MarginSeparation.Ks(rawTrue, rawRandom)));
        outcome.Numbers.Add(Evidence.Info("median normalized margin, true / random labels", normTrue.Quantile(0.5) / normRandom.Quantile(0.5)));
        outcome.Numbers.Add(Evidence.Info("median raw margin, true / random labels", rawTrue.Quantile(0.5) / rawRandom.Quantile(0.5)));
        outcome.Numbers.Add(Evidence.Info("spectral complexity R, random / true labels", random.R / truth.R));
        int same = Enumerable.Range(0, truth.Labels.Length).Count(i => truth.Labels[i] == random.Labels[i]);
        outcome.Numbers.Add(Evidence.Info("fraction of random labels equal to the true label", (double)same / truth.Labels.Length, "1/C for labels independent of the input"));
        foreach (var f in new[] { truth, random, second })
        {
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: final training cross-entropy", f.TrainLoss, $"after {f.Steps} steps ({f.Reason})"));
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: training accuracy", f.TrainAcc));
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: test accuracy (true test labels)", f.TestAcc));
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: spectral complexity R", f.R) with { Key = "spectral_complexity" });
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: rho = prod ||W_k||_F", f.Rho) with { Key = "rho" });
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: median raw margin", new MarginDistribution(f.Raw).Quantile(0.5)));
            outcome.Numbers.Add(Evidence.Info($"{f.Label}: median normalized margin", new MarginDistribution(f.Normalized).Quantile(0.5)));
        }

        outcome.Charts.Add(Charts.Ecdf("normalized-margins", "Normalized margin distributions, true vs random labels",
            "Empirical CDFs of the spectrally-normalized training margins m_i / (R ||X||_F / n) of the same architecture trained to the same training cross-entropy on true and on random labels (and a second true-label net from another init, the control). The claim: the true/random curves separate, true labels to the right; the two true-label curves do not.",
            "normalized margin m / (R ||X||_F / n)", [new Sample("true labels", truth.Normalized), new Sample("random labels", random.Normalized), new Sample("true labels, second init (control)", second.Normalized)]));
        outcome.Charts.Add(Charts.Ecdf("raw-margins", "Raw margin distributions, true vs random labels",
            "Empirical CDFs of the raw training margins f(x)_y - max_{j != y} f(x)_j of the same nets. The claim: at equal training loss the raw curves do not separate.",
            "raw margin f(x)_y - max_{j != y} f(x)_j", [new Sample("true labels", truth.Raw), new Sample("random labels", random.Raw), new Sample("true labels, second init (control)", second.Raw)]));

        var c = baseCfg;
        outcome.Notes.Add($"Bias-free one-hidden-layer ReLU MLP {string.Join("-", c.Model.Mlp?.Widths ?? [])} (He init) on a class-balanced subset of {c.Data.Train.Name} ({truth.Labels.Length} points); loss-scaled full-batch GD (eta / L) on cross-entropy, eta = {ClaimContext.Fmt(c.Algorithm.Eta)}, each run until its training cross-entropy is <= {ClaimContext.Fmt(c.Stop.Loss ?? double.NaN)}. Both runs share one seed: the same inputs and the same initial weights; only the labels differ.");
        outcome.Notes.Add($"Random labels: data.label_noise = {ClaimContext.Fmt(noise)} replaces that fraction of labels by a different uniformly drawn class; with C = 10 classes, (C - 1)/C = 0.9 makes every label uniform over the 10 classes and independent of the input.");
        outcome.Notes.Add("Both nets see the same X, so ||X||_F / n is common and the difference between the normalized and the raw comparison is the ratio of the spectral complexities R. The control net trains on the same inputs and true labels from the initial weights of another seed.");
        return outcome;
    }

    private static Fit Train(ClaimContext ctx, TrainConfig cfg, string name, string label, double[]? init)
    {
        var trainer = new Trainer<double>(cfg);
        if (init is not null) trainer.Model.LoadParameters(init);
        ctx.Progress($"{name}: training");
        var result = ctx.Run(trainer, name);
        var train = trainer.Train;
        // the raw and spectrally normalized margins, R and rho from the registry's context (the margin distributions are its arrays)
        var c = ClaimMeasures.Context(trainer.Model, train);
        var v = ClaimMeasures.Values(c, "spectral_complexity", "rho");
        double r = v["spectral_complexity"], rho = v["rho"];
        var raw = c.SampleOutputs.Raw;
        return new Fit(label, raw, c.SpectralMargins ?? throw new InvalidOperationException($"{name}: the spectrally normalized margins are undefined (R = {r}, or a non-finite output)."), r, rho, result.Final["train_loss"],
            result.TrainAccuracy, result.TestAccuracy!.Value, result.Steps, result.Reason ?? "", train.Y.ToArray(), train.X.ToArray());
    }
}
