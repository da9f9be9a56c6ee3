namespace Gradscope.Claims.Rules;

using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// margin-growth: GD on the exponential loss of a bias-free ReLU net until long after the training
/// data are separated; the trainer's probes give gamma(t) and rho(t), and a probe here records
/// the change of the normalized weights V(t) = (W_k / ||W_k||_F)_k between probe steps.
/// </summary>
public sealed class MarginGrowth : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "margin-growth";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var trainer = new Trainer<double>(ctx.Config("train", "relu"));
        double[]? previous = null;
        trainer.Probes.Add(new FuncProbe<double>(["v_change"], (c, row) =>
        {
            var v = NormalizedWeights(c.Model);
            double change = double.NaN;
            if (previous is not null)
            {
                double s = 0;
                for (int i = 0; i < v.Length; i++) s += (v[i] - previous[i]) * (v[i] - previous[i]);
                change = Math.Sqrt(s);
            }
            previous = v;
            row.Set("v_change", change);
        }));
        ctx.Progress("training");
        var result = ctx.Run(trainer, "relu");
        var rows = result.Rows;
        int sep = -1;
        for (int i = 0; i < rows.Count; i++) if (rows[i]["min_margin"] > 0) { sep = i; break; }
        if (sep < 0 || sep >= rows.Count - 3)
        {
            outcome.Numbers.Add(ctx.Check("gamma_nondecreasing", "the data were never separated (or only at the very end)", 0));
            return outcome;
        }
        var after = rows.Skip(sep).ToList();
        var gamma = after.Select(r => r["gamma"]).ToList();
        var steps = after.Select(r => r["step"]).ToList();
        var rho = after.Select(r => r["rho"]).ToList();
        var logt = steps.Select(s => Math.Log(Math.Max(s, 1))).ToList();
        var fit = ClaimMath.LinearFit(logt, rho);
        var changes = after.Skip(1).Select(r => r["v_change"]).Where(double.IsFinite).ToList();
        outcome.Numbers.Add(ctx.Check("gamma_nondecreasing", "fraction of probe intervals after separation where gamma does not fall (1e-12 slack)", ClaimMath.FractionNonDecreasing(gamma, 1e-12)));
        outcome.Numbers.Add(ctx.Check("gamma_grew", "gamma(T) / gamma(at separation)", gamma[^1] / gamma[0]));
        outcome.Numbers.Add(ctx.Check("rho_log_r2", "R^2 of rho vs log t after separation", fit.R2));
        outcome.Numbers.Add(ctx.Check("rho_slope", "slope of rho vs log t", fit.Slope));
        outcome.Numbers.Add(ctx.Check("v_converges", "last ||V(t_j) - V(t_{j-1})|| / largest after separation", changes[^1] / changes.Max()));
        outcome.Numbers.Add(Evidence.Info("step at which the training data were first separated", steps[0]));
        outcome.Numbers.Add(Evidence.Info("gamma(T)", gamma[^1]));
        outcome.Numbers.Add(Evidence.Info("rho(T)", rho[^1]));
        var (allSteps, allGamma) = Rows.Series(rows, "gamma");
        outcome.Charts.Add(Charts.Line("gamma", "Minimum normalized margin gamma(t)", "gamma = min_i y_i f(x_i) / rho, rho = prod_k ||W_k||_F; the claim predicts it is non-decreasing once the data are separated.",
            "step t", "gamma", allSteps, allGamma, logX: true));
        var (rs, rv) = Rows.Series(rows, "rho");
        outcome.Charts.Add(Charts.Line("rho", "rho(t) = prod_k ||W_k||_F", "The claim predicts growth like log t: a straight line on this log-time axis.", "step t", "rho", rs, rv, logX: true));
        var (vs, vv) = Rows.Series(rows.Skip(1).ToList(), "v_change");
        outcome.Charts.Add(Charts.Line("v-change", "Change of the normalized weights V between probes", "||V(t_j) - V(t_{j-1})|| at log-spaced probes; convergence of V(t) shows as a decay.", "step t", "change of V", vs, vv, logX: true, logY: true));
        return outcome;
    }

    private static double[] NormalizedWeights(Nn.Sequential<double> model)
    {
        var result = new List<double>();
        foreach (var w in model.Weights)
        {
            var s = w.Value.Span;
            double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<double>(s));
            foreach (double v in s) result.Add(v / norm);
        }
        return result.ToArray();
    }
}
