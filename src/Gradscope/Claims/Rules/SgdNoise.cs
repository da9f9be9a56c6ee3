namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Tensors;
using Gradscope.Training;

/// <summary>
/// sgd-noise (Xu et al. 2023): full-batch GD with weight decay lambda is run to a stationary point of
/// L + (lambda/2) ||W||^2, certified by its gradient averaged over the last K steps (for GD exactly the
/// displacement (W(T-K) - W(T)) / (eta K), which averages out the chatter at ReLU kinks). At that endpoint the
/// minibatch regularized gradients ||grad L_S + lambda W|| over a fixed partition (<see cref="RegularizedGradient"/>)
/// are measured against lambda ||W||. Control: SGD without weight decay run to interpolation, judged by the same
/// check with the same reference lambda.
/// </summary>
public sealed class SgdNoise : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "sgd-noise";

    private sealed record Curve(List<double> Steps, List<double> Full, List<double> Batch);

    private sealed record RunResult(Curve Curve, double[] WeightsAtWindowStart, double[] WeightsAtEnd, double TrainAcc, long Steps);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        int b = ctx.Parameters.Int("batch_size");
        long window = ctx.Parameters.Long("window");
        var baseCfg = ctx.Config("train", "runs") with { Threads = 1 };
        double lambda = baseCfg.Algorithm.WeightDecay, eta = baseCfg.Algorithm.Eta;
        long total = baseCfg.Stop.Steps ?? 0;
        if (!(lambda > 0)) throw new InvalidDataException($"{ctx.Definition.Source}: the claim needs weight decay > 0, got {lambda}.");
        if (!(window > 0 && window < total && baseCfg.Probes.Every > 0 && window % baseCfg.Probes.Every == 0 && total % baseCfg.Probes.Every == 0))
            throw new InvalidDataException($"{ctx.Definition.Source}: window ({window}) must lie in (0, steps = {total}) and probes.every must divide both.");
        var runs = new (string Name, TrainConfig Config)[]
        {
            ("gd", baseCfg with { Algorithm = baseCfg.Algorithm with { Name = "gd", BatchSize = 0 } }),
            ("sgd-no-wd", baseCfg with
            {
                Algorithm = baseCfg.Algorithm with { Name = "sgd", BatchSize = b, WeightDecay = 0, Eta = ctx.Parameters.Double("control_eta") },
                Stop = baseCfg.Stop with { Steps = ctx.Parameters.Long("control_steps") },
            }),
        };
        var results = ParallelRuns.Map(ctx, runs, r => Train(ctx, r.Name, r.Config, b, (r.Config.Stop.Steps ?? 0) - window));
        var gd = results[0]; var free = results[1];
        double normGd = Norm(gd.WeightsAtEnd), normFree = Norm(free.WeightsAtEnd);
        double drift = 0;
        for (int i = 0; i < gd.WeightsAtEnd.Length; i++) drift += Sq(gd.WeightsAtWindowStart[i] - gd.WeightsAtEnd[i]);
        double averagedGradient = Math.Sqrt(drift) / (eta * window);

        outcome.Hypotheses.Add(ctx.Hypothesis("gd_stationary", averagedGradient / (lambda * normGd)));
        outcome.Hypotheses.Add(ctx.Hypothesis("control_interpolates", free.Curve.Batch[^1] / free.Curve.Batch[0]));
        if (outcome.Hypotheses.Any(h => !h.Holds)) { Context(outcome, ctx, gd, free, lambda, normGd, b, window); return outcome; }

        outcome.Numbers.Add(ctx.Check("noise_at_stationary_point", gd.Curve.Batch[^1] / (lambda * normGd)));
        outcome.Controls.Add(ctx.Control("no-weight-decay", ctx.Check("noise_at_stationary_point", free.Curve.Batch[^1] / (lambda * normFree))));
        Context(outcome, ctx, gd, free, lambda, normGd, b, window);
        return outcome;
    }

    private static void Context(ClaimOutcome outcome, ClaimContext ctx, RunResult gd, RunResult free, double lambda, double normGd, int b, long window)
    {
        outcome.Numbers.Add(Evidence.Info("GD + weight decay at T: lambda ||W||", lambda * normGd));
        outcome.Numbers.Add(Evidence.Info("GD + weight decay at T: ||grad L + lambda W|| at the last step (chatter included)", gd.Curve.Full[^1]));
        outcome.Numbers.Add(Evidence.Info("GD + weight decay at T: ||grad L + lambda W|| / (lambda ||W||) at the last step", gd.Curve.Full[^1] / (lambda * normGd)));
        outcome.Numbers.Add(Evidence.Info($"GD + weight decay at T: mean_S ||grad L_S + lambda W|| (B = {b})", gd.Curve.Batch[^1]));
        outcome.Numbers.Add(Evidence.Info("GD + weight decay: training accuracy at T", gd.TrainAcc));
        outcome.Numbers.Add(Evidence.Info("SGD without weight decay at T: mean_S ||grad L_S||", free.Curve.Batch[^1]));
        outcome.Numbers.Add(Evidence.Info("SGD without weight decay: training accuracy at T", free.TrainAcc));
        var cfg = ctx.Config("train", "runs");
        outcome.Notes.Add($"Minibatches of B = {b} from a fixed partition of the training set at every probe; eta = {ClaimContext.Fmt(cfg.Algorithm.Eta)}, lambda = {ClaimContext.Fmt(lambda)}, "
            + $"{gd.Steps:N0} GD steps (eta lambda T = {ClaimContext.Fmt(cfg.Algorithm.Eta * lambda * gd.Steps)}); stationarity averaged over the last K = {window:N0} GD steps. "
            + $"The no-decay SGD control: eta = {ClaimContext.Fmt(ctx.Parameters.Double("control_eta"))}, {free.Steps:N0} steps.");
        var series = new List<Series>
        {
            new("GD + wd: ||grad L + lambda W||", gd.Curve.Steps, gd.Curve.Full), new("GD + wd: mean_S ||grad L_S + lambda W||", gd.Curve.Steps, gd.Curve.Batch),
            new("SGD, no wd: ||grad L||", free.Curve.Steps, free.Curve.Full), new("SGD, no wd: mean_S ||grad L_S||", free.Curve.Steps, free.Curve.Batch),
            new("lambda ||W|| (GD + wd, at T)", [gd.Curve.Steps[1], gd.Curve.Steps[^1]], [lambda * normGd, lambda * normGd]),
        };
        outcome.Charts.Add(Charts.Lines("gradient-norms", "Regularized gradient norms: full batch vs minibatches",
            "Full-batch and mean minibatch regularized gradient norms along GD with weight decay and along SGD without it. The claim predicts the minibatch norms at "
            + "GD's stationary point at or above lambda ||W||, and those of the no-decay control falling toward 0 at interpolation. (The single-step full-batch norm of GD "
            + "chatters at ReLU kinks; stationarity is judged by its window average.)",
            "step t", "gradient norm", series.Select(s => new Series(s.Name, s.X.Skip(1).ToList(), s.Y.Skip(1).ToList())).ToList(), logX: true, logY: true));
    }

    private static RunResult Train(ClaimContext ctx, string name, TrainConfig cfg, int b, long windowStart)
    {
        var trainer = new Trainer<double>(cfg);
        int n = trainer.Train.N;
        // The same fixed partition of the training set at every probe (and in every run).
        var order = Enumerable.Range(0, n).ToArray();
        new Rng(ctx.SeedFor("partition")).Shuffle(order.AsSpan());
        double wd = cfg.Algorithm.WeightDecay;
        var curve = new Curve([], [], []);
        double[] atWindow = [];
        trainer.Probes.Add(new FuncProbe<double>(["reg_grad_full", "reg_grad_batch_mean"], (c, row) =>
        {
            if (c.Step == windowStart) atWindow = c.Model.Flat.ToArray();
            double full = RegularizedGradient.Norm(trainer.Objective, ReadOnlySpan<int>.Empty, wd);
            double batch = RegularizedGradient.BatchNorms(trainer.Objective, order, b, wd).Average();
            row.Set("reg_grad_full", full);
            row.Set("reg_grad_batch_mean", batch);
            curve.Steps.Add(c.Step); curve.Full.Add(full); curve.Batch.Add(batch);
        }));
        ctx.Progress($"{name}: training");
        var result = ctx.Run(trainer, name);
        if (atWindow.Length == 0) throw new InvalidOperationException($"run '{name}' has no probe at step {windowStart} (the start of the stationarity window).");
        return new RunResult(curve, atWindow, trainer.Model.Flat.ToArray(), result.TrainAccuracy, result.Steps);
    }

    private static double Sq(double v) => v * v;

    private static double Norm(double[] w) => Math.Sqrt(w.Sum(Sq));
}
