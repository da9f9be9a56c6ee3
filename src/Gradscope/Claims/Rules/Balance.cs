namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Report;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

/// <summary>
/// balance (Du, Hu and Lee 2018): a bias-free ReLU net trained by gradient flow (RK45 with event location at
/// the ReLU kinks) to the horizon T keeps the layer balances b_k = ||W_{k+1}||_F^2 - ||W_k||_F^2, and a deep
/// linear net's flow keeps the matrices B_k = W_{k+1}^T W_{k+1} - W_k W_k^T; GD with step eta, run exactly T/eta
/// steps from the same init, drifts by d(eta) = eta C + O(eta^2) (each step moves b_k by
/// eta^2 (||g_{k+1}||^2 - ||g_k||^2)). Controls: GD at the largest eta and a ReLU net with biases, both judged
/// by the flow's drift check.
/// </summary>
public sealed class Balance : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "balance";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var o = new ClaimOutcome();
        double horizon = ctx.Parameters.Double("horizon");
        double[] etas = ctx.Parameters.Doubles("etas");
        var series = new List<Series>();

        // ReLU net: gradient flow.
        var flow = RunRelu(ctx, ctx.Config("relu", "relu"), "relu-flow", "flow", series);
        // Deep linear net: gradient flow and its matrix invariant.
        var lin = new Trainer<double>(ctx.Config("linear", "linear"));
        var m0 = MatrixBalances(lin.Model);
        double linScale0 = SquaredNorm(lin.Model);
        ctx.Progress("linear net: flow");
        var linResult = ctx.Run(lin, "linear-flow");
        var m1 = MatrixBalances(lin.Model);
        double linDrift = 0;
        for (int k = 0; k < m0.Count; k++) linDrift = Math.Max(linDrift, (m1[k] - m0[k]).FrobeniusNorm() / linScale0);
        // GD at each eta for exactly T / eta steps from the flow's init.
        var gd = new List<(double Eta, long Steps, double Drift)>();
        foreach (double eta in etas)
        {
            long steps = (long)Math.Round(horizon / eta);
            var cfg = ctx.Config("relu", "relu");
            cfg = cfg with
            {
                Algorithm = new AlgorithmConfig { Name = "gd", Eta = eta },
                Stop = cfg.Stop with { Time = null, Steps = steps },
            };
            var r = RunRelu(ctx, cfg, $"relu-gd-{eta:G3}", $"GD (eta = {eta:G3})", series);
            gd.Add((eta, steps, r.Drift));
        }
        // Control: the same ReLU flow on a net with biases.
        var biasCfg = ctx.Config("relu", "relu");
        biasCfg = biasCfg with { Model = biasCfg.Model with { Mlp = biasCfg.Model.Mlp! with { Bias = true } } };
        var biased = RunRelu(ctx, biasCfg, "relu-flow-bias", "flow, net with biases", series);

        bool biasFree = flow.Homogeneous && lin.Model.IsHomogeneous;
        o.Hypotheses.Add(ctx.Hypothesis("relu_flow_horizon", flow.Time / horizon));
        o.Hypotheses.Add(ctx.Hypothesis("relu_flow_movement", flow.Growth));
        o.Hypotheses.Add(ctx.Hypothesis("linear_flow_horizon", linResult.Time / horizon));
        o.Hypotheses.Add(ctx.Hypothesis("bias_free", biasFree ? 1 : 0));
        o.Hypotheses.Add(ctx.Hypothesis("gd_exact_horizon", gd.Max(g => Math.Abs(g.Steps * g.Eta - horizon))));

        o.Numbers.Add(ctx.Check("flow_relu_drift", flow.Drift));
        o.Numbers.Add(ctx.Check("flow_linear_drift", linDrift));
        var ratios = new List<double>();
        var richardson = new List<double>();
        var byEta = gd.OrderByDescending(g => g.Eta).ToList();
        for (int i = 0; i + 1 < byEta.Count; i++)
        {
            double d = byEta[i].Drift, dHalf = byEta[i + 1].Drift;
            ratios.Add(d / dHalf);
            richardson.Add(Math.Abs(2 * dHalf - d) / d);
            // every ratio in the bracket: the same as min >= lo and max <= hi
            o.Numbers.Add(ctx.Check("gd_ratio", $"GD drift ratio d({byEta[i].Eta:G3}) / d({byEta[i + 1].Eta:G3})", d / dHalf));
        }
        if (ratios.Count == 0) o.Numbers.Add(ctx.Check("gd_ratio", double.NaN));
        o.Numbers.Add(ctx.Check("gd_richardson", richardson.Count == 0 ? double.NaN : richardson.Max()));

        var largest = byEta[0];
        o.Controls.Add(ctx.Control("gd-largest-eta", ctx.Check("flow_relu_drift", largest.Drift)));
        o.Controls.Add(ctx.Control("relu-with-biases", ctx.Check("flow_relu_drift", biased.Drift)));

        foreach (var g in byEta) o.Numbers.Add(Evidence.Info($"GD drift d({g.Eta:G3}) at t = {g.Steps} x {g.Eta:G3} (relative)", g.Drift));
        o.Numbers.Add(Evidence.Info("ReLU flow: continuous time reached", flow.Time));
        o.Numbers.Add(Evidence.Info("ReLU flow: accepted RK45 steps", flow.Steps));
        foreach (var (key, label) in new[] { ("flow_events", "located ReLU events"), ("flow_fallback_steps", "fallback steps (chattering)"),
                     ("flow_max_fallback_error", "max fallback error estimate (error norm, 1 = tolerance)"), ("flow_max_step_error", "max RK45 step error (error norm)") })
            if (flow.Final.TryGetValue(key, out double v)) o.Numbers.Add(Evidence.Info($"ReLU flow: {label}", v));
        if (flow.Final.TryGetValue("flow_fallback_steps", out double fallbacks) && fallbacks > 0)
            o.Notes.Add($"The ReLU flow located {ClaimContext.Fmt(flow.Final.GetValueOrDefault("flow_events"))} activation-pattern events and took "
                + $"{ClaimContext.Fmt(fallbacks)} fallback steps where a pre-activation chattered about 0 (sliding along a kink; a first-order "
                + "approximation of the Filippov motion, its error estimate is listed). The balance is conserved by the field of every "
                + "activation pattern (the per-unit identity holds for any mask), so the drift check measures the RK45 error only.");
        o.Numbers.Add(Evidence.Info("linear flow: ||W(T)||_F^2 / ||W(0)||_F^2", SquaredNorm(lin.Model) / linScale0));
        o.Numbers.Add(Evidence.Info("biased ReLU flow: continuous time reached", biased.Time));
        o.Charts.Add(Charts.Lines("drift", "Drift of the layer balance vs continuous time",
            "max_k |b_k(t) - b_k(0)| relative to sum_k ||W_k(0)||_F^2 for the ReLU net's gradient flow, GD at each step size (t = steps x eta) and the flow of the same net with biases; the theory predicts ~0 for the bias-free flow and O(eta) for GD.",
            "time t", "relative balance drift", series, logX: true, logY: true));
        return o;
    }

    private sealed record ReluRun(double Drift, double Growth, double Time, long Steps, bool Homogeneous, IReadOnlyDictionary<string, double> Final);

    private static ReluRun RunRelu(ClaimContext ctx, TrainConfig cfg, string runName, string label, List<Series> series)
    {
        var trainer = new Trainer<double>(cfg);
        var b0 = ScalarBalances(trainer.Model);
        double scale0 = SquaredNorm(trainer.Model);
        trainer.Probes.Add(new FuncProbe<double>(["balance_drift"], (c, row) => row.Set("balance_drift", Drift(ScalarBalances(c.Model), b0) / scale0)));
        ctx.Progress($"ReLU net: {label}");
        var result = ctx.Run(trainer, runName);
        var (t, drift) = Rows.Series(result.Rows, "balance_drift", "t");
        series.Add(new Series($"ReLU, {label}", t, drift.Select(v => Math.Max(v, 1e-18)).ToList()));
        return new ReluRun(Drift(ScalarBalances(trainer.Model), b0) / scale0, SquaredNorm(trainer.Model) / scale0, result.Time, result.Steps,
            trainer.Model.IsHomogeneous, result.Final);
    }

    // The registry's layer.{k}.balance and jiang.param_norm (one implementation: LayerBalance.Scalars, FrobeniusNorm.SquaredSum).
    private static double[] ScalarBalances(Sequential<double> model) => LayerBalance.Scalars(WeightMatrix.Of(model));

    private static double SquaredNorm(Sequential<double> model) => FrobeniusNorm.SquaredSum(WeightMatrix.Of(model));

    private static double Drift(double[] b, double[] b0) { double m = 0; for (int k = 0; k < b.Length; k++) m = Math.Max(m, Math.Abs(b[k] - b0[k])); return m; }

    // The matrices B_k whose norms are the registry's layer.{k}.balance_matrix (LayerBalance.Matrix).
    private static List<Matrix<double>> MatrixBalances(Sequential<double> model)
    {
        var ws = WeightMatrix.Of(model);
        var list = new List<Matrix<double>>();
        for (int k = 0; k + 1 < ws.Count; k++) list.Add(LayerBalance.Matrix(ws[k], ws[k + 1]));
        return list;
    }
}
