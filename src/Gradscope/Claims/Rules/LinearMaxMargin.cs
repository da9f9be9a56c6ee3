namespace Gradscope.Claims.Rules;

using Gradscope.Report;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

/// <summary>
/// linear-max-margin (Soudry et al. JMLR 2018, Theorem 3): GD on the logistic loss of a linear model on separable data
/// from several initialization scales. The hard-margin SVM (<see cref="HardMarginSvm"/>) gives w_hat and alpha; from them
/// <see cref="SoudryAsymptote"/> gives the theorem's w_tilde and certifies the two rate hypotheses (the gap delta of the
/// non-support points, lambda_min on the support span). Probes record the angle to w_hat, the closed-form angle of the
/// asymptote w_hat log t + w_tilde, and the residual ||w(t) - w_hat log t - w_tilde||; the square-loss control runs the
/// same inits through the same checks.
/// </summary>
public sealed class LinearMaxMargin : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "linear-max-margin";

    private sealed record InitRun(double Scale, double[] Final, List<double> Steps, List<double> Angle, List<double> ClosedForm, List<double> Residual, double SeparatedAt, long T);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var o = new ClaimOutcome();
        var baseCfg = ctx.Config("train", "data");
        var probe = new Trainer<double>(baseCfg);
        var data = probe.Train;
        var svm = HardMarginSvm.Fit(data);
        double eta = baseCfg.Algorithm.Eta;
        var asym = SoudryAsymptote.Of(data, svm, eta / data.N);
        double lambdaMax = LambdaMaxGram(data);
        string loss = baseCfg.Loss.Kind;

        o.Hypotheses.Add(ctx.Hypothesis("separation_gap", asym.Gap));
        o.Hypotheses.Add(ctx.Hypothesis("support_curvature", asym.LambdaMin));
        o.Hypotheses.Add(ctx.Hypothesis("support_span", asym.RankDeficit));
        o.Hypotheses.Add(ctx.Hypothesis("exponential_tail", loss is "logistic" or "exponential" ? 1 : 0));
        o.Hypotheses.Add(ctx.Hypothesis("step_size", eta * lambdaMax / (4.0 * data.N)));

        var scales = ctx.Parameters.Doubles("inits");
        // control: the square loss from the same inits, at step 1/beta of the square loss (beta = 2 lambda_max / n)
        double etaSquare = data.N / (2.0 * lambdaMax);
        var squareCfg = baseCfg with { Loss = baseCfg.Loss with { Kind = "square" }, Algorithm = baseCfg.Algorithm with { Eta = etaSquare } };
        // every run (the claim's and the control's) side by side, one kernel thread each (the same numbers as one after another)
        var jobs = scales.Select(s => (Cfg: baseCfg, Scale: s, Name: $"init-{s:G3}")).Concat(scales.Select(s => (Cfg: squareCfg, Scale: s, Name: $"square-init-{s:G3}"))).ToList();
        var all = ParallelRuns.Map(ctx, jobs, j => RunInit(ctx, j.Cfg with { Threads = 1 }, j.Scale, asym, j.Name));
        var runs = all.Take(scales.Length).ToList();
        var square = all.Skip(scales.Length).ToList();
        o.Hypotheses.Add(ctx.Hypothesis("terminal_phase", runs.Max(r => r.SeparatedAt / r.T)));

        var (finalAngle, agree, closedForm, residual) = Judge(runs);
        o.Numbers.Add(ctx.Check("final_angle", finalAngle));
        o.Numbers.Add(ctx.Check("inits_agree", agree));
        o.Numbers.Add(ctx.Check("closed_form_angle", closedForm));
        o.Numbers.Add(ctx.Check("residual_nonincreasing", residual));

        var (sqAngle, _, sqClosed, sqResidual) = Judge(square);
        o.Controls.Add(ctx.Control("square-loss",
            ctx.Check("final_angle", sqAngle), ctx.Check("closed_form_angle", sqClosed), ctx.Check("residual_nonincreasing", sqResidual)));

        o.Numbers.Add(Evidence.Info("support vectors", asym.Support.Length));
        o.Numbers.Add(Evidence.Info("closed-form angle at T [rad]", asym.Angle(runs[0].T)));
        o.Numbers.Add(Evidence.Info("||w_tilde|| / ||w_hat||", Norm(asym.WTilde) / Norm(asym.WHat)));
        foreach (var r in runs)
        {
            o.Numbers.Add(Evidence.Info($"init scale {r.Scale:G3}: angle(w(T), w_hat) [rad]", r.Angle[^1]));
            o.Numbers.Add(Evidence.Info($"init scale {r.Scale:G3}: ||w(T) - w_hat log T - w_tilde||", r.Residual[^1]));
        }
        o.Numbers.Add(Evidence.Info("square-loss control: step size 1/beta", etaSquare));

        var angleSeries = runs.Select(r => new Series($"init {r.Scale:G3}", r.Steps, r.Angle)).ToList();
        angleSeries.Add(new Series("closed form angle(w_hat log t + w_tilde, w_hat)", runs[0].Steps, runs[0].ClosedForm));
        angleSeries.AddRange(square.Select(r => new Series($"square loss, init {r.Scale:G3}", r.Steps, r.Angle)));
        o.Charts.Add(Charts.Lines("angle", "Angle to the SVM direction vs t",
            "GD on the logistic loss from several init scales beside the closed-form angle of Theorem 3's asymptote w_hat log t + w_tilde (it falls like 1/log t); the square-loss control converges to a finite point at a fixed angle.",
            "step t", "angle(w(t), w_hat) [rad]", angleSeries, logX: true, logY: true));
        var resSeries = runs.Select(r => new Series($"init {r.Scale:G3}", r.Steps, r.Residual)).ToList();
        resSeries.AddRange(square.Select(r => new Series($"square loss, init {r.Scale:G3}", r.Steps, r.Residual)));
        o.Charts.Add(Charts.Lines("residual", "Residual ||w(t) - w_hat log t - w_tilde||",
            "Theorem 3 predicts the residual is o(1) (it decays like t^(-min(delta, lambda_min)) once the data are separated); under the square loss it grows like log t.",
            "step t", "residual", resSeries, logX: true, logY: true));
        o.Notes.Add($"Data {data.Name}: {asym.Support.Length} support vectors, gap delta = {ClaimContext.Fmt(asym.Gap)}, lambda_min = {ClaimContext.Fmt(asym.LambdaMin)}; w_tilde solves z_n^T w_tilde = log(eta/n / alpha_n) on the support vectors (eta/n: the step of the sum loss).");
        return o;
    }

    private static InitRun RunInit(ClaimContext ctx, TrainConfig baseCfg, double scale, SoudryAsymptote asym, string name)
    {
        var cfg = baseCfg with { Model = baseCfg.Model with { Init = baseCfg.Model.Init with { Scale = scale } } };
        var trainer = new Trainer<double>(cfg);
        trainer.Probes.Add(new FuncProbe<double>(["angle_svm", "angle_closed_form", "residual"], (c, row) =>
        {
            var w = c.Model.Weights[0].Value.Span;
            row.Set("angle_svm", ClaimMath.Angle(w, asym.WHat));
            double t = Math.Max(1, c.Step);
            row.Set("angle_closed_form", asym.Angle(t));
            row.Set("residual", asym.Residual(w, t));
        }));
        ctx.Progress($"{name}: training");
        var result = ctx.Run(trainer, name);
        var (steps, angle) = Rows.Series(result.Rows, "angle_svm");
        var (_, cf) = Rows.Series(result.Rows, "angle_closed_form");
        var (_, res) = Rows.Series(result.Rows, "residual");
        var (accSteps, error) = Rows.Series(result.Rows, "train_error");
        int first = error.FindIndex(e => e <= 0);
        double separatedAt = first < 0 ? double.PositiveInfinity : accSteps[first];
        return new InitRun(scale, trainer.Model.Weights[0].Value.Span.ToArray(), steps, angle, cf, res, separatedAt, result.Steps);
    }

    // The four checked numbers over a set of init runs (the same code judges the claim and its control).
    private static (double FinalAngle, double Agree, double ClosedForm, double Residual) Judge(List<InitRun> runs)
    {
        double finalAngle = runs.Max(r => r.Angle[^1]);
        double agree = 0;
        for (int a = 0; a < runs.Count; a++)
            for (int b = a + 1; b < runs.Count; b++) agree = Math.Max(agree, ClaimMath.Angle(runs[a].Final, runs[b].Final));
        double closed = 0, residual = 0;
        foreach (var r in runs)
        {
            var last = Enumerable.Range(0, r.Steps.Count).Where(i => r.Steps[i] >= r.T / 10.0).ToList();
            foreach (int i in last) closed = Math.Max(closed, Math.Abs(r.Angle[i] / r.ClosedForm[i] - 1));
            for (int k = 1; k < last.Count; k++) residual = Math.Max(residual, r.Residual[last[k]] / r.Residual[last[k - 1]]);
            if (last.Count < 2) { closed = double.NaN; residual = double.NaN; }
        }
        return (finalAngle, agree, closed, residual);
    }

    private static double LambdaMaxGram(Data.Dataset data)
    {
        var x = Matrix<double>.Build.Dense(data.N, data.D, (i, j) => data.X[i * data.D + j]);
        return x.Svd(computeVectors: false).S[0] is var s ? s * s : double.NaN;
    }

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(a => a * a));
}
