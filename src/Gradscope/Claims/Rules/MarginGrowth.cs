namespace Gradscope.Claims.Rules;

using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// margin-growth (Lyu &amp; Li 2020; Ji &amp; Telgarsky 2020): GD on the exponential loss of a bias-free ReLU net long
/// after the data are separated. Probes record Lyu &amp; Li's smoothed margin log(1/(nL)) / ||theta||^L, the normalized
/// margin gamma = q_min / rho, the minimum margin q_min and the normalized weights V = (W_k / ||W_k||_F)_k at powers of
/// ten. The square-loss control (same net, init and step) goes through the same checks.
/// </summary>
public sealed class MarginGrowth : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "margin-growth";

    private sealed record RunData(List<double> Steps, List<double> Smoothed, List<double> Gamma, List<double> QMin, Dictionary<long, double[]> VAtDecades, double SeparatedAt, long T, int Depth);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var o = new ClaimOutcome();
        var cfg = ctx.Config("train", "relu");
        var squareCfg = cfg with { Loss = cfg.Loss with { Kind = "square" } };
        // the claim's run and the control's side by side, one kernel thread each (the same numbers as one after another);
        // the control is judged only when the hypotheses hold
        var runs = ParallelRuns.Map(ctx, [(Cfg: cfg, Name: "relu"), (Cfg: squareCfg, Name: "square-loss")], j => Train(ctx, j.Cfg with { Threads = 1 }, j.Name));
        var (run, homogeneity) = runs[0];
        o.Hypotheses.Add(ctx.Hypothesis("homogeneous", homogeneity));
        o.Hypotheses.Add(ctx.Hypothesis("exponential_tail", cfg.Loss.Kind is "exponential" or "logistic" ? 1 : 0));
        o.Hypotheses.Add(ctx.Hypothesis("separated_early", run.SeparatedAt / run.T));
        if (o.Hypotheses.Any(h => !h.Holds)) return o;

        var c = Judge(run);
        o.Numbers.Add(ctx.Check("smoothed_monotone", c.Monotone));
        o.Numbers.Add(ctx.Check("gamma_converged", c.GammaChange));
        o.Numbers.Add(ctx.Check("qmin_rate", Math.Abs(c.Slope - 1)));
        o.Numbers.Add(ctx.Check("v_shrinking", c.VRatio));

        var (square, _) = runs[1];
        var s = Judge(square);
        o.Controls.Add(ctx.Control("square-loss", ctx.Check("smoothed_monotone", s.Monotone), ctx.Check("gamma_converged", s.GammaChange),
            ctx.Check("qmin_rate", Math.Abs(s.Slope - 1)), ctx.Check("v_shrinking", s.VRatio)));

        o.Numbers.Add(Evidence.Info("first probe step with n L < 1 (separation)", run.SeparatedAt));
        o.Numbers.Add(Evidence.Info("fitted slope of q_min - (2 - 2/L) log q_min against log t", c.Slope));
        o.Numbers.Add(Evidence.Info("plain slope of q_min against log t over the same probes (includes the log log t term)", c.PlainSlope));
        o.Numbers.Add(Evidence.Info("gamma(T)", run.Gamma[^1]) with { Key = "gamma_min" });
        o.Numbers.Add(Evidence.Info("q_min(T)", run.QMin[^1]) with { Key = "margin.min" });
        o.Numbers.Add(Evidence.Info("smoothed margin at T", run.Smoothed[^1]));
        o.Numbers.Add(Evidence.Info("square-loss control: q_min(T)", square.QMin[^1]));
        o.Numbers.Add(Evidence.Info("square-loss control: fitted slope", s.Slope));

        o.Charts.Add(Charts.Lines("smoothed", "Smoothed margin log(1/(nL)) / ||theta||^L",
            "Lyu & Li's smoothed margin; Theorem 4.1 predicts it is non-decreasing once n L < 1 (exponential loss). The square-loss control is shown on the same axes.",
            "step t", "smoothed margin", [new Series("exponential loss", run.Steps, run.Smoothed), new Series("square loss (control)", square.Steps, square.Smoothed)], logX: true));
        o.Charts.Add(Charts.Lines("gamma", "Normalized margin gamma(t) = q_min / rho",
            "rho = prod_k ||W_k||_F; the claim predicts gamma converges after separation.",
            "step t", "gamma", [new Series("exponential loss", run.Steps, run.Gamma), new Series("square loss (control)", square.Steps, square.Gamma)], logX: true));
        o.Charts.Add(Charts.Lines("qmin", "Minimum margin q_min(t)",
            "Lyu & Li Thm 4.3: q_min grows like log t + (2 - 2/L) log log t (a near-straight line on this log-time axis); under the square loss it stops near 1.",
            "step t", "q_min", [new Series("exponential loss", run.Steps, run.QMin), new Series("square loss (control)", square.Steps, square.QMin)], logX: true));
        var decades = run.VAtDecades.Keys.Order().ToList();
        var (dx, dy) = (new List<double>(), new List<double>());
        for (int k = 1; k < decades.Count; k++) { dx.Add(decades[k]); dy.Add(Distance(run.VAtDecades[decades[k]], run.VAtDecades[decades[k - 1]])); }
        o.Charts.Add(Charts.Line("v-change", "Movement of the normalized weights V per decade",
            "||V(10^(k+1)) - V(10^k)||, plotted at 10^(k+1); directional convergence shows as a decay.", "step t", "change of V over the decade", dx, dy, logX: true, logY: true));
        return o;
    }

    private static (RunData Run, double Homogeneity) Train(ClaimContext ctx, TrainConfig cfg, string name)
    {
        var trainer = new Trainer<double>(cfg);
        int depth = trainer.Model.Weights.Count;
        int n = trainer.Train.N;
        var vs = new Dictionary<long, double[]>();
        trainer.Probes.Add(new FuncProbe<double>(["smoothed_margin", "theta_norm"], (c, row) =>
        {
            double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<double>(c.Model.Flat));
            row.Set("theta_norm", norm);
            row.Set("smoothed_margin", -(Math.Log(n) + c.Train.LogL) / Math.Pow(norm, depth));
            if (IsPowerOfTen(c.Step)) vs[c.Step] = NormalizedWeights(c.Model);
        }));
        ctx.Progress($"{name}: training");
        var result = ctx.Run(trainer, name);
        var rows = result.Rows;
        var steps = rows.Select(r => r["step"]).ToList();
        var smoothed = rows.Select(r => r["smoothed_margin"]).ToList();
        var gamma = rows.Select(r => r["gamma_min"]).ToList();
        var qmin = rows.Select(r => r["margin.min"]).ToList();
        // separation (Lyu & Li (A4)): the sum loss n L below l(0) = 1, i.e. log L < -log n
        int sep = rows.ToList().FindIndex(r => r["train_loss"] * n < 1);
        double separatedAt = sep < 0 ? double.PositiveInfinity : steps[sep];
        return (new RunData(steps, smoothed, gamma, qmin, vs, separatedAt, result.Steps, depth), Homogeneity.Error(trainer.Model, trainer.Train));
    }

    private sealed record Checked(double Monotone, double GammaChange, double Slope, double PlainSlope, double VRatio);

    // The checked numbers of one run (the same code judges the claim and its control); NaN where the run gives no basis.
    private static Checked Judge(RunData r)
    {
        if (double.IsInfinity(r.SeparatedAt)) return new Checked(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        var after = Enumerable.Range(0, r.Steps.Count).Where(i => r.Steps[i] >= r.SeparatedAt).ToList();
        double monotone = double.NegativeInfinity;
        for (int k = 1; k < after.Count; k++)
            monotone = Math.Max(monotone, (r.Smoothed[after[k - 1]] - r.Smoothed[after[k]]) / Math.Abs(r.Smoothed[after[k - 1]]));
        if (after.Count < 2) monotone = double.NaN;
        int atT = r.Steps.Count - 1;
        int atT10 = r.Steps.FindIndex(s => s >= r.T / 10.0);
        double gammaChange = Math.Abs(r.Gamma[atT] - r.Gamma[atT10]) / Math.Abs(r.Gamma[atT]);
        double from = Math.Max(r.SeparatedAt, r.T / 100.0);
        var fit = Enumerable.Range(0, r.Steps.Count).Where(i => r.Steps[i] >= from && r.Steps[i] >= 1 && r.QMin[i] > 0).ToList();
        double c = 2 - 2.0 / r.Depth;
        var x = fit.Select(i => Math.Log(r.Steps[i])).ToList();
        double slope = fit.Count >= 3 ? ClaimMath.LinearFit(x, fit.Select(i => r.QMin[i] - c * Math.Log(r.QMin[i])).ToList()).Slope : double.NaN;
        double plain = fit.Count >= 3 ? ClaimMath.LinearFit(x, fit.Select(i => r.QMin[i]).ToList()).Slope : double.NaN;
        var decades = r.VAtDecades.Keys.Where(s => s >= r.SeparatedAt).Order().ToList();
        double vRatio = double.NaN;
        if (decades.Count >= 3)
        {
            vRatio = double.NegativeInfinity;
            for (int k = 2; k < decades.Count; k++)
                vRatio = Math.Max(vRatio, Distance(r.VAtDecades[decades[k]], r.VAtDecades[decades[k - 1]]) / Distance(r.VAtDecades[decades[k - 1]], r.VAtDecades[decades[k - 2]]));
        }
        return new Checked(monotone, gammaChange, slope, plain, vRatio);
    }

    private static bool IsPowerOfTen(long s)
    {
        if (s < 1) return false;
        while (s % 10 == 0) s /= 10;
        return s == 1;
    }

    private static double Distance(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.Sqrt(s);
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
