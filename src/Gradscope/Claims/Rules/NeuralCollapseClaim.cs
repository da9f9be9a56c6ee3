namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// neural-collapse: a bias-free ReLU MLP trained on a class-balanced multiclass set with the square loss and
/// weight decay; NC1, NC2 (equinorm, equiangularity), NC3 and NC4 of the penultimate features (the input of
/// the last layer, <see cref="NeuralCollapse"/>) are measured at every probe. Each must fall by a predeclared
/// factor from its value at initialization and end below a predeclared level.
/// </summary>
public sealed class NeuralCollapseClaim : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "neural-collapse";

    private static readonly (string Key, string Label, string Threshold)[] Quantities =
    [
        ("nc1", "NC1 = tr(Sigma_W pinv(Sigma_B)) / C", "nc1"),
        ("nc2_equinorm", "NC2 equinorm = std_c / mean_c ||mu_c - mu_G||", "nc2_norm"),
        ("nc2_equiangularity", "NC2 equiangularity = mean |cos + 1/(C-1)|", "nc2_angle"),
        ("nc3", "NC3 = ||W_L^T/||W_L|| - M/||M|| ||^2", "nc3"),
        ("nc4", "NC4 = fraction where NCC != network", "nc4"),
    ];

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var cfg = ctx.Config("train", "nc");
        var trainer = new Trainer<double>(cfg);
        var data = trainer.Train;
        trainer.Probes.Add(new FuncProbe<double>(Quantities.Select(q => q.Key).ToArray(), (c, row) =>
        {
            var r = NeuralCollapse.Of(c.Model, data);
            row.Set("nc1", r.NC1);
            row.Set("nc2_equinorm", r.NC2Equinorm);
            row.Set("nc2_equiangularity", r.NC2Equiangularity);
            row.Set("nc3", r.NC3 ?? double.NaN);
            row.Set("nc4", r.NC4 ?? double.NaN);
        }));
        ctx.Progress("training");
        var result = ctx.Run(trainer, "nc");
        var rows = result.Rows;
        var series = new List<Series>();
        foreach (var (key, label, th) in Quantities)
        {
            var (steps, values) = Rows.Series(rows, key);
            double early = values[0], final = values[^1];
            double ratio = early > 0 ? final / early : final == 0 ? 0 : double.PositiveInfinity;
            outcome.Numbers.Add(ctx.Check(th + "_fall", $"{label}: value at T / value at step 0", ratio));
            outcome.Numbers.Add(ctx.Check(th + "_level", $"{label} at T", final));
            outcome.Numbers.Add(Evidence.Info($"{label} at step 0", early));
            series.Add(new Series(label, steps.Skip(1).ToList(), values.Skip(1).ToList()));
        }
        var counts = Enumerable.Range(0, data.Classes).Select(k => data.Y.Count(y => y == k)).ToArray();
        outcome.Numbers.Add(Evidence.Info("training accuracy at T", result.Final["train_acc"]));
        outcome.Numbers.Add(Evidence.Info("square loss at T", result.Final["train_loss"]));
        outcome.Notes.Add($"{data.N} training points, {counts.Min()}-{counts.Max()} per class (balanced, as the simplex-ETF prediction assumes); "
            + $"full-batch GD, eta = {ClaimContext.Fmt(cfg.Algorithm.Eta)}, weight decay lambda = {ClaimContext.Fmt(cfg.Algorithm.WeightDecay)}, {result.Steps:N0} steps "
            + $"(eta lambda T = {ClaimContext.Fmt(cfg.Algorithm.Eta * cfg.Algorithm.WeightDecay * result.Steps)}). Features: the input of the last layer.");
        outcome.Charts.Add(Charts.Lines("nc", "Neural collapse along training",
            "NC1..NC4 of the penultimate features vs step (log-log); the claim predicts each falls toward 0.",
            "step t", "value", series, logX: true, logY: true));
        return outcome;
    }
}
