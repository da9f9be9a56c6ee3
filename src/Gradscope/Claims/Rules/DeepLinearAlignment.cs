namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// deep-linear-alignment (Ji &amp; Telgarsky 2019): GD on the logistic loss of a deep linear net on separable data, once from
/// a standard init (LeCun x the config's scale) to check the mechanism (R_k = ||W_k||_F^2 - ||W_k||_2^2 frozen, 1 - s_1^2 /
/// ||W_k||_F^2 falling like ||W_k||_F^-2) and once from a small init (LeCun x small_init_scale) to check rank one, alignment
/// and the SVM direction at T. The square-loss control repeats both runs through the same checks.
/// </summary>
public sealed class DeepLinearAlignment : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "deep-linear-alignment";

    private sealed record RunData(List<double> Steps, List<double[]> F2, List<double[]> S2, List<double> MinAlignment, List<double> MaxStableRank,
        List<double> Angle, int[] Layers, double SeparatedAt, long T, double Homogeneity);

    private sealed record Checked(double Residual, double Slope, double R2, double StableRank, double Alignment, double Angle, double[] Slopes);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var o = new ClaimOutcome();
        var cfg = ctx.Config("train", "standard");
        double small = ctx.Parameters.Double("small_init_scale");
        var smallCfg = cfg with { Model = cfg.Model with { Init = cfg.Model.Init with { Scale = small } } };
        var data = new Trainer<double>(cfg).Train;
        var svm = HardMarginSvm.Fit(data);
        var u = svm.Direction;
        o.Hypotheses.Add(ctx.Hypothesis("separable", svm.Margin) with { Key = "svm.margin" });
        o.Hypotheses.Add(ctx.Hypothesis("exponential_tail", cfg.Loss.Kind is "logistic" or "exponential" ? 1 : 0));

        var standard = Train(ctx, cfg, u, "standard");
        var smallRun = Train(ctx, smallCfg, u, "small-init");
        o.Hypotheses.Add(ctx.Hypothesis("homogeneous", Math.Max(standard.Homogeneity, smallRun.Homogeneity)));
        o.Hypotheses.Add(ctx.Hypothesis("separated_early", standard.SeparatedAt / standard.T));
        o.Hypotheses.Add(ctx.Hypothesis("small_separated", smallRun.SeparatedAt / smallRun.T));
        if (o.Hypotheses.Any(h => !h.Holds)) return o;

        var c = Judge(standard, smallRun);
        AddChecks(ctx, c, o.Numbers.Add);

        var sq = cfg with { Loss = cfg.Loss with { Kind = "square" } };
        var sqSmall = smallCfg with { Loss = smallCfg.Loss with { Kind = "square" } };
        var sqStandard = Train(ctx, sq, u, "square-standard");
        var sqSmallRun = Train(ctx, sqSmall, u, "square-small-init");
        var s = Judge(sqStandard, sqSmallRun);
        var controlChecks = new List<Evidence>();
        AddChecks(ctx, s, controlChecks.Add);
        o.Controls.Add(ctx.Control("square-loss", controlChecks.ToArray()));

        for (int k = 0; k < standard.Layers.Length; k++)
            o.Numbers.Add(Evidence.Info($"standard init, W_{standard.Layers[k] + 1}: slope of log(1 - s_1^2/||W||_F^2) vs log ||W||_F^2", c.Slopes[k]));
        o.Numbers.Add(Evidence.Info("standard init: max stable rank at T", standard.MaxStableRank[^1]));
        o.Numbers.Add(Evidence.Info("standard init: angle to the SVM direction at T [rad]", standard.Angle[^1]));
        o.Numbers.Add(Evidence.Info("first probe step with 100% training accuracy (standard init)", standard.SeparatedAt));
        o.Numbers.Add(Evidence.Info("first probe step with 100% training accuracy (small init)", smallRun.SeparatedAt));
        o.Numbers.Add(Evidence.Info("square-loss control: angle to the SVM direction at T (small init) [rad]", s.Angle));

        var rank = new List<Series>();
        foreach (var (run, label) in new[] { (standard, "standard"), (sqStandard, "square loss") })
            for (int k = 0; k < run.Layers.Length; k++)
            {
                var x = new List<double>(); var y = new List<double>();
                for (int i = 0; i < run.Steps.Count; i++)
                    if (1 - run.S2[i][k] / run.F2[i][k] is var g && g > 0) { x.Add(run.F2[i][k]); y.Add(g); }
                rank.Add(new Series($"{label}: W_{run.Layers[k] + 1}", x, y));
            }
        o.Charts.Add(Charts.Lines("mechanism", "1 - s_1^2 / ||W_k||_F^2 against ||W_k||_F^2",
            "Ji & Telgarsky: R_k = ||W_k||_F^2 - ||W_k||_2^2 stays bounded while ||W_k||_F^2 grows, so this falls with slope -1 on log-log axes (standard init; the square-loss control stops growing).",
            "||W_k||_F^2", "1 - s_1^2 / ||W_k||_F^2", rank, logX: true, logY: true));
        o.Charts.Add(Charts.Lines("stable-rank", "Max stable rank vs t",
            "Over layers with both dimensions > 1; the claim predicts 1.", "step t", "stable rank",
            [new Series("standard init", standard.Steps, standard.MaxStableRank), new Series("small init", smallRun.Steps, smallRun.MaxStableRank),
             new Series("square loss, small init", sqSmallRun.Steps, sqSmallRun.MaxStableRank)], logX: true));
        o.Charts.Add(Charts.Lines("alignment", "Min alignment of adjacent layers vs t", "|<v_1(W_{k+1}), u_1(W_k)>|; the claim predicts 1.", "step t", "alignment",
            [new Series("standard init", standard.Steps, standard.MinAlignment), new Series("small init", smallRun.Steps, smallRun.MinAlignment),
             new Series("square loss, small init", sqSmallRun.Steps, sqSmallRun.MinAlignment)], logX: true));
        o.Charts.Add(Charts.Lines("angle", "End-to-end direction vs SVM direction",
            "Angle between W_L ... W_1 and the hard-margin SVM direction; the claim predicts convergence to 0 like 1/log t (log-time axis).", "step t", "angle [rad]",
            [new Series("standard init", standard.Steps, standard.Angle), new Series("small init", smallRun.Steps, smallRun.Angle),
             new Series("square loss, small init", sqSmallRun.Steps, sqSmallRun.Angle)], logX: true, logY: true));
        return o;
    }

    private static void AddChecks(ClaimContext ctx, Checked c, Action<Evidence> add)
    {
        add(ctx.Check("residual_frozen", c.Residual));
        add(ctx.Check("rank_slope", c.Slope));
        add(ctx.Check("rank_r2", c.R2));
        add(ctx.Check("small_stable_rank", c.StableRank));
        add(ctx.Check("small_alignment", c.Alignment));
        add(ctx.Check("small_angle", c.Angle));
    }

    private static RunData Train(ClaimContext ctx, TrainConfig cfg, double[] u, string name)
    {
        var trainer = new Trainer<double>(cfg);
        var shapes = WeightMatrix.Of(trainer.Model);
        int[] layers = Enumerable.Range(0, shapes.Count).Where(k => shapes[k].Rows > 1 && shapes[k].Cols > 1).ToArray();
        var steps = new List<double>(); var f2 = new List<double[]>(); var s2 = new List<double[]>();
        var align = new List<double>(); var sr = new List<double>(); var angle = new List<double>();
        trainer.Probes.Add(new FuncProbe<double>(["angle_svm"], (c, row) =>
        {
            var ws = WeightMatrix.Of(c.Model);
            steps.Add(c.Step);
            // ||W_k||_F and the stable rank from the registry (power iteration to 1e-10 from the seeded start)
            var v = ClaimMeasures.Values(ClaimMeasures.Context(c.Model, trainer.Train), layers.SelectMany(k => new[] { $"layer.{k}.frobenius", $"layer.{k}.stable_rank" }).ToArray());
            f2.Add(layers.Select(k => Math.Pow(v[$"layer.{k}.frobenius"], 2)).ToArray());
            // NOTE: ||W_k||_2 by a full SVD, not the registry's power iteration: the residual ||W||_F^2 - ||W||_2^2 of a nearly
            // rank-1 layer is a small difference that the 1e-10 tolerance of the power iteration would swamp.
            s2.Add(layers.Select(k => Math.Pow(SpectralNorm.BySvd(ws[k]), 2)).ToArray());
            sr.Add(layers.Max(k => v[$"layer.{k}.stable_rank"]));
            align.Add(Alignment.All(ws).Min());
            double a = EndToEnd.Angle(EndToEnd.Vector(c.Model), u);
            angle.Add(a);
            row.Set("angle_svm", a);
        }));
        ctx.Progress($"{name}: training");
        var result = ctx.Run(trainer, name);
        var (accSteps, error) = Rows.Series(result.Rows, "train_error");
        int first = error.FindIndex(e => e <= 0);
        double sep = first < 0 ? double.PositiveInfinity : accSteps[first];
        return new RunData(steps, f2, s2, align, sr, angle, layers, sep, result.Steps, Homogeneity.Error(trainer.Model, trainer.Train));
    }

    // The checked numbers from a standard-init and a small-init run (the same code judges the claim and its control).
    private static Checked Judge(RunData standard, RunData small)
    {
        int atT = standard.Steps.Count - 1;
        int atT10 = standard.Steps.FindIndex(t => t >= standard.T / 10.0);
        double residual = 0;
        for (int k = 0; k < standard.Layers.Length; k++)
        {
            double r0 = standard.F2[atT10][k] - standard.S2[atT10][k], r1 = standard.F2[atT][k] - standard.S2[atT][k];
            residual = Math.Max(residual, Math.Abs(r1 - r0) / r0);
        }
        double worstSlope = 0, worstR2 = 1;
        var slopes = new double[standard.Layers.Length];
        for (int k = 0; k < standard.Layers.Length; k++)
        {
            var x = new List<double>(); var y = new List<double>();
            for (int i = 0; i < standard.Steps.Count; i++)
            {
                double g = 1 - standard.S2[i][k] / standard.F2[i][k];
                if (standard.Steps[i] >= standard.SeparatedAt && g > 0) { x.Add(Math.Log(standard.F2[i][k])); y.Add(Math.Log(g)); }
            }
            var fit = x.Count >= 3 ? ClaimMath.LinearFit(x, y) : (Slope: double.NaN, Intercept: double.NaN, R2: double.NaN);
            slopes[k] = fit.Slope;
            worstSlope = Math.Max(worstSlope, Math.Abs(fit.Slope + 1));
            worstR2 = Math.Min(worstR2, fit.R2);
            if (double.IsNaN(fit.Slope)) { worstSlope = double.NaN; worstR2 = double.NaN; }
        }
        if (double.IsInfinity(standard.SeparatedAt)) { worstSlope = double.NaN; worstR2 = double.NaN; }
        return new Checked(residual, worstSlope, worstR2, small.MaxStableRank[^1], small.MinAlignment[^1], small.Angle[^1], slopes);
    }
}
