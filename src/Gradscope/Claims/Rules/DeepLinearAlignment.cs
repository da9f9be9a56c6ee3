namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// deep-linear-alignment: GD on the logistic loss of a deep linear net on separable data; probes
/// the stable rank of every layer, the alignment of adjacent layers and the angle between the
/// end-to-end vector and the hard-margin SVM direction (<see cref="HardMarginSvm"/>).
/// </summary>
public sealed class DeepLinearAlignment : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "deep-linear-alignment";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var trainer = new Trainer<double>(ctx.Config("train", "deep-linear"));
        var u = HardMarginSvm.Fit(trainer.Train).Direction;
        int layers = trainer.Model.Weights.Count;
        var keys = new List<string> { "angle_svm", "max_stable_rank", "min_alignment" };
        for (int k = 0; k < layers; k++) keys.Add($"stable_rank.{k}");
        for (int k = 0; k + 1 < layers; k++) keys.Add($"alignment.{k}");
        trainer.Probes.Add(new FuncProbe<double>(keys, (c, row) =>
        {
            var ws = WeightMatrix.Of(c.Model);
            double maxSr = 0, minAl = 1;
            for (int k = 0; k < ws.Count; k++)
            {
                double sr = StableRank.Of(ws[k]);
                row.Set($"stable_rank.{k}", sr);
                if (ws[k].Rows > 1 && ws[k].Cols > 1) maxSr = Math.Max(maxSr, sr);
            }
            var al = Alignment.All(ws);
            for (int k = 0; k < al.Length; k++) { row.Set($"alignment.{k}", al[k]); minAl = Math.Min(minAl, al[k]); }
            row.Set("max_stable_rank", maxSr);
            row.Set("min_alignment", minAl);
            row.Set("angle_svm", EndToEnd.Angle(EndToEnd.Vector(c.Model), u));
        }));
        ctx.Progress("training");
        var result = ctx.Run(trainer, "deep-linear");
        var last = result.Rows[^1];
        var firstRow = result.Rows[0];
        outcome.Numbers.Add(ctx.Check("stable_rank", "max over hidden layers of the stable rank at T", last["max_stable_rank"]));
        outcome.Numbers.Add(ctx.Check("alignment", "min over k of |<v_1(W_{k+1}), u_1(W_k)>| at T", last["min_alignment"]));
        outcome.Numbers.Add(ctx.Check("angle_svm", "angle(W_L ... W_1, w_svm) at T [rad]", last["angle_svm"]));
        outcome.Numbers.Add(ctx.Check("rank_fell", "max stable rank at T / at init", last["max_stable_rank"] / firstRow["max_stable_rank"]));
        outcome.Numbers.Add(Evidence.Info("max stable rank at init", firstRow["max_stable_rank"]));
        outcome.Numbers.Add(Evidence.Info("final training loss", result.Final["train_loss"]));
        var sr = new List<Series>(); var al2 = new List<Series>();
        for (int k = 0; k < layers; k++) { var (s, v) = Rows.Series(result.Rows, $"stable_rank.{k}"); sr.Add(new Series($"W_{k + 1}", s, v)); }
        for (int k = 0; k + 1 < layers; k++) { var (s, v) = Rows.Series(result.Rows, $"alignment.{k}"); al2.Add(new Series($"W_{k + 2} vs W_{k + 1}", s, v)); }
        var (st, ang) = Rows.Series(result.Rows, "angle_svm");
        outcome.Charts.Add(Charts.Lines("stable-rank", "Stable rank of each layer vs t", "The claim predicts every layer tends to rank one (stable rank 1).", "step t", "stable rank", sr, logX: true));
        outcome.Charts.Add(Charts.Lines("alignment", "Alignment of adjacent layers vs t", "|<v_1(W_{k+1}), u_1(W_k)>|; the claim predicts 1.", "step t", "alignment", al2, logX: true));
        outcome.Charts.Add(Charts.Line("angle", "End-to-end direction vs SVM direction", "Angle between W_L ... W_1 and the hard-margin SVM direction; the claim predicts convergence to 0.", "step t", "angle [rad]", st, ang, logX: true, logY: true));
        return outcome;
    }
}
