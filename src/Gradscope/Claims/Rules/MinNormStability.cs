namespace Gradscope.Claims.Rules;

using Gradscope.Report;
using Gradscope.Tensors;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

/// <summary>
/// min-norm-stability (Rangamani, Rosasco &amp; Poggio 2023): underdetermined least squares; the interpolants are
/// GD limits from inits w0 = s g (s = 0 gives the minimum-norm interpolant X^+ y). For every draw g the
/// leave-one-out instability I(s) = (1/n) sum_i (f_{S\i}(x_i) - y_i)^2 is measured on the scale grid and fitted
/// by a quadratic alpha + beta s + gamma s^2; over data-independent draws the mean beta must be 0 within 2
/// standard errors and the mean gamma positive. The control draws its inits with a component along X^T y taken
/// from the full training set (data-dependent), where the linear coefficient is predicted negative.
/// </summary>
public sealed class MinNormStability : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "min-norm-stability";

    private sealed record Fits(List<double> Beta, List<double> Gamma, double BeatShare, double[] MeanByScale);

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
        var sv = LeastSquares.Design(data).X.Svd(computeVectors: false).S;
        double rowRatio = data.D > data.N ? sv[data.N - 1] / sv[0] : 0;

        var scales = ctx.Parameters.Doubles("scales");
        int draws = ctx.Parameters.Int("draws");
        if (!scales.Contains(0.0) || scales.Distinct().Count() < 3)
            throw new InvalidDataException($"{ctx.Definition.Source}: scales must include 0 (the minimum-norm interpolant) and >= 3 distinct values (a quadratic fit).");
        outcome.Hypotheses.Add(ctx.Hypothesis("rows_independent", rowRatio));
        outcome.Hypotheses.Add(ctx.Hypothesis("gd_reaches_limit", limitGap));
        outcome.Hypotheses.Add(ctx.Hypothesis("init_draws", draws));
        if (outcome.Hypotheses.Any(h => !h.Holds)) return outcome;

        ctx.Progress("leave-one-out fits");
        var loo = new LeaveOneOut(data);
        int d = data.D;
        var wStar = LeastSquares.MinNorm(data);
        double starNorm = Math.Sqrt(wStar.Sum(v => v * v));
        double minNormInstability = loo.Instability(new double[d]);
        // The data-dependent direction of the control: X^T y from the full training set, scaled like the draws.
        var (x, y) = LeastSquares.Design(data);
        var h = (x.Transpose() * y).ToArray();
        double hn = Math.Sqrt(h.Sum(v => v * v));
        for (int j = 0; j < d; j++) h[j] *= starNorm / hn;

        var rng = new Rng(ctx.SeedFor("directions"));
        var directions = new List<double[]>();
        for (int k = 0; k < draws; k++)
        {
            var g = new double[d];
            for (int j = 0; j < d; j++) g[j] = rng.NextNormal();
            double gn = Math.Sqrt(g.Sum(v => v * v));
            for (int j = 0; j < d; j++) g[j] *= starNorm / gn;
            directions.Add(g);
        }
        var independent = Fit(loo, directions, scales, minNormInstability);
        var dependent = Fit(loo, directions.Select(g => g.Select((v, j) => v + h[j]).ToArray()).ToList(), scales, minNormInstability);

        outcome.Numbers.Add(ctx.Check("linear_coefficient", TStatistic(independent.Beta)));
        outcome.Numbers.Add(ctx.Check("quadratic_coefficient", LowerEnd(independent.Gamma)));
        outcome.Controls.Add(ctx.Control("label-correlated-init",
            ctx.Check("linear_coefficient", TStatistic(dependent.Beta)),
            ctx.Check("quadratic_coefficient", LowerEnd(dependent.Gamma))));

        var (mb, sb) = SampleStatistics.MeanWithStandardError(independent.Beta);
        var (mg, sg) = SampleStatistics.MeanWithStandardError(independent.Gamma);
        var (cb, csb) = SampleStatistics.MeanWithStandardError(dependent.Beta);
        outcome.Numbers.Add(Evidence.Info("leave-one-out instability of the minimum-norm interpolant I(0)", minNormInstability));
        outcome.Numbers.Add(Evidence.Info("data-independent inits: mean linear coefficient beta", mb));
        outcome.Numbers.Add(Evidence.Info("data-independent inits: SE of beta", sb));
        outcome.Numbers.Add(Evidence.Info("data-independent inits: mean quadratic coefficient gamma", mg));
        outcome.Numbers.Add(Evidence.Info("data-independent inits: SE of gamma", sg));
        outcome.Numbers.Add(Evidence.Info("data-independent inits: share of single (draw, s > 0) interpolants more stable than the minimum-norm one", independent.BeatShare));
        outcome.Numbers.Add(Evidence.Info("label-correlated inits (control): mean linear coefficient beta", cb));
        outcome.Numbers.Add(Evidence.Info("label-correlated inits (control): SE of beta", csb));
        outcome.Numbers.Add(Evidence.Info("label-correlated inits (control): share of (draw, s > 0) interpolants more stable than the minimum-norm one", dependent.BeatShare));
        for (int si = 0; si < scales.Length; si++)
        {
            outcome.Numbers.Add(Evidence.Info($"mean I(s) / I(0) over data-independent draws, s = {scales[si]:G3}", independent.MeanByScale[si] / minNormInstability));
            outcome.Numbers.Add(Evidence.Info($"mean I(s) / I(0) over label-correlated draws (control), s = {scales[si]:G3}", dependent.MeanByScale[si] / minNormInstability));
        }
        outcome.Notes.Add($"n = {data.N} points in d = {d} dimensions, {draws} directions g (uniform on the sphere of radius ||X^+ y|| = {ClaimContext.Fmt(starNorm)}), "
            + $"scales s in {{{string.Join(", ", scales.Select(ClaimContext.Fmt))}}}. Leave-one-out fits in closed form (the GD limit on S\\i), certified against the trainer's GD on S.");

        var sGrid = scales.OrderBy(v => v).ToArray();
        var order = sGrid.Select(v => Array.IndexOf(scales, v)).ToArray();
        outcome.Charts.Add(Charts.Lines("instability", "Mean leave-one-out instability vs init scale",
            "Mean over draws of I(s) / I(0); data-independent inits (the claim: minimum at s = 0, growing like s^2) and label-correlated inits drawn from the full training set (the control: falls below 1 for small s).",
            "init scale s (units of ||X^+ y||)", "mean I(s) / I(0)",
            [
                new Series("data-independent g", sGrid.ToList(), order.Select(i => independent.MeanByScale[i] / minNormInstability).ToList()),
                new Series("g + X^T y direction (control)", sGrid.ToList(), order.Select(i => dependent.MeanByScale[i] / minNormInstability).ToList()),
            ]));
        outcome.Charts.Add(Charts.Scatter("coefficients", "Per-draw quadratic fit coefficients",
            "Each point is one data-independent draw: (linear coefficient beta, quadratic coefficient gamma) of its fitted I(s); the claim predicts the betas centred on 0.",
            "beta", "gamma", independent.Beta.Select((b, i) => new Point(b, independent.Gamma[i])).ToList()));
        return outcome;
    }

    private static Fits Fit(LeaveOneOut loo, List<double[]> directions, double[] scales, double minNorm)
    {
        var beta = new List<double>(); var gamma = new List<double>();
        var mean = new double[scales.Length];
        int beat = 0, total = 0;
        var init = new double[directions[0].Length];
        foreach (var g in directions)
        {
            var values = new double[scales.Length];
            for (int si = 0; si < scales.Length; si++)
            {
                for (int j = 0; j < g.Length; j++) init[j] = scales[si] * g[j];
                values[si] = loo.Instability(init);
                mean[si] += values[si] / directions.Count;
                if (scales[si] > 0) { total++; if (values[si] < minNorm) beat++; }
            }
            var c = SampleStatistics.PolynomialFit(scales, values, 2);
            beta.Add(c[1]); gamma.Add(c[2]);
        }
        return new Fits(beta, gamma, (double)beat / total, mean);
    }

    private static double TStatistic(List<double> v)
    {
        var (m, se) = SampleStatistics.MeanWithStandardError(v);
        return Math.Abs(m) / se;
    }

    private static double LowerEnd(List<double> v)
    {
        var (m, se) = SampleStatistics.MeanWithStandardError(v);
        return m - 2 * se;
    }
}
