namespace Gradscope.Claims.Rules;

using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// nmgd-min-norm: underdetermined least squares (n &lt; d) with a linear model from a non-zero
/// initialization, trained once by NMGD (Halpern iteration on the GD map, anchor 0) and once by GD;
/// both endpoints are compared with the pseudo-inverse solution from an SVD.
/// </summary>
public sealed class NmgdMinNorm : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "nmgd-min-norm";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var baseCfg = ctx.Config("train", "runs");
        double[]? wStar = null;
        Data.Dataset? data = null;
        var charts = new List<Series>();
        var finals = new Dictionary<string, (double[] W, double Loss, double[] W0)>();
        foreach (string algo in new[] { "nmgd", "gd" })
        {
            var cfg = baseCfg with { Algorithm = baseCfg.Algorithm with { Name = algo } };
            var trainer = new Trainer<double>(cfg);
            data ??= trainer.Train;
            wStar ??= LeastSquares.MinNorm(data);
            var w0 = trainer.Model.Flat.ToArray();
            var target = wStar;
            trainer.Probes.Add(new FuncProbe<double>(["dist_min_norm"], (c, row) =>
                row.Set("dist_min_norm", LeastSquares.RelativeDistance(c.Model.Flat, target))));
            ctx.Progress($"{algo}: training");
            var result = ctx.Run(trainer, algo);
            finals[algo] = (trainer.Model.Flat.ToArray(), result.Final["train_loss"], w0);
            var (steps, dist) = Rows.Series(result.Rows, "dist_min_norm");
            charts.Add(new Series(algo, steps, dist));
        }
        var gdLimit = LeastSquares.GdLimit(data!, finals["gd"].W0);
        outcome.Numbers.Add(ctx.Check("nmgd_distance", "||w_NMGD - X^+ y|| / ||X^+ y||", LeastSquares.RelativeDistance(finals["nmgd"].W, wStar!)));
        outcome.Numbers.Add(ctx.Check("gd_distance", "||w_GD - X^+ y|| / ||X^+ y||", LeastSquares.RelativeDistance(finals["gd"].W, wStar!)));
        outcome.Numbers.Add(ctx.Check("gd_interpolates", "GD final training loss", finals["gd"].Loss));
        outcome.Numbers.Add(ctx.Check("gd_closed_form", "||w_GD - (X^+ y + (I - X^+ X) w0)|| / ||X^+ y + (I - X^+ X) w0||", LeastSquares.RelativeDistance(finals["gd"].W, gdLimit)));
        outcome.Numbers.Add(Evidence.Info("NMGD final training loss", finals["nmgd"].Loss));
        outcome.Numbers.Add(Evidence.Info("||w0 - X^+ y|| / ||X^+ y|| (start)", LeastSquares.RelativeDistance(finals["gd"].W0, wStar!)));
        outcome.Charts.Add(Charts.Lines("distance", "Distance to the minimum-norm solution",
            "Relative distance ||w(t) - X^+ y|| / ||X^+ y|| for NMGD (anchor 0, a_t = 1/(t+2)) and GD from the same non-zero init; the claim predicts NMGD -> 0 and GD -> a positive constant.",
            "step t", "relative distance", charts, logX: true, logY: true));
        return outcome;
    }
}
