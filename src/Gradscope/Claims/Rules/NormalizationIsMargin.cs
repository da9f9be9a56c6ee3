namespace Gradscope.Claims.Rules;

using System.Globalization;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// normalization-is-margin: the same bias-free ReLU net from the same init is trained on separable data with the
/// exponential loss, every run stepping on grad log L (loss scaling) at one step size and step count: GD, per-unit weight
/// normalization, LM normalization at the effective step matched to GD's (direction step eta / rho_k, THEORY.md section 4;
/// Theory III: the GD and LM flows of V_k differ by rho_k^2), and the net with a scale-only (homogeneous) batch norm after
/// each hidden layer. gamma = min_i m_i / rho is compared at T (for BN on the folded net). The KKT checks are judged on
/// the matched-step LM's flow limit, the loss-scaled gradient flow (RK45 with ReLU events; Lyu &amp; Li 2020's
/// gradient-flow regime): along it the approximate-KKT residual r of max margin at the unit-norm directions V, with
/// optimal multipliers (<see cref="KktResidual"/>), is fitted against rho on log-log axes. The control is LM with its
/// direction step switched off (only rho_k moves, V stays V_0), judged by the same checks.
/// </summary>
public sealed class NormalizationIsMargin : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "normalization-is-margin";

    private sealed record RunData(List<double> Steps, List<double> Gamma, List<double> Rho, List<double> Tangential, List<double> Kkt,
        double SeparatedAt, long T, double Homogeneity, double Wall, double KktEpsilon, double KktDelta, double Time);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var o = new ClaimOutcome();
        var cfg = ctx.Config("train", "net") with { Threads = 1 };
        var lmOptions = new Dictionary<string, string> { ["loss_scaled"] = "true", ["direction_step"] = "matched" };
        var runs = new (string Name, TrainConfig Cfg)[]
        {
            ("gd", cfg),
            ("weight-norm-per-unit", cfg with { Algorithm = cfg.Algorithm with { Name = "weight_norm", Options = new Dictionary<string, string> { ["mode"] = "per_unit", ["loss_scaled"] = "true" } } }),
            ("lagrange-matched", cfg with { Algorithm = cfg.Algorithm with { Name = "lagrange", Options = lmOptions } }),
            ("scale-batchnorm", cfg with { Model = ScaleBatchNormNet(cfg) }),
            ("lagrange-frozen-directions", cfg with { Algorithm = cfg.Algorithm with { Name = "lagrange", Options = new Dictionary<string, string>(lmOptions) { ["direction_rate"] = "0" } } }),
            // The matched-step LM's continuous-time limit: (rho_k, V_k) move as GD's, so its flow is dW/dt = -grad log L.
            ("lagrange-matched-flow", cfg with { Algorithm = cfg.Algorithm with { Name = "loss_scaled_flow", Options = new Dictionary<string, string>() },
                Stop = cfg.Stop with { Steps = ctx.Parameters.Long("flow_steps") } }),
        };
        var results = ParallelRuns.Map(ctx, runs, r => Train(ctx, r.Cfg, r.Name));
        var (gd, wn, lm, bn, frozen, flow) = (results[0], results[1], results[2], results[3], results[4], results[5]);

        o.Hypotheses.Add(ctx.Hypothesis("homogeneous", gd.Homogeneity));
        o.Hypotheses.Add(ctx.Hypothesis("exponential_tail", cfg.Loss.Kind is "exponential" or "logistic" ? 1 : 0));
        o.Hypotheses.Add(ctx.Hypothesis("lm_rho_reached", flow.Rho[^1]) with { Key = "rho" });
        o.Hypotheses.Add(ctx.Hypothesis("bn_scale_only", ScaleOnly(new Trainer<double>(runs[3].Cfg).Model) ? 1 : 0));
        o.Hypotheses.Add(ctx.Hypothesis("separated", new[] { gd, wn, lm, bn }.Max(r => r.SeparatedAt / r.T)));
        o.Hypotheses.Add(ctx.Hypothesis("flow_rho_decades", RhoDecadesAfterSeparation(flow)));
        var named = new[] { ("GD", gd), ("WN per unit", wn), ("LM (matched step)", lm), ("scale-only BN (folded)", bn), ("LM, frozen directions (control)", frozen),
            ("LM matched-step flow (loss-scaled gradient flow)", flow) };
        foreach (var (name, r) in named)
        {
            o.Numbers.Add(Evidence.Info($"{name}: gamma(T)", r.Gamma[^1]));
            o.Numbers.Add(Evidence.Info($"{name}: rho(T)", r.Rho[^1]));
            o.Numbers.Add(Evidence.Info($"{name}: tangential share of grad log L at T", r.Tangential[^1]));
            if (r != bn)
            {
                o.Numbers.Add(Evidence.Info($"{name}: KKT residual r at T (eps and delta parts: {ClaimContext.Fmt(r.KktEpsilon)}, {ClaimContext.Fmt(r.KktDelta)})", r.Kkt[^1]));
            }
            o.Numbers.Add(Evidence.Info($"{name}: first probe step with n L < 1", r.SeparatedAt));
            o.Numbers.Add(Evidence.Info($"{name}: training wall time [s]", r.Wall));
        }
        o.Numbers.Add(Evidence.Info("gamma_BN(T) / gamma_WN(T) (BN approximates WN, Theory III; no tolerance is stated)", bn.Gamma[^1] / wn.Gamma[^1]));
        if (o.Hypotheses.Any(h => !h.Holds)) return o;

        var (margin, _, _) = Judge(lm, gd);
        var (_, slope, final) = Judge(flow, gd);
        o.Numbers.Add(ctx.Check("lm_margin", margin));
        o.Numbers.Add(ctx.Check("wn_margin", wn.Gamma[^1] / gd.Gamma[^1]));
        o.Numbers.Add(ctx.Check("bn_margin", bn.Gamma[^1] / gd.Gamma[^1]));
        o.Numbers.Add(ctx.Check("lm_kkt_slope", slope));
        o.Numbers.Add(ctx.Check("lm_kkt_final", final));
        var (fm, fs, ff) = Judge(frozen, gd);
        o.Controls.Add(ctx.Control("frozen-directions", ctx.Check("lm_margin", fm), ctx.Check("lm_kkt_slope", fs), ctx.Check("lm_kkt_final", ff)));

        o.Charts.Add(Charts.Lines("gamma", "Normalized margin gamma(t) by method",
            "gamma = min_i y_i f(x_i) / prod_k ||W_k||_F (BN: on the folded net) from the same init at the same loss-scaled step; the claim predicts WN, BN and LM reach GD's margin or larger.",
            "step t", "gamma", named.Select(x => Positive(x.Item1, x.Item2.Steps, x.Item2.Gamma, positiveX: true)).ToList(), logX: true));
        o.Charts.Add(Charts.Lines("kkt", "Approximate-KKT residual r against rho",
            "r = min over lambda >= 0 of sqrt(eps^2 + delta^2) at theta~ = V / q_min(V)^(1/L) (Lyu & Li 2020, optimal multipliers): 0 at a KKT point of max margin under ||V_k|| = 1; the claim predicts it falls like 1/rho along the LM matched-step flow (log-log axes; probes with q_min(V) > 0).",
            "rho", "KKT residual r", named.Where(x => x.Item2 != bn).Select(x => Positive(x.Item1, x.Item2.Rho, x.Item2.Kkt, positiveX: true)).ToList(), logX: true, logY: true));
        o.Charts.Add(Charts.Lines("tangential", "Tangential share of grad log L against rho",
            "max_k ||(I - v_k v_k^T) g_k|| / ||g_k||: 0 at a critical point of the loss on the spheres ||V_k|| = 1 (a max-margin KKT point as rho grows); the claim predicts it falls along LM (log-log axes).",
            "rho", "tangential share", named.Where(x => x.Item2 != bn).Select(x => Positive(x.Item1, x.Item2.Rho, x.Item2.Tangential, positiveX: true)).ToList(), logX: true, logY: true));
        o.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"Every run starts from the same He-initialized dense weights and steps on grad log L at eta = {cfg.Algorithm.Eta} for {cfg.Stop.Steps:N0} steps; LM takes the matched direction step eta / rho_k; BN is scale-only (x / sqrt(mean_batch x^2)), folded into the dense weights for gamma and rho. The KKT checks are judged on the LM matched-step flow (loss-scaled gradient flow, RK45 with ReLU events, {flow.T:N0} accepted steps to t = {ClaimContext.Fmt(flow.Time)})."));
        return o;
    }

    // The MLP of the config with a scale-only batch norm (momentum 1: the running statistic is the last batch's, i.e. the
    // training set's under full-batch steps) after every hidden dense layer.
    private static ModelConfig ScaleBatchNormNet(TrainConfig cfg)
    {
        var widths = cfg.Model.Mlp?.Widths ?? throw new InvalidDataException("normalization-is-margin: the train config must give the net as model.mlp.widths.");
        var layers = new List<LayerConfig>();
        for (int k = 1; k < widths.Length; k++)
        {
            layers.Add(new LayerConfig("dense", new Dictionary<string, string> { ["out"] = widths[k].ToString(CultureInfo.InvariantCulture) }));
            if (k == widths.Length - 1) break;
            layers.Add(new LayerConfig("scale_batchnorm", new Dictionary<string, string> { ["momentum"] = "1" }));
            layers.Add(new LayerConfig(cfg.Model.Mlp.Activation));
        }
        return cfg.Model with { Mlp = null, Layers = layers };
    }

    private static bool ScaleOnly(Sequential<double> model) =>
        model.Layers.All(l => l switch { ScaleBatchNorm<double> s => s.Eps == 0, Dense<double> d => d.IsHomogeneous, BatchNorm<double> => false, _ => true })
        && model.Layers.Any(l => l is ScaleBatchNorm<double>);

    private static Series Positive(string name, List<double> x, List<double> y, bool positiveX)
    {
        var idx = Enumerable.Range(0, x.Count).Where(i => (!positiveX || x[i] > 0) && double.IsFinite(y[i])).ToList();
        return new Series(name, idx.Select(i => x[i]).ToList(), idx.Select(i => y[i]).ToList());
    }

    // The checked numbers of an LM-type run against GD (the same code judges the claim and its control).
    private static (double Margin, double Slope, double Final) Judge(RunData lm, RunData gd)
    {
        double margin = lm.Gamma[^1] / gd.Gamma[^1];
        var idx = Enumerable.Range(0, lm.Steps.Count).Where(i => lm.Steps[i] >= lm.SeparatedAt && lm.Kkt[i] > 0 && lm.Rho[i] > 0).ToList();
        double slope = idx.Count >= 3 && !double.IsInfinity(lm.SeparatedAt)
            ? ClaimMath.LinearFit(idx.Select(i => Math.Log(lm.Rho[i])).ToList(), idx.Select(i => Math.Log(lm.Kkt[i])).ToList()).Slope
            : double.NaN;
        return (margin, slope, lm.Kkt[^1]);
    }

    // log10(rho(T) / rho at the first probe with n L < 1): the decades of rho the KKT slope is fitted over (NaN if never separated).
    private static double RhoDecadesAfterSeparation(RunData r)
    {
        int sep = r.Steps.FindIndex(s => s >= r.SeparatedAt);
        return sep < 0 ? double.NaN : Math.Log10(r.Rho[^1] / r.Rho[sep]);
    }

    private static RunData Train(ClaimContext ctx, TrainConfig cfg, string name)
    {
        var trainer = new Trainer<double>(cfg);
        bool folded = trainer.Model.Layers.Any(l => l is ScaleBatchNorm<double>);
        string[] keys = folded ? ["tangential", "folded_rho", "folded_gamma"] : ["tangential", "kkt", "kkt_eps", "kkt_delta"];
        trainer.Probes.Add(new FuncProbe<double>(keys, (c, row) =>
        {
            // NOTE: Tangential runs a training-mode forward on the full training set, which (momentum 1) sets every scale-only
            // batch norm's running statistic to the current batch statistic before the folded margin is read in evaluation mode.
            row.Set("tangential", Tangential(trainer));
            if (!folded)
            {
                var kkt = KktResidual.OfDirections(trainer.Model, trainer.Train);
                row.Set("kkt", kkt.Residual);
                row.Set("kkt_eps", kkt.Epsilon);
                row.Set("kkt_delta", kkt.Delta);
                return;
            }
            double rho = FoldedNet.Rho(trainer.Model);
            row.Set("folded_rho", rho);
            row.Set("folded_gamma", Margins.Raw(trainer.Model, trainer.Train).Min() / rho);
        }));
        ctx.Progress($"{name}: training");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var result = ctx.Run(trainer, name);
        var rows = result.Rows;
        int n = trainer.Train.N;
        var steps = rows.Select(r => r["step"]).ToList();
        int sep = rows.ToList().FindIndex(r => r["train_loss"] * n < 1);
        var gamma = rows.Select(r => r[folded ? "folded_gamma" : "gamma_min"]).ToList();
        var rhoSeries = rows.Select(r => r[folded ? "folded_rho" : "rho"]).ToList();
        double homogeneity = folded ? double.NaN : Homogeneity.Error(trainer.Model, trainer.Train);
        var kktSeries = rows.Select(r => folded ? double.NaN : r["kkt"]).ToList();
        return new RunData(steps, gamma, rhoSeries, rows.Select(r => r["tangential"]).ToList(), kktSeries,
            sep < 0 ? double.PositiveInfinity : steps[sep], result.Steps, homogeneity, sw.Elapsed.TotalSeconds,
            folded ? double.NaN : rows[^1]["kkt_eps"], folded ? double.NaN : rows[^1]["kkt_delta"], rows[^1]["t"]);
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
