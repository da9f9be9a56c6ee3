namespace Gradscope.Claims.Rules;

using Gradscope.Nn;
using Gradscope.Report;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

/// <summary>
/// balance: the same net and data trained by gradient flow (RK45) and by GD with steps eta and
/// eta/2 over the same continuous time; the layer balances b_k = ||W_{k+1}||_F^2 - ||W_k||_F^2
/// (ReLU net) and the matrices B_k = W_{k+1}^T W_{k+1} - W_k W_k^T (linear net) are compared
/// with their initial values.
/// </summary>
public sealed class Balance : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "balance";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        double horizon = ctx.Parameters.Double("horizon"), eta = ctx.Parameters.Double("eta");
        var series = new List<Series>();
        var relu = new Dictionary<string, double>();
        // NOTE: where a ReLU unit's pre-activation is pushed onto 0 from both sides the flow slides along the kink
        // (a Filippov solution); no ODE solver holds its tolerance there, and RK45 crawls. The flow therefore has a
        // step budget (stop.steps) besides the horizon, and GD is compared with it over the time the flow reached.
        double reached = horizon;
        foreach (var (name, algo, step) in new[] { ("flow", "flow", 0.0), ("gd", "gd", eta), ("gd-half", "gd", eta / 2) })
        {
            var cfg = ctx.Config("relu", "relu");
            if (algo == "gd")
                cfg = cfg with
                {
                    Algorithm = new AlgorithmConfig { Name = "gd", Eta = step },
                    Stop = cfg.Stop with { Time = null, Steps = Math.Max(1, (long)Math.Round(reached / step)) },
                };
            var trainer = new Trainer<double>(cfg);
            var b0 = ScalarBalances(trainer.Model);
            double scale0 = SquaredNorm(trainer.Model);
            trainer.Probes.Add(new FuncProbe<double>(["balance_drift"], (c, row) => row.Set("balance_drift", Drift(ScalarBalances(c.Model), b0) / scale0)));
            ctx.Progress($"ReLU net: {name}");
            var result = ctx.Run(trainer, "relu-" + name);
            relu[name] = Drift(ScalarBalances(trainer.Model), b0) / scale0;
            if (algo == "flow")
            {
                reached = result.Time;
                outcome.Numbers.Add(Evidence.Info("ReLU net, flow: continuous time reached (horizon or step budget)", reached));
                outcome.Numbers.Add(Evidence.Info("ReLU net, flow: accepted RK45 steps", result.Steps));
                if (reached < horizon)
                    outcome.Notes.Add($"The ReLU flow used its step budget at t = {ClaimContext.Fmt(reached)} < horizon {ClaimContext.Fmt(horizon)}: "
                        + "the flow slides along a ReLU kink there (tiny steps); GD is compared with it over the same time.");
            }
            var (steps, drift) = Rows.Series(result.Rows, "balance_drift", "t");
            series.Add(new Series($"ReLU, {name}{(algo == "gd" ? $" (eta = {step:G3})" : "")}", steps, drift.Select(v => Math.Max(v, 1e-18)).ToList()));
            outcome.Numbers.Add(Evidence.Info($"ReLU net, {name}: weight growth ||W(T)||^2 / ||W(0)||^2", SquaredNorm(trainer.Model) / scale0));
        }
        // Deep linear net: the matrix invariant under the flow.
        var lin = new Trainer<double>(ctx.Config("linear", "linear"));
        var m0 = MatrixBalances(lin.Model);
        ctx.Progress("linear net: flow");
        ctx.Run(lin, "linear-flow");
        var m1 = MatrixBalances(lin.Model);
        double linDrift = 0;
        for (int k = 0; k < m0.Count; k++)
        {
            double f = Weight(lin.Model, k).FrobeniusNorm(), wk = f * f;
            linDrift = Math.Max(linDrift, (m1[k] - m0[k]).FrobeniusNorm() / wk);
        }
        outcome.Numbers.Add(ctx.Check("flow_relu_drift", "gradient flow: max_k |b_k(T) - b_k(0)| / sum_k ||W_k(0)||_F^2 (ReLU net)", relu["flow"]));
        outcome.Numbers.Add(ctx.Check("flow_linear_drift", "gradient flow: max_k ||B_k(T) - B_k(0)||_F / ||W_k(T)||_F^2 (linear net)", linDrift));
        double ratio = relu["gd"] / relu["gd-half"];
        outcome.Numbers.Add(ctx.Check("gd_drift_ratio_low", "GD drift(eta) / drift(eta/2) over the same time", ratio));
        outcome.Numbers.Add(ctx.Check("gd_drift_ratio_high", "GD drift(eta) / drift(eta/2) over the same time", ratio));
        outcome.Numbers.Add(ctx.Check("gd_drifts", "GD drift(eta) / flow drift", relu["gd"] / Math.Max(relu["flow"], 1e-300)));
        outcome.Numbers.Add(Evidence.Info($"GD drift at eta = {eta:G3} (relative)", relu["gd"]));
        outcome.Numbers.Add(Evidence.Info($"GD drift at eta = {eta / 2:G3} (relative)", relu["gd-half"]));
        outcome.Charts.Add(Charts.Lines("drift", "Drift of the layer balance vs continuous time",
            "max_k |b_k(t) - b_k(0)| relative to sum_k ||W_k(0)||_F^2 for gradient flow and GD at two step sizes (t = steps x eta for GD); the claim predicts ~0 for the flow and O(eta) for GD.",
            "time t", "relative balance drift", series, logX: true, logY: true));
        return outcome;
    }

    private static double[] ScalarBalances(Sequential<double> model)
    {
        var ws = model.Weights;
        var b = new double[ws.Count - 1];
        for (int k = 0; k + 1 < ws.Count; k++) b[k] = Sq(ws[k + 1].Value.Span) - Sq(ws[k].Value.Span);
        return b;
    }

    private static double Sq(ReadOnlySpan<double> s) { double a = 0; foreach (double v in s) a += v * v; return a; }

    private static double SquaredNorm(Sequential<double> model) => model.Weights.Sum(w => Sq(w.Value.Span));

    private static double Drift(double[] b, double[] b0) { double m = 0; for (int k = 0; k < b.Length; k++) m = Math.Max(m, Math.Abs(b[k] - b0[k])); return m; }

    private static Matrix<double> Weight(Sequential<double> model, int k) => Matrix<double>.Build.DenseOfArray(Claims.Rows.Matrix(model, k));

    private static List<Matrix<double>> MatrixBalances(Sequential<double> model)
    {
        var list = new List<Matrix<double>>();
        for (int k = 0; k + 1 < model.Weights.Count; k++)
        {
            var wk = Weight(model, k); var wn = Weight(model, k + 1);
            list.Add(wn.TransposeThisAndMultiply(wn) - wk.TransposeAndMultiply(wk));
        }
        return list;
    }
}
