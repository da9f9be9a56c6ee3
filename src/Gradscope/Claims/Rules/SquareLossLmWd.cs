namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// square-loss-lm-wd: a bias-free ReLU net trained on the square loss by Lagrange-multiplier
/// normalization (W_k = rho_k V_k, ||V_k||_F = 1) with weight decay lambda. rho = prod_k rho_k must
/// settle at a finite value, the training error must reach zero, and the endpoint must be the LM
/// fixed point of quasi-interpolation: drho_k/dt = -&lt;V_k, dL/dW_k&gt; - lambda rho_k = 0, which by
/// Euler's identity &lt;W_k, dL/dW_k&gt; = (2/n) sum_i &lt;z_i - t_i, z_i&gt; reads
/// (2/n) sum_i &lt;t_i - z_i, z_i&gt; = lambda rho_k^2 for every layer k (a residual that weight decay keeps nonzero).
/// </summary>
public sealed class SquareLossLmWd : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "square-loss-lm-wd";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var cfg = ctx.Config("train", "lm");
        double lambda = cfg.Algorithm.WeightDecay;
        if (!(lambda > 0)) throw new InvalidDataException($"{ctx.Definition.Source}: the claim needs weight decay > 0, got {lambda}.");
        var trainer = new Trainer<double>(cfg);
        int n = trainer.Train.N;
        ctx.Progress("training");
        var result = ctx.Run(trainer, "lm");
        var rows = result.Rows;
        var (steps, rho) = Rows.Series(rows, "rho");
        var (_, loss) = Rows.Series(rows, "loss");
        var (_, acc) = Rows.Series(rows, "train_acc");
        var errors = acc.Select(a => Math.Round((1 - a) * n)).ToList();
        long last = result.Steps;
        int half = Nearest(steps, last / 2.0);
        double rhoT = rho[^1], rhoHalf = rho[half];

        // The fixed-point identity of LM with weight decay at the final weights.
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
        var rhoK = WeightMatrix.Of(trainer.Model).Select(FrobeniusNorm.Of).ToArray();
        double mismatch = rhoK.Max(r => Math.Abs(s / (lambda * r * r) - 1));

        outcome.Numbers.Add(ctx.Check("rho_converged", $"|rho(T) - rho(T/2)| / rho(T), T = {last:N0} (rho at step {steps[half]:N0})", Math.Abs(rhoT - rhoHalf) / rhoT));
        outcome.Numbers.Add(ctx.Check("train_errors", "training errors at T", errors[^1]));
        outcome.Numbers.Add(ctx.Check("loss_small", "square loss L(T) (zero predictor: target_scale^2 = 1)", loss[^1]));
        outcome.Numbers.Add(ctx.Check("stationarity", "max_k |(2/n) sum_i <t_i - z_i, z_i> / (lambda rho_k^2) - 1|", mismatch));
        outcome.Numbers.Add(Evidence.Info("rho(0)", rho[0]));
        outcome.Numbers.Add(Evidence.Info("rho(T)", rhoT));
        outcome.Numbers.Add(Evidence.Info("max_k rho_k / min_k rho_k at T (the fixed point has all rho_k equal)", rhoK.Max() / rhoK.Min()));
        outcome.Numbers.Add(Evidence.Info("(2/n) sum_i <t_i - z_i, z_i> at T", s));
        outcome.Numbers.Add(Evidence.Info("weight decay lambda", lambda));
        outcome.Numbers.Add(Evidence.Info("eta lambda T (time constants of the weight decay)", cfg.Algorithm.Eta * lambda * last));
        int first = errors.FindIndex(e => e == 0);
        if (first >= 0) outcome.Numbers.Add(Evidence.Info("first probed step with zero training errors", steps[first]));
        outcome.Notes.Add($"Per-layer LM normalization (W_k = rho_k V_k), {n} training points, eta = {ClaimContext.Fmt(cfg.Algorithm.Eta)}, lambda = {ClaimContext.Fmt(lambda)}. "
            + "The init is scaled by 0.5 so that the V-steps (eta rho_k^2 in W units) are stable; eta lambda T >> 1 so that the slow, weight-decay-driven part of the dynamics has time to settle.");

        outcome.Charts.Add(Charts.Line("rho", "rho(t) = prod_k ||W_k||_F under LM normalization with weight decay",
            "The claim predicts rho(t) settles at a finite value (a flat line on this log-time axis), not the log t growth of unregularized exponential-type losses.",
            "step t", "rho", steps.Skip(1).ToList(), rho.Skip(1).ToList(), logX: true));
        outcome.Charts.Add(Charts.Line("train-error", "Training errors",
            "Number of misclassified training points; quasi-interpolation drives it to 0.", "step t", "training errors", steps.Skip(1).ToList(), errors.Skip(1).ToList(), logX: true));
        outcome.Charts.Add(Charts.Line("loss", "Square loss L(t)",
            "Quasi-interpolation: L(t) becomes small but stays above 0, held there by weight decay.", "step t", "L", steps.Skip(1).ToList(), loss.Skip(1).ToList(), logX: true, logY: true));
        return outcome;
    }

    private static int Nearest(IReadOnlyList<double> xs, double x)
    {
        int best = 0;
        for (int i = 1; i < xs.Count; i++) if (Math.Abs(xs[i] - x) < Math.Abs(xs[best] - x)) best = i;
        return best;
    }
}
