namespace Gradscope.Claims.Rules;

using Gradscope.Report;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

/// <summary>
/// nmgd-min-norm: underdetermined least squares with a linear model, NMGD (Halpern iteration on the GD map, anchor 0,
/// a_t = 1/(t+2)) from three init scales against the pseudo-inverse solution X^+ y (SVD, <see cref="LeastSquares"/>);
/// the O(1/t) rate on a well-conditioned and on an ill-conditioned X; and deep-linear NMGD against GD from several inits
/// by the norm of the end-to-end vector. The control is plain GD from the same inits through the same checks.
/// </summary>
public sealed class NmgdMinNorm : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "nmgd-min-norm";

    private sealed record RunData(List<double> Steps, List<double> Distance, double FinalLoss, double[] W, long T, double EndToEndNorm = double.NaN);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var o = new ClaimOutcome();
        var lin = ctx.Config("train", "data");
        var ill = ctx.Config("train_ill", "ill");
        var linData = new Trainer<double>(lin).Train;
        var illData = new Trainer<double>(ill).Train;
        var wLin = LeastSquares.MinNorm(linData);
        var wIll = LeastSquares.MinNorm(illData);
        o.Hypotheses.Add(ctx.Hypothesis("underdetermined", Math.Min(NullDimension(linData), NullDimension(illData))));
        o.Hypotheses.Add(ctx.Hypothesis("step_size", Math.Max(lin.Algorithm.Eta * Beta(linData), ill.Algorithm.Eta * Beta(illData))));

        var scales = ctx.Parameters.Doubles("inits");
        var deepScales = ctx.Parameters.Doubles("deep_inits");
        // every run is independent: all of them side by side, one kernel thread each (the same numbers as one after
        // another), the longest first (ill-conditioned, then deep linear, then the linear runs)
        var jobs = new List<Job>
        {
            new("ill-nmgd", ill with { Algorithm = ill.Algorithm with { Name = "nmgd" } }, wIll, false),
            new("ill-gd", ill with { Algorithm = ill.Algorithm with { Name = "gd" } }, wIll, false),
        };
        // deep linear: NMGD from the init scale 1 against GD from several init scales (end-to-end vectors)
        var deepBase = ctx.Config("train_deep", "deep-init-1");
        jobs.Add(new("deep-nmgd", deepBase with { Algorithm = deepBase.Algorithm with { Name = "nmgd" } }, wLin, true));
        foreach (double s in deepScales)
        {
            var cfg = WithScale(ctx.Config("train_deep", $"deep-init-{s:G3}"), s);
            jobs.Add(new($"deep-gd-init-{s:G3}", cfg with { Algorithm = cfg.Algorithm with { Name = "gd" } }, wLin, true));
        }
        foreach (double s in scales)
        {
            var cfg = WithScale(ctx.Config("train", $"init-{s:G3}"), s);
            jobs.Add(new($"nmgd-init-{s:G3}", cfg with { Algorithm = cfg.Algorithm with { Name = "nmgd" } }, wLin, false));
            jobs.Add(new($"gd-init-{s:G3}", cfg with { Algorithm = cfg.Algorithm with { Name = "gd" } }, wLin, false));
        }
        var done = jobs.Zip(ParallelRuns.Map(ctx, jobs, j => Train(ctx, j with { Cfg = j.Cfg with { Threads = 1 } }))).ToDictionary(x => x.First.Name, x => x.Second);
        var nmgd = scales.Select(s => done[$"nmgd-init-{s:G3}"]).ToList();
        var gd = scales.Select(s => done[$"gd-init-{s:G3}"]).ToList();
        var nmgdIll = done["ill-nmgd"];
        var gdIll = done["ill-gd"];
        var deepNmgd = done["deep-nmgd"];
        var e2eNmgd = deepNmgd.W;
        double deepNmgdNorm = deepNmgd.EndToEndNorm, deepNmgdLoss = deepNmgd.FinalLoss, deepNmgdDistance = LeastSquares.RelativeDistance(e2eNmgd, wLin);
        var deepNorms = deepScales.Select(s => done[$"deep-gd-init-{s:G3}"]).Zip(deepScales, (r, s) => (Scale: s, Norm: r.EndToEndNorm, Loss: r.FinalLoss)).ToList();
        o.Hypotheses.Add(ctx.Hypothesis("gd_interpolates", gd.Select(r => r.FinalLoss).Append(gdIll.FinalLoss).Concat(deepNorms.Select(d => d.Loss)).Max()) with { Key = "train_loss" });
        o.Hypotheses.Add(ctx.Hypothesis("deep_nmgd_fits", deepNmgdLoss) with { Key = "train_loss" });

        o.Numbers.Add(ctx.Check("nmgd_distance", nmgd.Max(r => r.Distance[^1])));
        o.Numbers.Add(ctx.Check("nmgd_rate", nmgd.Max(RateChange)));
        o.Numbers.Add(ctx.Check("ill_rate", RateChange(nmgdIll)));
        o.Numbers.Add(ctx.Check("deep_nmgd_norm", deepNmgdNorm / deepNorms.Min(d => d.Norm)));
        o.Controls.Add(ctx.Control("plain-gd", ctx.Check("nmgd_distance", gd.Max(r => r.Distance[^1])),
            ctx.Check("nmgd_rate", gd.Max(RateChange)), ctx.Check("ill_rate", RateChange(gdIll))));

        for (int k = 0; k < scales.Length; k++)
        {
            o.Numbers.Add(Evidence.Info($"init scale {scales[k]:G3}: NMGD ||w(T) - X^+ y|| / ||X^+ y||", nmgd[k].Distance[^1]));
            o.Numbers.Add(Evidence.Info($"init scale {scales[k]:G3}: GD ||w(T) - X^+ y|| / ||X^+ y||", gd[k].Distance[^1]));
        }
        o.Numbers.Add(Evidence.Info("ill-conditioned X: NMGD ||w(T) - X^+ y|| / ||X^+ y||", nmgdIll.Distance[^1]));
        o.Numbers.Add(Evidence.Info("ill-conditioned X: slowest GD contraction mu_min = 2 eta s_min^2 / n", ill.Algorithm.Eta * 2 * SMin2(illData) / illData.N));
        o.Numbers.Add(Evidence.Info("deep-linear NMGD: ||e2e - X^+ y|| / ||X^+ y||", deepNmgdDistance));
        o.Numbers.Add(Evidence.Info("deep-linear NMGD: ||e2e|| / ||X^+ y||", deepNmgdNorm / Norm(wLin)));
        foreach (var d in deepNorms) o.Numbers.Add(Evidence.Info($"deep-linear GD init scale {d.Scale:G3}: ||e2e|| / ||X^+ y||", d.Norm / Norm(wLin)));

        var series = new List<Series>();
        for (int k = 0; k < scales.Length; k++)
        {
            series.Add(new Series($"NMGD, init {scales[k]:G3}", nmgd[k].Steps, nmgd[k].Distance));
            series.Add(new Series($"GD, init {scales[k]:G3}", gd[k].Steps, gd[k].Distance));
        }
        series.Add(new Series("NMGD, ill-conditioned X", nmgdIll.Steps, nmgdIll.Distance));
        series.Add(new Series("GD, ill-conditioned X", gdIll.Steps, gdIll.Distance));
        o.Charts.Add(Charts.Lines("distance", "Distance to the minimum-norm solution",
            "||w(t) - X^+ y|| / ||X^+ y|| for NMGD (anchor 0, a_t = 1/(t+2)) and GD from the same non-zero inits; the claim predicts NMGD -> 0 like 1/t (slope -1 on these log axes) and GD -> a positive constant.",
            "step t", "relative distance", series, logX: true, logY: true));
        var scaled = nmgd.Select((r, k) => new Series($"NMGD, init {scales[k]:G3}", r.Steps, r.Steps.Select((t, i) => t * r.Distance[i]).ToList())).ToList();
        scaled.Add(new Series("NMGD, ill-conditioned X", nmgdIll.Steps, nmgdIll.Steps.Select((t, i) => t * nmgdIll.Distance[i]).ToList()));
        o.Charts.Add(Charts.Lines("rate", "Distance x t",
            "t ||w(t) - X^+ y|| / ||X^+ y||: flat where the O(1/t) rate holds (the ill-conditioned problem reaches it after t ~ 1/mu_min).",
            "step t", "t x relative distance", scaled, logX: true, logY: true));
        return o;
    }

    // one run of the claim: a linear one with the distance to its target probed (W: the final weights), or a deep linear
    // one (W: its end-to-end vector)
    private sealed record Job(string Name, TrainConfig Cfg, double[] Target, bool Deep);

    private static RunData Train(ClaimContext ctx, Job job)
    {
        var trainer = new Trainer<double>(job.Cfg);
        if (!job.Deep)
            trainer.Probes.Add(new FuncProbe<double>(["dist_min_norm"], (c, row) =>
                row.Set("dist_min_norm", LeastSquares.RelativeDistance(c.Model.Flat, job.Target))));
        ctx.Progress($"{job.Name}: training");
        var result = ctx.Run(trainer, job.Name);
        if (job.Deep)
        {
            // the end-to-end vector W_L ... W_1 and its norm (registry: end_to_end.norm) from the registry's context
            var mc = ClaimMeasures.Context(trainer.Model, trainer.Train);
            return new RunData([], [], result.Final["train_loss"], mc.EndToEndVector(), result.Steps, ClaimMeasures.Values(mc, "end_to_end.norm")["end_to_end.norm"]);
        }
        var (steps, dist) = Rows.Series(result.Rows, "dist_min_norm");
        return new RunData(steps, dist, result.Final["train_loss"], trainer.Model.Flat.ToArray(), result.Steps);
    }

    // |d(T) T / (d(t') t') - 1| with t' the probe step nearest T/10 on a log scale (the same code for NMGD and GD)
    private static double RateChange(RunData r)
    {
        int j = Enumerable.Range(0, r.Steps.Count).Where(i => r.Steps[i] >= 1)
            .MinBy(i => Math.Abs(Math.Log(r.Steps[i] / (r.T / 10.0))));
        return Math.Abs(r.Distance[^1] * r.T / (r.Distance[j] * r.Steps[j]) - 1);
    }

    private static TrainConfig WithScale(TrainConfig c, double s) => c with { Model = c.Model with { Init = c.Model.Init with { Scale = s } } };

    private static Matrix<double> X(Data.Dataset d) => Matrix<double>.Build.Dense(d.N, d.D, (i, j) => d.X[i * d.D + j]);

    private static int NullDimension(Data.Dataset d)
    {
        var s = X(d).Svd(computeVectors: false).S;
        return d.D - s.Count(v => v > 1e-10 * s[0]);
    }

    // the smoothness of the mean square loss (1/n) sum (w^T x_i - y_i)^2: 2 lambda_max(X^T X) / n
    private static double Beta(Data.Dataset d) => 2 * Math.Pow(X(d).Svd(computeVectors: false).S[0], 2) / d.N;

    private static double SMin2(Data.Dataset d)
    {
        var s = X(d).Svd(computeVectors: false).S;
        return Math.Pow(s.Where(v => v > 1e-10 * s[0]).Min(), 2);
    }

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(a => a * a));
}
