using System.Globalization;

namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// square-loss-lm-wd (Xu et al. 2023): a bias-free ReLU net trained on the square loss by Lagrange-multiplier
/// normalization (W_k = rho_k V_k, ||V_k||_F = 1) with weight decay lambda. The limit rho* = prod_k rho_k must
/// not depend on the init (runs from several init scales end at the same rho within 1%), must fall as lambda
/// grows, and the runs must quasi-interpolate (zero training errors). Each weight-decay run is certified to be at
/// the LM fixed point: drho_k/dt = -&lt;V_k, dL/dW_k&gt; - lambda rho_k = 0, which by Euler's identity
/// &lt;W_k, dL/dW_k&gt; = (2/n) sum_i &lt;z_i - t_i, z_i&gt; reads (2/n) sum_i &lt;t_i - z_i, z_i&gt; = lambda rho_k^2.
/// Control: lambda = 0 from the same inits (rho then depends on the init).
/// </summary>
public sealed class SquareLossLmWd : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "square-loss-lm-wd";

    private sealed record LmRun(string Name, double Scale, double Lambda, List<double> Steps, List<double> Rho, List<double> Loss,
        double RhoT, double Settle, double Errors, double Mismatch, double RhoSpread);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var p = ctx.Parameters;
        double[] scales = p.Doubles("init_scales"), decays = p.Doubles("weight_decays");
        double lambda0 = p.Double("base_weight_decay");
        var baseCfg = ctx.Config("train", "lm");
        double scale0 = baseCfg.Model.Init.Scale;
        if (!decays.Contains(lambda0) || decays.Any(d => !(d > 0)))
            throw new InvalidDataException($"{ctx.Definition.Source}: weight_decays must be > 0 and include base_weight_decay {lambda0}.");
        bool homogeneous = new Trainer<double>(baseCfg).Model.IsHomogeneous;
        outcome.Hypotheses.Add(ctx.Hypothesis("homogeneous", homogeneous ? 1 : 0));
        if (!homogeneous) return outcome;

        double etaLambdaT = p.Double("eta_lambda_T");
        long controlSteps = p.Long("control_steps");
        // the lambda = 0 control may take its own step size (it is not judged at a fixed point, only by where rho stops)
        double controlEta = p.Has("control_eta") ? p.Double("control_eta") : baseCfg.Algorithm.Eta;
        if (!(controlEta > 0)) throw new InvalidDataException($"{ctx.Definition.Source}: control_eta must be > 0, got {controlEta}.");
        LmRun Train(double scale, double lambda)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"scale{scale:G3}-wd{lambda:G3}");
            // the same seed for every run: the init scales multiply one and the same He draw
            long steps = lambda > 0 ? (long)Math.Round(etaLambdaT / (baseCfg.Algorithm.Eta * lambda)) : controlSteps;
            var cfg = baseCfg with
            {
                Threads = 1,
                Model = baseCfg.Model with { Init = baseCfg.Model.Init with { Scale = scale0 * scale } },
                Algorithm = baseCfg.Algorithm with { WeightDecay = lambda, Eta = lambda > 0 ? baseCfg.Algorithm.Eta : controlEta },
                Stop = baseCfg.Stop with { Steps = steps },
            };
            var trainer = new Trainer<double>(cfg);
            ctx.Progress(name);
            var result = ctx.Run(trainer, name);
            var (stepList, rho) = Rows.Series(result.Rows, "rho");
            var (_, loss) = Rows.Series(result.Rows, "train_loss");
            int half = Enumerable.Range(0, stepList.Count).MinBy(i => Math.Abs(stepList[i] - result.Steps / 2.0));
            int n = trainer.Train.N;
            double errors = Math.Round(result.Final["train_error"] * n);
            // the fixed-point identity at the final weights
            var z = ModelEval.Outputs(trainer.Model, trainer.Train);
            int c = z.Length / n;
            double ts = cfg.Loss.TargetScale, s = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < c; j++)
                {
                    double t = c == 1 ? ts * (trainer.Train.Y[i] == 1 ? 1 : -1) : (trainer.Train.Y[i] == j ? ts : 0);
                    s += (t - z[i * c + j]) * z[i * c + j];
                }
            s *= 2.0 / n;
            var rhoK = ClaimMeasures.PerLayer(ClaimMeasures.Context(trainer.Model, trainer.Train), "frobenius");   // registry layer.{k}.frobenius
            double mismatch = lambda > 0 ? rhoK.Max(r => Math.Abs(s / (lambda * r * r) - 1)) : double.NaN;
            return new LmRun(name, scale, lambda, stepList, rho, loss, rho[^1], Math.Abs(rho[^1] - rho[half]) / rho[^1], errors, mismatch, rhoK.Max() / rhoK.Min());
        }

        // the longest runs (smallest lambda) first, so that the parallel runs finish together
        var jobs = scales.Select(s => (s, lambda0)).Concat(decays.Where(d => d != lambda0).Select(d => (1.0, d))).Concat(scales.Select(s => (s, 0.0)))
            .OrderBy(j => j.Item2 > 0 ? j.Item2 : double.PositiveInfinity).ToList();
        if (!scales.Contains(1.0)) throw new InvalidDataException($"{ctx.Definition.Source}: init_scales must include 1 (the base init of the weight-decay sweep).");
        var cache = jobs.Zip(ParallelRuns.Map(ctx, jobs, j => Train(j.Item1, j.Item2))).ToDictionary(x => x.First, x => x.Second);
        var byScale = scales.Select(s => cache[(s, lambda0)]).ToList();
        var byDecay = decays.OrderBy(d => d).Select(d => cache[(1.0, d)]).ToList();
        var control = scales.Select(s => cache[(s, 0.0)]).ToList();
        var decayRuns = cache.Values.Where(r => r.Lambda > 0).ToList();
        outcome.Hypotheses.Add(ctx.Hypothesis("rho_stationary", decayRuns.Max(r => r.Mismatch)));
        outcome.Hypotheses.Add(ctx.Hypothesis("rho_settled", cache.Values.Max(r => r.Settle)));

        outcome.Numbers.Add(ctx.Check("same_rho", Spread(byScale)));
        double worstRatio = Enumerable.Range(1, byDecay.Count - 1).Max(i => byDecay[i].RhoT / byDecay[i - 1].RhoT);
        outcome.Numbers.Add(ctx.Check("rho_falls_with_lambda", worstRatio));
        outcome.Numbers.Add(ctx.Check("train_errors", byScale.Max(r => r.Errors)));
        outcome.Controls.Add(ctx.Control("no-weight-decay", ctx.Check("same_rho", Spread(control))));

        foreach (var r in cache.Values.OrderBy(r => r.Lambda).ThenBy(r => r.Scale))
        {
            string label = Label(r);
            outcome.Numbers.Add(Evidence.Info($"{label}: rho(T)", r.RhoT) with { Key = "rho" });
            outcome.Numbers.Add(Evidence.Info($"{label}: |rho(T) - rho(T/2)| / rho(T)", r.Settle));
            outcome.Numbers.Add(Evidence.Info($"{label}: square loss at T", r.Loss[^1]));
            outcome.Numbers.Add(Evidence.Info($"{label}: training errors at T", r.Errors));
            outcome.Numbers.Add(Evidence.Info($"{label}: max_k rho_k / min_k rho_k at T", r.RhoSpread));
            if (r.Lambda > 0) outcome.Numbers.Add(Evidence.Info($"{label}: fixed-point mismatch max_k |(2/n) sum <t - z, z> / (lambda rho_k^2) - 1|", r.Mismatch));
        }
        outcome.Numbers.Add(Evidence.Info("lambda = 0 control: (max - min) / mean of rho(T) over the init scales (expected >= 0.1)", Spread(control)));
        outcome.Notes.Add($"Per-layer LM normalization at eta = {ClaimContext.Fmt(baseCfg.Algorithm.Eta)}, base lambda = {ClaimContext.Fmt(lambda0)}; "
            + $"init scales {string.Join(", ", scales.Select(ClaimContext.Fmt))} multiply the same He x {ClaimContext.Fmt(scale0)} draw; the lambda sweep starts from scale 1; "
            + $"every weight-decay run takes eta lambda T = {ClaimContext.Fmt(etaLambdaT)} (T = {ClaimContext.Fmt(etaLambdaT / baseCfg.Algorithm.Eta)} / lambda steps), the lambda = 0 control {controlSteps:N0} steps at eta = {ClaimContext.Fmt(controlEta)}.");

        outcome.Charts.Add(Charts.Lines("rho", "rho(t) = prod_k ||W_k||_F from three init scales, with and without weight decay",
            $"With lambda = {ClaimContext.Fmt(lambda0)} the claim predicts one limit rho* for every init; the lambda = 0 control stops at an init-dependent rho.",
            "step t", "rho", byScale.Concat(control).Select(r => Curve(r)).ToList(), logX: true, logY: true));
        outcome.Charts.Add(Charts.Lines("rho-vs-lambda", "rho(t) along the weight-decay sweep",
            "The claim predicts rho* decreasing as lambda grows.", "step t", "rho", byDecay.Select(r => Curve(r)).ToList(), logX: true, logY: true));
        outcome.Charts.Add(Charts.Lines("loss", "Square loss L(t)",
            "Quasi-interpolation: with weight decay L stays small but above 0; without it L falls toward 0.", "step t", "L",
            byScale.Concat(control).Select(r => new Series(Label(r), r.Steps.Skip(1).ToList(), r.Loss.Skip(1).ToList())).ToList(), logX: true, logY: true));
        return outcome;
    }

    private static double Spread(List<LmRun> runs) => (runs.Max(r => r.RhoT) - runs.Min(r => r.RhoT)) / runs.Average(r => r.RhoT);

    private static string Label(LmRun r) => string.Create(CultureInfo.InvariantCulture, $"init scale {r.Scale:G3}, lambda = {r.Lambda:G3}");

    private static Series Curve(LmRun r) => new(Label(r), r.Steps.Skip(1).ToList(), r.Rho.Skip(1).ToList());
}
