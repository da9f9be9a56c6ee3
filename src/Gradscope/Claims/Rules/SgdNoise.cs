namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Tensors;
using Gradscope.Training;

/// <summary>
/// sgd-noise: the same net, data and init trained three ways: full-batch GD with weight decay (the control that
/// reaches a stationary point of L + (lambda/2) ||W||^2), SGD with weight decay, and SGD without it. At every
/// probe the full-batch regularized gradient norm ||grad L + lambda W|| and the mean over a fixed partition of
/// the training set into minibatches of ||grad L_S + lambda W|| are measured (<see cref="RegularizedGradient"/>).
/// </summary>
public sealed class SgdNoise : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "sgd-noise";

    private sealed record Curve(List<double> Steps, List<double> Full, List<double> Batch);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        int b = ctx.Parameters.Int("batch_size");
        var baseCfg = ctx.Config("train", "runs");
        double lambda = baseCfg.Algorithm.WeightDecay;
        if (!(lambda > 0)) throw new InvalidDataException($"{ctx.Definition.Source}: the claim needs weight decay > 0, got {lambda}.");
        var runs = new (string Name, TrainConfig Config)[]
        {
            ("gd", baseCfg with { Algorithm = baseCfg.Algorithm with { Name = "gd", BatchSize = 0 } }),
            ("sgd", baseCfg with { Algorithm = baseCfg.Algorithm with { Name = "sgd", BatchSize = b } }),
            ("sgd-no-wd", baseCfg with { Algorithm = baseCfg.Algorithm with { Name = "sgd", BatchSize = b, WeightDecay = 0 } }),
        };
        var curves = new Dictionary<string, Curve>();
        var accuracy = new Dictionary<string, double>();
        double weightNormGd = 0;
        int n = 0;
        foreach (var (name, cfg) in runs)
        {
            var trainer = new Trainer<double>(cfg);
            n = trainer.Train.N;
            // The same fixed partition of the training set at every probe (and in every run).
            var order = Enumerable.Range(0, n).ToArray();
            new Rng(ctx.SeedFor("partition")).Shuffle(order.AsSpan());
            double wd = cfg.Algorithm.WeightDecay;
            var curve = new Curve([], [], []);
            trainer.Probes.Add(new FuncProbe<double>(["reg_grad_full", "reg_grad_batch_mean"], (c, row) =>
            {
                double full = RegularizedGradient.Norm(trainer.Objective, ReadOnlySpan<int>.Empty, wd);
                double batch = RegularizedGradient.BatchNorms(trainer.Objective, order, b, wd).Average();
                row.Set("reg_grad_full", full);
                row.Set("reg_grad_batch_mean", batch);
                curve.Steps.Add(c.Step); curve.Full.Add(full); curve.Batch.Add(batch);
            }));
            ctx.Progress($"{name}: training");
            accuracy[name] = ctx.Run(trainer, name).Final["train_acc"];
            curves[name] = curve;
            if (name == "gd") weightNormGd = Math.Sqrt(trainer.Model.Flat.Sum(v => v * v));
        }
        var gd = curves["gd"]; var sgd = curves["sgd"]; var free = curves["sgd-no-wd"];
        double last = sgd.Steps[^1];
        var lateIdx = Enumerable.Range(0, sgd.Steps.Count).Where(i => sgd.Steps[i] >= last / 2).ToList();
        var lateBatch = lateIdx.Select(i => sgd.Batch[i]).ToList();
        double fullVsBatch = lateIdx.Average(i => sgd.Full[i] / sgd.Batch[i]);

        outcome.Numbers.Add(ctx.Check("gd_stationary", "GD + weight decay: ||grad L + lambda W|| at T / at step 0", gd.Full[^1] / gd.Full[0]));
        outcome.Numbers.Add(ctx.Check("noise_at_stationary_point", $"at GD's endpoint: mean_S ||grad L_S + lambda W|| (B = {b}) / ||grad L + lambda W||", gd.Batch[^1] / gd.Full[^1]));
        outcome.Numbers.Add(ctx.Check("sgd_noise_floor", "SGD + weight decay: min / max of the mean minibatch norm over the probes of the last half", lateBatch.Min() / lateBatch.Max()));
        outcome.Numbers.Add(ctx.Check("sgd_full_vs_batch", "SGD + weight decay, last half: mean over probes of ||grad L + lambda W|| / mean_S ||grad L_S + lambda W||", fullVsBatch));
        int gdHalf = Enumerable.Range(0, gd.Steps.Count).MinBy(i => Math.Abs(gd.Steps[i] - gd.Steps[^1] / 2));
        outcome.Numbers.Add(Evidence.Info("GD + weight decay: ||grad L + lambda W|| at T / at T/2 (still falling when well below 1)", gd.Full[^1] / gd.Full[gdHalf]));
        outcome.Numbers.Add(Evidence.Info("GD endpoint: ||grad L + lambda W||", gd.Full[^1]));
        outcome.Numbers.Add(Evidence.Info("GD endpoint: mean_S ||grad L_S + lambda W||", gd.Batch[^1]));
        outcome.Numbers.Add(Evidence.Info("GD endpoint: lambda ||W|| (= ||grad L|| at a stationary point)", lambda * weightNormGd));
        outcome.Numbers.Add(Evidence.Info("SGD + weight decay at T: mean_S ||grad L_S + lambda W||", sgd.Batch[^1]));
        outcome.Numbers.Add(Evidence.Info("SGD + weight decay at T: ||grad L + lambda W||", sgd.Full[^1]));
        outcome.Numbers.Add(Evidence.Info("SGD without weight decay: mean_S ||grad L_S|| at T / at step 0", free.Batch[^1] / free.Batch[0]));
        outcome.Numbers.Add(Evidence.Info("SGD without weight decay at T: mean_S ||grad L_S||", free.Batch[^1]));
        foreach (var (name, _) in runs) outcome.Numbers.Add(Evidence.Info($"{name}: training accuracy at T", accuracy[name]));
        outcome.Notes.Add($"{n} training points, minibatches of B = {b} (a fixed partition at every probe), eta = {ClaimContext.Fmt(baseCfg.Algorithm.Eta)}, lambda = {ClaimContext.Fmt(lambda)}, "
            + $"{baseCfg.Stop.Steps:N0} steps per run (eta lambda T = {ClaimContext.Fmt(baseCfg.Algorithm.Eta * lambda * (baseCfg.Stop.Steps ?? 0))}). "
            + "The SGD run without weight decay is context: with an interpolating square loss every per-sample gradient can vanish, so no noise floor is predicted there.");

        var series = new List<Series>
        {
            new("GD + wd: full batch", gd.Steps, gd.Full), new("GD + wd: minibatch mean", gd.Steps, gd.Batch),
            new("SGD + wd: full batch", sgd.Steps, sgd.Full), new("SGD + wd: minibatch mean", sgd.Steps, sgd.Batch),
            new("SGD, no wd: minibatch mean", free.Steps, free.Batch),
        };
        outcome.Charts.Add(Charts.Lines("gradient-norms", "Regularized gradient norms: full batch vs minibatches",
            "||grad L + lambda W|| (full batch) and mean_S ||grad L_S + lambda W|| over minibatches of a fixed partition, along GD and SGD with weight decay (and SGD without). "
            + "The claim predicts the full-batch norm of the GD control vanishing while the minibatch norms at the same weights, and along SGD, stay bounded away from 0.",
            "step t", "gradient norm", series.Select(s => new Series(s.Name, s.X.Skip(1).ToList(), s.Y.Skip(1).ToList())).ToList(), logX: true, logY: true));
        return outcome;
    }
}
