namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// lazy-training (Chizat &amp; Bach 2019; Jacot et al. 2018; Lee et al. 2019): two-layer bias-free ReLU MLPs of growing
/// hidden width m, trained by the shared trainer with GD on the square loss to the same training loss. Lazy sweep:
/// standard (He) init and eta = eta_times_width / m (the NTK of the standard parameterization grows like m, so the
/// function-space dynamics is width-independent). Per width: the relative weight change ||W_T - W_0||_F / ||W_0||_F,
/// the kernel distance 1 - &lt;K_0, K_T&gt;_F / (||K_0||_F ||K_T||_F) of the empirical NTK (THEORY.md section 5), and the
/// relative Frobenius error of the empirical NTK at init against the analytic infinite-width NTK; checks bracket the
/// log-log slopes of the three against m. Control (mean field): the first layer scaled by m^(-1/2) at init, so the
/// output is (1/m) sum_j c_j relu(w_j . x) with O(1) units (sqrt(m) a_j, sqrt(m) w_j), and a width-independent eta;
/// its weight-change and kernel-distance slopes are judged by the same checks.
/// NOTE: the analytic NTK is defined in the NTK parameterization (weights theta ~ N(0, 1), factors 1/sqrt(fan_in),
/// s(u) = sqrt(2) max(u, 0)). A He-initialized net is W_k = sqrt(2 / fan_in_k) theta_k for every layer; by
/// homogeneity its hidden layers equal the NTK network's, and its last layer carries an extra sqrt(2), so
/// f_He = sqrt(2) f_NTK and its NTK with respect to theta (the empirical NTK with parameter scales
/// sqrt(2 / fan_in_k)) converges to 2 Theta^L, not Theta^L.
/// </summary>
public sealed class LazyTraining : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "lazy-training";

    private sealed record Sweep(List<double> Change, List<double> Distance, List<double> NtkError, List<double> Progress, List<long> Steps);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var widths = ctx.Parameters.Ints("widths");
        double etaTimesWidth = ctx.Parameters.Double("eta_times_width");
        double meanFieldEta = ctx.Parameters.Double("mean_field_eta");
        var lazy = RunSweep(ctx, widths, m => etaTimesWidth / m, meanField: false);
        var mf = RunSweep(ctx, widths, _ => meanFieldEta, meanField: true);

        outcome.Hypotheses.Add(ctx.Hypothesis("progress", lazy.Progress.Max()));
        outcome.Hypotheses.Add(ctx.Hypothesis("progress_spread", lazy.Progress.Max() / lazy.Progress.Min()));
        outcome.Hypotheses.Add(ctx.Hypothesis("mf_progress", mf.Progress.Max()));
        outcome.Hypotheses.Add(ctx.Hypothesis("mf_progress_spread", mf.Progress.Max() / mf.Progress.Min()));

        var logM = widths.Select(m => Math.Log(m)).ToList();
        (double Slope, double R2) Fit(List<double> v) { var f = ClaimMath.LinearFit(logM, v.Select(x => Math.Log(x)).ToList()); return (f.Slope, f.R2); }
        var wc = Fit(lazy.Change); var kd = Fit(lazy.Distance); var ne = Fit(lazy.NtkError);
        var mwc = Fit(mf.Change); var mkd = Fit(mf.Distance);
        outcome.Numbers.Add(ctx.Check("weight_change_slope", wc.Slope));
        outcome.Numbers.Add(ctx.Check("kernel_distance_slope", kd.Slope));
        outcome.Numbers.Add(ctx.Check("ntk_error_slope", ne.Slope));
        outcome.Controls.Add(ctx.Control("mean-field",
            ctx.Check("weight_change_slope", "mean field: log-log slope of the relative weight change vs m", mwc.Slope),
            ctx.Check("kernel_distance_slope", "mean field: log-log slope of the kernel distance vs m", mkd.Slope)));
        outcome.Numbers.Add(Evidence.Info("R^2 of the weight-change fit (lazy)", wc.R2));
        outcome.Numbers.Add(Evidence.Info("R^2 of the kernel-distance fit (lazy)", kd.R2));
        outcome.Numbers.Add(Evidence.Info("R^2 of the NTK-error fit", ne.R2));
        outcome.Numbers.Add(Evidence.Info("R^2 of the weight-change fit (mean field)", mwc.R2));
        outcome.Numbers.Add(Evidence.Info("R^2 of the kernel-distance fit (mean field)", mkd.R2));
        for (int i = 0; i < widths.Length; i++)
        {
            outcome.Numbers.Add(Evidence.Info($"m = {widths[i]}: lazy relative weight change / kernel distance", lazy.Change[i],
                $"kernel distance {ClaimContext.Fmt(lazy.Distance[i])}, NTK error at init {ClaimContext.Fmt(lazy.NtkError[i])}, L(W_T)/L(W_0) = {ClaimContext.Fmt(lazy.Progress[i])} after {lazy.Steps[i]} steps"));
            outcome.Numbers.Add(Evidence.Info($"m = {widths[i]}: mean-field relative weight change / kernel distance", mf.Change[i],
                $"kernel distance {ClaimContext.Fmt(mf.Distance[i])}, L(W_T)/L(W_0) = {ClaimContext.Fmt(mf.Progress[i])} after {mf.Steps[i]} steps"));
        }

        var ms = widths.Select(w => (double)w).ToList();
        outcome.Charts.Add(Charts.Lines("lazy", "Lazy vs mean-field training: movement of weights and kernel vs width",
            "Relative weight change ||W_T - W_0||_F / ||W_0||_F and kernel distance 1 - cos(K_0, K_T) of the lazy (standard init, eta ~ 1/m) and mean-field (output scale 1/m, fixed eta) sweeps, and the relative distance of the empirical NTK at init from the analytic infinite-width NTK; log-log axes, where a power law m^a is a straight line of slope a. The claim: the lazy curves fall (slopes -1/2 to -1 and -1 to -2), the mean-field ones do not.",
            "hidden width m", "value",
            [new Series("lazy: relative weight change", ms, lazy.Change), new Series("lazy: kernel distance", ms, lazy.Distance),
             new Series("||K_0 - 2 Theta|| / ||2 Theta||", ms, lazy.NtkError),
             new Series("mean field: relative weight change", ms, mf.Change), new Series("mean field: kernel distance", ms, mf.Distance)],
            logX: true, logY: true));
        outcome.Charts.Add(Charts.Lines("progress", "Training progress at each width",
            "L(W_T) / L(W_0) of every run; the hypotheses: the loss at least halves and the ratios agree within a factor 3 across widths, in both sweeps.",
            "hidden width m", "L(W_T) / L(W_0)", [new Series("lazy", ms, lazy.Progress), new Series("mean field", ms, mf.Progress)], logX: true, logY: true));
        outcome.Notes.Add($"Bias-free two-layer ReLU MLPs 64-m-1 with He init on binary digits (3 vs 8, pixels in [0, 1]); GD on the square loss until the same training loss at every width (stop.loss). Lazy: eta = {ClaimContext.Fmt(etaTimesWidth)} / m. Mean field: the first layer's initial weights divided by sqrt(m) (output scale 1/m, units balanced), eta = {ClaimContext.Fmt(meanFieldEta)} at every width.");
        outcome.Notes.Add("The empirical NTK of the He-initialized net with respect to theta = W_k / sqrt(2 / fan_in_k) converges to 2 Theta^L (the last layer of a He net is sqrt(2) times that of the NTK-parameterized net); Theta^L is the analytic NTK of THEORY.md section 5.");
        return outcome;
    }

    private static Sweep RunSweep(ClaimContext ctx, int[] widths, Func<int, double> eta, bool meanField)
    {
        var s = new Sweep([], [], [], [], []);
        foreach (int m in widths)
        {
            string name = (meanField ? "mf-m" : "m") + m;
            var cfg = ConfigVariants.WithHiddenWidth(ctx.Config("train", $"m{m}"), m);
            cfg = cfg with { Algorithm = cfg.Algorithm with { Eta = eta(m) } };
            if (cfg.Model.Init.Scheme != "he" || cfg.Model.Init.Scale != 1.0 || cfg.Model.Mlp!.Bias || cfg.Model.Mlp.Widths.Length != 3)
                throw new InvalidDataException($"{ctx.Definition.Source}: the design needs a bias-free two-layer MLP (one hidden layer) with standard He init (scale 1).");
            var trainer = new Trainer<double>(cfg);
            var train = trainer.Train;
            var model = trainer.Model;
            if (meanField)
            {
                // output scale 1/m: the first layer's weights divided by sqrt(m) (the same init draw as the lazy run)
                var p = model.SnapshotParameters();
                var first = model.Weights[0];
                double f = 1 / Math.Sqrt(m);
                for (int i = 0; i < first.Value.Length; i++) p[first.Offset + i] *= f;
                model.LoadParameters(p);
            }
            var w0 = model.Flat.ToArray();
            var k0 = EmpiricalNtk.Compute(model, train);
            if (!meanField)
            {
                var k0Theta = EmpiricalNtk.Compute(model, train, HeScales(model));
                var theta = AnalyticNtk.Compute(train.X, train.N, 1).Ntk;
                double err = 0, norm = 0;
                for (int i = 0; i < theta.Length; i++) { double t = 2 * theta[i], e = k0Theta[i] - t; err += e * e; norm += t * t; }
                s.NtkError.Add(Math.Sqrt(err / norm));
            }
            ctx.Progress($"{name}: training");
            var result = ctx.Run(trainer, name);
            var kt = EmpiricalNtk.Compute(model, train);
            s.Change.Add(EmpiricalNtk.RelativeWeightChange(w0, model.Flat));
            s.Distance.Add(EmpiricalNtk.KernelDistance(k0, kt));
            s.Progress.Add(result.Rows[^1]["train_loss"] / result.Rows[0]["train_loss"]);
            s.Steps.Add(result.Steps);
        }
        return s;
    }

    /// <summary>
    /// Parameter scales c_k = sqrt(2 / fan_in_k) of the dense layers: under He init W_k = c_k theta_k with theta_k ~ N(0, 1),
    /// and the empirical NTK with these scales (the NTK with respect to theta) converges to 2 Theta^L as the widths grow.
    /// </summary>
    public static double[] HeScales(Sequential<double> model) =>
        model.Layers.OfType<Dense<double>>().Select(d => Math.Sqrt(2.0 / d.In)).ToArray();
}
