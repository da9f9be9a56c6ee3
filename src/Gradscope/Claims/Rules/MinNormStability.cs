namespace Gradscope.Claims.Rules;

using Gradscope.Report;
using Gradscope.Tensors;
using Gradscope.Training;

/// <summary>
/// min-norm-stability: underdetermined least squares; the interpolants are GD limits from inits
/// w0 = s g (s = 0 gives the minimum-norm interpolant X^+ y). Leave-one-out instability
/// (CV_loo of paper 3 with the square loss: f_S interpolates, so it is the mean of
/// (f_{S\i}(x_i) - y_i)^2) is computed for each, with f_{S\i} the same rule's interpolant
/// of S\i. The shared trainer's GD run on S confirms the closed-form limit used for S\i.
/// </summary>
public sealed class MinNormStability : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "min-norm-stability";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var cfg = ctx.Config("train", "gd");
        // The trainer's GD from its own random init: its endpoint must equal the closed-form limit.
        var trainer = new Trainer<double>(cfg);
        var data = trainer.Train;
        var w0 = trainer.Model.Flat.ToArray();
        ctx.Progress("GD on the full training set");
        ctx.Run(trainer, "gd");
        double limitGap = LeastSquares.RelativeDistance(trainer.Model.Flat, LeastSquares.GdLimit(data, w0));

        var scales = ctx.Parameters.Doubles("scales");
        int draws = ctx.Parameters.Int("draws");
        var rng = new Rng(ctx.SeedFor("directions"));
        int d = data.D, n = data.N;
        var norms = new List<double>(); var instab = new List<double>();
        var meanByScale = new double[scales.Length];
        var wStar = LeastSquares.MinNorm(data);
        double starNorm = Math.Sqrt(wStar.Sum(v => v * v));
        for (int k = 0; k < draws; k++)
        {
            var g = new double[d];
            for (int j = 0; j < d; j++) g[j] = rng.NextNormal();
            double gn = Math.Sqrt(g.Sum(v => v * v));
            for (int j = 0; j < d; j++) g[j] *= starNorm / gn;
            for (int si = 0; si < scales.Length; si++)
            {
                var init = g.Select(v => v * scales[si]).ToArray();
                var w = LeastSquares.GdLimit(data, init);
                double loo = 0;
                for (int i = 0; i < n; i++)
                {
                    var keep = Enumerable.Range(0, n).Where(j => j != i).ToArray();
                    var wi = LeastSquares.GdLimit(data.Subset(keep), init);
                    double pred = 0;
                    var row = data.Row(i);
                    for (int j = 0; j < d; j++) pred += wi[j] * row[j];
                    double y = data.Y[i] == 1 ? 1 : -1;
                    loo += (pred - y) * (pred - y);
                }
                loo /= n;
                norms.Add(Math.Sqrt(w.Sum(v => v * v)));
                instab.Add(loo);
                meanByScale[si] += loo / draws;
            }
            ctx.Progress($"leave-one-out: direction {k + 1}/{draws}");
        }
        int zero = Array.IndexOf(scales, 0.0);
        if (zero < 0) throw new InvalidDataException($"{ctx.Definition.Source}: scales must include 0 (the minimum-norm interpolant).");
        double minRatio = double.PositiveInfinity;
        for (int si = 0; si < scales.Length; si++) if (si != zero) minRatio = Math.Min(minRatio, meanByScale[si] / meanByScale[zero]);
        outcome.Numbers.Add(ctx.Check("min_norm_smallest", "min over s > 0 of instability(s) / instability(min-norm)", minRatio));
        outcome.Numbers.Add(ctx.Check("norm_orders_instability", "Kendall tau(||w||, leave-one-out instability) over all interpolants", ClaimMath.KendallTau(norms, instab)));
        outcome.Numbers.Add(ctx.Check("gd_reaches_limit", "||w_GD - closed-form GD limit|| / ||limit|| (shared trainer)", limitGap));
        for (int si = 0; si < scales.Length; si++)
            outcome.Numbers.Add(Evidence.Info($"mean leave-one-out instability, init scale s = {scales[si]:G3}", meanByScale[si]));
        outcome.Charts.Add(Charts.Scatter("instability", "Leave-one-out instability vs norm of the interpolant",
            "Each point is an interpolant (GD limit from init s g); the claim predicts the minimum-norm one (leftmost) is the most stable.",
            "||w||", "mean (f_{S\\i}(x_i) - y_i)^2", norms.Select((v, i) => new Point(v, instab[i])).ToList()));
        return outcome;
    }
}
