namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// random-labels: the same bias-free ReLU net (same init, same training subset) is trained by the shared trainer
/// on the true labels and on random labels (label noise 1 - 1/C: every label uniform over the C classes) to the
/// same training loss; the training-set margin distributions are compared raw and spectrally normalized
/// (m_i / (R ||X||_F / n), Bartlett-Foster-Telgarsky) by their Kolmogorov-Smirnov distance.
/// </summary>
public sealed class RandomLabels : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "random-labels";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        double noise = ctx.Parameters.Double("random_label_noise");
        var fits = new Dictionary<string, (TrainerResult Result, NetMargins Margins)>();
        foreach (var (name, p) in new[] { ("true", 0.0), ("random", noise) })
        {
            var cfg = ctx.Config("train", "net");   // one seed: same init and subset for both label sets
            cfg = cfg with { Data = cfg.Data with { LabelNoise = p } };
            var trainer = new Trainer<double>(cfg);
            if (name == "random" && Math.Abs(noise - (1 - 1.0 / trainer.Train.Classes)) > 1e-12)
                throw new InvalidDataException($"{ctx.Definition.Source}: random_label_noise must be 1 - 1/C = {1 - 1.0 / trainer.Train.Classes:G4} so that every label is uniform over the classes.");
            ctx.Progress($"{name} labels: training");
            var result = ctx.Run(trainer, $"{name}-labels");
            fits[name] = (result, NetMargins.Of(trainer.Model, trainer.Train));
        }
        var (t, r) = (fits["true"], fits["random"]);
        double ksNorm = MarginDistribution.KolmogorovSmirnov(new MarginDistribution(t.Margins.Normalized), new MarginDistribution(r.Margins.Normalized));
        double ksRaw = MarginDistribution.KolmogorovSmirnov(new MarginDistribution(t.Margins.Raw), new MarginDistribution(r.Margins.Raw));
        outcome.Numbers.Add(ctx.Check("true_fit", "training accuracy, true labels", t.Result.Final["train_acc"]));
        outcome.Numbers.Add(ctx.Check("random_fit", "training accuracy, random labels", r.Result.Final["train_acc"]));
        outcome.Numbers.Add(ctx.Check("normalized_separation", "KS distance of spectrally-normalized margins, true vs random labels", ksNorm));
        outcome.Numbers.Add(ctx.Check("normalization_gain", "KS(normalized) - KS(raw)", ksNorm - ksRaw));
        outcome.Numbers.Add(Evidence.Info("KS distance of raw margins, true vs random labels", ksRaw));
        foreach (var (name, f) in fits)
        {
            outcome.Numbers.Add(Evidence.Info($"{name} labels: steps to the stop rule", f.Result.Steps));
            outcome.Numbers.Add(Evidence.Info($"{name} labels: spectral complexity R", f.Margins.SpectralComplexity));
            outcome.Numbers.Add(Evidence.Info($"{name} labels: median raw margin", new MarginDistribution(f.Margins.Raw).Quantile(0.5)));
            outcome.Numbers.Add(Evidence.Info($"{name} labels: median normalized margin", new MarginDistribution(f.Margins.Normalized).Quantile(0.5)));
        }
        outcome.Charts.Add(Charts.Ecdf("normalized", "Spectrally-normalized margin distributions",
            "ECDF over training points of m_i / (R ||X||_F / n); the claim predicts true labels (right) and random labels (left) separate.",
            "normalized margin", [new Sample("true labels", t.Margins.Normalized), new Sample("random labels", r.Margins.Normalized)]));
        outcome.Charts.Add(Charts.Ecdf("raw", "Raw margin distributions",
            "ECDF over training points of m_i = z_y - max_{j != y} z_j; the claim predicts these do not separate true from random labels.",
            "raw margin", [new Sample("true labels", t.Margins.Raw), new Sample("random labels", r.Margins.Raw)]));
        var (ts, tl) = Rows.Series(t.Result.Rows, "train_acc");
        var (rs, rl) = Rows.Series(r.Result.Rows, "train_acc");
        outcome.Charts.Add(Charts.Lines("fit", "Training accuracy", "Both nets reach zero training error; random labels take longer.",
            "step t", "training accuracy", [new Series("true labels", ts, tl), new Series("random labels", rs, rl)]));
        outcome.Notes.Add($"Both nets start from the same initialization on the same training subset and stop at the same training loss (cross-entropy {ctx.Config("train").Stop.Loss}), so the raw margins are compared at equal fit. Random labels: label noise {noise} replaces exactly that fraction of labels by one of the other C - 1 classes, so each label is uniform over the C classes (up to the fixed count).");
        return outcome;
    }
}
