namespace Gradscope.Claims.Rules;

using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// linear-max-margin: GD on the logistic loss of a linear model on separable data, from several
/// initialization scales; the angle between w(t) and the hard-margin SVM direction (solved
/// independently by <see cref="HardMarginSvm"/>) is probed at log-spaced steps.
/// </summary>
public sealed class LinearMaxMargin : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "linear-max-margin";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var series = new List<Report.Series>();
        double worstFinal = 0, worstDecreasing = 1, worstR2 = 1, worstIntercept = 0;
        foreach (double scale in ctx.Parameters.Doubles("inits"))
        {
            string name = $"init-{scale:G3}";
            var cfg = ctx.Config("train", name);
            cfg = cfg with { Model = cfg.Model with { Init = cfg.Model.Init with { Scale = scale } } };
            var trainer = new Trainer<double>(cfg);
            var svm = HardMarginSvm.Fit(trainer.Train);
            var u = svm.Direction;
            trainer.Probes.Add(new FuncProbe<double>(["angle_svm"], (c, row) =>
                row.Set("angle_svm", ClaimMath.Angle(c.Model.Weights[0].Value.Span, u))));
            ctx.Progress($"{name}: training");
            var result = ctx.Run(trainer, name);
            var (steps, angles) = Rows.Series(result.Rows, "angle_svm");
            var (_, acc) = Rows.Series(result.Rows, "train_acc");
            // after separation (train accuracy 1) the angle must fall
            int first = acc.FindIndex(a => a >= 1.0);
            var late = first < 0 ? new List<double>() : angles.Skip(first).ToList();
            double decreasing = late.Count >= 2 ? ClaimMath.FractionNonIncreasing(late) : 0;
            var fitX = new List<double>(); var fitY = new List<double>();
            for (int i = 0; i < steps.Count; i++)
                if (steps[i] >= 100) { fitX.Add(1 / Math.Log(steps[i])); fitY.Add(angles[i]); }
            var fit = fitX.Count >= 3 ? ClaimMath.LinearFit(fitX, fitY) : (Slope: double.NaN, Intercept: double.NaN, R2: double.NaN);
            double final = angles[^1];
            worstFinal = Math.Max(worstFinal, final);
            worstDecreasing = Math.Min(worstDecreasing, decreasing);
            worstR2 = double.IsNaN(fit.R2) ? double.NaN : Math.Min(worstR2, fit.R2);
            worstIntercept = Math.Max(worstIntercept, Math.Abs(fit.Intercept));
            outcome.Numbers.Add(Evidence.Info($"init scale {scale:G3}: final angle [rad]", final));
            outcome.Numbers.Add(Evidence.Info($"init scale {scale:G3}: fit angle = a + b/log t: b", fit.Slope));
            series.Add(new Report.Series(name, steps, angles));
        }
        outcome.Numbers.Insert(0, ctx.Check("final_angle", "max over inits of angle(w(T), w_svm) [rad]", worstFinal));
        outcome.Numbers.Insert(1, ctx.Check("decreasing", "min over inits: fraction of probe intervals after separation where the angle falls", worstDecreasing));
        outcome.Numbers.Insert(2, ctx.Check("rate_r2", "min over inits: R^2 of angle vs 1/log t (t >= 100)", worstR2));
        outcome.Numbers.Insert(3, ctx.Check("rate_intercept", "max over inits: |angle extrapolated to 1/log t = 0| [rad]", worstIntercept));
        outcome.Charts.Add(Charts.Lines("angle", "Angle to the SVM direction vs t",
            "GD on the logistic loss from several initialization scales; the claim predicts convergence to 0 like 1/log t (log-time axis).",
            "step t", "angle(w(t), w_svm) [rad]", series, logX: true, logY: true));
        return outcome;
    }
}
