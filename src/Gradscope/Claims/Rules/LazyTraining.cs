namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// lazy-training: bias-free ReLU MLPs of growing hidden width m with standard (He) init, trained by the shared
/// trainer with GD on the square loss at step size eta = eta_times_width / m (the standard-parameterization NTK
/// grows like m, so this keeps the function-space dynamics width-independent). Per width: the relative weight
/// change ||W_T - W_0||_F / ||W_0||_F, the kernel distance 1 - &lt;K_0, K_T&gt;_F / (||K_0||_F ||K_T||_F) of the
/// empirical NTK (THEORY.md section 5, gradients in the trained weights), and the relative Frobenius error of the
/// empirical NTK at init against the analytic infinite-width NTK.
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

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var widths = ctx.Parameters.Ints("widths");
        double etaTimesWidth = ctx.Parameters.Double("eta_times_width");
        var logM = new List<double>();
        var change = new List<double>(); var distance = new List<double>(); var ntkError = new List<double>();
        foreach (int m in widths)
        {
            string name = $"m{m}";
            var cfg = ConfigVariants.WithHiddenWidth(ctx.Config("train", name), m);
            cfg = cfg with { Algorithm = cfg.Algorithm with { Eta = etaTimesWidth / m } };
            if (cfg.Model.Init.Scheme != "he" || cfg.Model.Init.Scale != 1.0 || cfg.Model.Mlp!.Bias)
                throw new InvalidDataException($"{ctx.Definition.Source}: the analytic NTK comparison assumes a bias-free MLP with standard He init (scale 1).");
            var trainer = new Trainer<double>(cfg);
            var train = trainer.Train;
            var model = trainer.Model;
            var w0 = model.Flat.ToArray();
            var k0 = EmpiricalNtk.Compute(model, train);
            var k0Theta = EmpiricalNtk.Compute(model, train, HeScales(model));
            int hidden = cfg.Model.Mlp.Widths.Length - 2;
            var theta = AnalyticNtk.Compute(train.X, train.N, hidden).Ntk;
            double err = 0, norm = 0;
            for (int i = 0; i < theta.Length; i++) { double t = 2 * theta[i], e = k0Theta[i] - t; err += e * e; norm += t * t; }
            ctx.Progress($"{name}: training");
            var result = ctx.Run(trainer, name);
            var kt = EmpiricalNtk.Compute(model, train);
            logM.Add(Math.Log(m));
            change.Add(EmpiricalNtk.RelativeWeightChange(w0, model.Flat));
            distance.Add(EmpiricalNtk.KernelDistance(k0, kt));
            ntkError.Add(Math.Sqrt(err / norm));
            var rows = result.Rows;
            outcome.Numbers.Add(Evidence.Info($"m = {m}: training loss at init -> after {result.Steps} steps", rows[^1]["loss"] / rows[0]["loss"],
                "L(W_T) / L(W_0): how far training went (comparable across widths)"));
        }
        var wc = ClaimMath.LinearFit(logM, change.Select(v => Math.Log(v)).ToList());
        var kd = ClaimMath.LinearFit(logM, distance.Select(v => Math.Log(v)).ToList());
        var ne = ClaimMath.LinearFit(logM, ntkError.Select(v => Math.Log(v)).ToList());
        outcome.Numbers.Insert(0, ctx.Check("weight_change_slope", "log-log slope of ||W_T - W_0||_F / ||W_0||_F vs width", wc.Slope));
        outcome.Numbers.Insert(1, ctx.Check("kernel_distance_slope", "log-log slope of the kernel distance 1 - cos(K_0, K_T) vs width", kd.Slope));
        outcome.Numbers.Insert(2, ctx.Check("ntk_error_slope", "log-log slope of ||K_0 - 2 Theta||_F / ||2 Theta||_F vs width", ne.Slope));
        outcome.Numbers.Insert(3, ctx.Check("ntk_error_slope_rate", "the same slope (lower end)", ne.Slope));
        outcome.Numbers.Insert(4, ctx.Check("largest_weight_change", $"relative weight change at the largest width m = {widths[^1]}", change[^1]));
        outcome.Numbers.Insert(5, ctx.Check("largest_kernel_distance", $"kernel distance at the largest width m = {widths[^1]}", distance[^1]));
        outcome.Numbers.Insert(6, ctx.Check("largest_ntk_error", $"relative error of the empirical NTK at init at the largest width m = {widths[^1]}", ntkError[^1]));
        var ms = widths.Select(w => (double)w).ToList();
        outcome.Charts.Add(Charts.Lines("lazy", "Lazy training: movement of weights and kernel vs width",
            "Relative weight change ||W_T - W_0||_F / ||W_0||_F, kernel distance 1 - cos(K_0, K_T), and the relative distance of the empirical NTK at init from the analytic infinite-width NTK; log-log axes, where a power law m^a is a straight line of slope a.",
            "hidden width m", "value",
            [new Series("relative weight change", ms, change), new Series("kernel distance", ms, distance), new Series("||K_0 - 2 Theta|| / ||2 Theta||", ms, ntkError)],
            logX: true, logY: true));
        int depth = ctx.Config("train").Model.Mlp!.Widths.Length - 2;
        outcome.Notes.Add($"Bias-free ReLU MLPs with {depth} hidden layers of width m and He init on binary digits (3 vs 8, pixels in [0, 1]); GD on the square loss with eta = {ClaimContext.Fmt(etaTimesWidth)} / m and the same number of steps for every width.");
        outcome.Notes.Add("The empirical NTK of the He-initialized net with respect to theta = W_k / sqrt(2 / fan_in_k) converges to 2 Theta^L (the last layer of a He net is sqrt(2) times that of the NTK-parameterized net); Theta^L is the analytic NTK of THEORY.md section 5.");
        return outcome;
    }

    /// <summary>
    /// Parameter scales c_k = sqrt(2 / fan_in_k) of the dense layers: under He init W_k = c_k theta_k with theta_k ~ N(0, 1),
    /// and the empirical NTK with these scales (the NTK with respect to theta) converges to 2 Theta^L as the widths grow.
    /// </summary>
    public static double[] HeScales(Sequential<double> model) =>
        model.Layers.OfType<Dense<double>>().Select(d => Math.Sqrt(2.0 / d.In)).ToArray();
}
