namespace Gradscope.Claims.Rules;

using Gradscope.Losses;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// normalization-is-margin: the same bias-free ReLU net from the same init is trained on separable data with the
/// exponential loss by plain GD, per-unit weight normalization and LM normalization (THEORY.md section 4) at one step size
/// and step count. gamma = min_i m_i / rho is compared at T, and along the LM run the tangential share of grad log L on the
/// spheres ||V_k|| = 1 (the KKT residual of max margin under unit norm) is fitted against rho. The control is LM with its
/// direction step switched off (only rho_k moves), judged by the same checks.
/// </summary>
public sealed class NormalizationIsMargin : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "normalization-is-margin";

    private sealed record RunData(List<double> Steps, List<double> Gamma, List<double> Rho, List<double> Tangential, double SeparatedAt, long T, double Homogeneity);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var o = new ClaimOutcome();
        var cfg = ctx.Config("train", "net");
        var gd = Train(ctx, cfg, "gd");
        var wn = Train(ctx, cfg with { Algorithm = cfg.Algorithm with { Name = "weight_norm", Options = new Dictionary<string, string> { ["mode"] = "per_unit" } } }, "weight-norm-per-unit");
        var lm = Train(ctx, cfg with { Algorithm = cfg.Algorithm with { Name = "lagrange" } }, "lagrange");
        o.Hypotheses.Add(ctx.Hypothesis("homogeneous", gd.Homogeneity));
        o.Hypotheses.Add(ctx.Hypothesis("exponential_tail", cfg.Loss.Kind is "exponential" or "logistic" ? 1 : 0));
        o.Hypotheses.Add(ctx.Hypothesis("lm_rho_reached", lm.Rho[^1]));
        o.Hypotheses.Add(ctx.Hypothesis("separated", new[] { gd, wn, lm }.Max(r => r.SeparatedAt / r.T)));
        foreach (var (name, r) in new[] { ("GD", gd), ("WN per unit", wn), ("LM", lm) })
        {
            o.Numbers.Add(Evidence.Info($"{name}: gamma(T)", r.Gamma[^1]));
            o.Numbers.Add(Evidence.Info($"{name}: rho(T)", r.Rho[^1]));
            o.Numbers.Add(Evidence.Info($"{name}: tangential share at T", r.Tangential[^1]));
        }
        o.Numbers.Add(Evidence.Info("LM: first probe step with n L < 1", lm.SeparatedAt));
        if (o.Hypotheses.Any(h => !h.Holds)) return o;

        var (margin, slope, final) = Judge(lm, gd);
        o.Numbers.Add(ctx.Check("lm_margin", margin));
        o.Numbers.Add(ctx.Check("wn_margin", wn.Gamma[^1] / gd.Gamma[^1]));
        o.Numbers.Add(ctx.Check("lm_kkt_slope", slope));
        o.Numbers.Add(ctx.Check("lm_kkt_final", final));

        var frozen = Train(ctx, cfg with { Algorithm = cfg.Algorithm with { Name = "lagrange", Options = new Dictionary<string, string> { ["direction_rate"] = "0" } } }, "lagrange-frozen-directions");
        var (fm, fs, ff) = Judge(frozen, gd);
        o.Controls.Add(ctx.Control("frozen-directions", ctx.Check("lm_margin", fm), ctx.Check("lm_kkt_slope", fs), ctx.Check("lm_kkt_final", ff)));

        o.Numbers.Add(Evidence.Info("LM, frozen directions (control): gamma(T)", frozen.Gamma[^1]));
        o.Numbers.Add(Evidence.Info("LM, frozen directions (control): tangential share at T", frozen.Tangential[^1]));
        var runs = new[] { ("GD", gd), ("WN per unit", wn), ("LM", lm), ("LM, frozen directions (control)", frozen) };
        o.Charts.Add(Charts.Lines("gamma", "Normalized margin gamma(t) by method",
            "gamma = min_i y_i f(x_i) / prod_k ||W_k||_F from the same init at the same step size; the claim predicts WN and LM reach GD's margin or larger.",
            "step t", "gamma", runs.Select(x => new Series(x.Item1, x.Item2.Steps, x.Item2.Gamma)).ToList(), logX: true));
        o.Charts.Add(Charts.Lines("kkt", "Tangential share of grad log L against rho",
            "max_k ||(I - v_k v_k^T) g_k|| / ||g_k||: 0 at a critical point of the loss on the spheres ||V_k|| = 1 (a max-margin KKT point as rho grows); the claim predicts it falls along LM (log-log axes).",
            "rho", "tangential share", runs.Select(x => new Series(x.Item1, x.Item2.Rho, x.Item2.Tangential)).ToList(), logX: true, logY: true));
        o.Notes.Add("Every run starts from the same He-initialized weights with the same step size and step count; batch norm is not judged (see the definition's notes).");
        return o;
    }

    // The checked numbers of an LM-type run against GD (the same code judges the claim and its control).
    private static (double Margin, double Slope, double Final) Judge(RunData lm, RunData gd)
    {
        double margin = lm.Gamma[^1] / gd.Gamma[^1];
        var idx = Enumerable.Range(0, lm.Steps.Count).Where(i => lm.Steps[i] >= lm.SeparatedAt && lm.Tangential[i] > 0 && lm.Rho[i] > 0).ToList();
        double slope = idx.Count >= 3 && !double.IsInfinity(lm.SeparatedAt)
            ? ClaimMath.LinearFit(idx.Select(i => Math.Log(lm.Rho[i])).ToList(), idx.Select(i => Math.Log(lm.Tangential[i])).ToList()).Slope
            : double.NaN;
        return (margin, slope, lm.Tangential[^1]);
    }

    private static RunData Train(ClaimContext ctx, TrainConfig cfg, string name)
    {
        var trainer = new Trainer<double>(cfg);
        trainer.Probes.Add(new FuncProbe<double>(["tangential"], (c, row) => row.Set("tangential", Tangential(trainer))));
        ctx.Progress($"{name}: training");
        var result = ctx.Run(trainer, name);
        var rows = result.Rows;
        int n = trainer.Train.N;
        var steps = rows.Select(r => r["step"]).ToList();
        int sep = rows.ToList().FindIndex(r => r["loss"] * n < 1);
        return new RunData(steps, rows.Select(r => r["gamma"]).ToList(), rows.Select(r => r["rho"]).ToList(), rows.Select(r => r["tangential"]).ToList(),
            sep < 0 ? double.PositiveInfinity : steps[sep], result.Steps, Homogeneity.Error(trainer.Model, trainer.Train));
    }

    /// <summary>max_k ||(I - v_k v_k^T) g_k|| / ||g_k|| at the current weights, g = grad log L (never underflows).</summary>
    private static double Tangential(Trainer<double> trainer)
    {
        var model = trainer.Model;
        // NOTE: the evaluation overwrites FlatGrad only; every algorithm recomputes its gradient at its next step.
        trainer.Objective.Evaluate(ReadOnlySpan<int>.Empty, LossOutput.Log);
        double worst = 0;
        foreach (var w in model.Weights)
        {
            var v = model.Flat.AsSpan(w.Offset, w.Value.Length);
            var g = model.FlatGrad.AsSpan(w.Offset, w.Value.Length);
            double vv = System.Numerics.Tensors.TensorPrimitives.Dot<double>(v, v), gv = System.Numerics.Tensors.TensorPrimitives.Dot<double>(g, v);
            double gg = System.Numerics.Tensors.TensorPrimitives.Dot<double>(g, g);
            double tangential2 = Math.Max(0, gg - gv * gv / vv);
            worst = Math.Max(worst, Math.Sqrt(tangential2 / gg));
        }
        return worst;
    }
}
