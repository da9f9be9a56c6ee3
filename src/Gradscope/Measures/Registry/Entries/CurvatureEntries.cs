namespace Gradscope.Measures.Registry.Entries;

using System.Globalization;
using Gradscope.Tensors;
using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// The Hessian H of the training loss on the measured samples (THEORY.md section 5) through exact Hessian-vector products
/// (<see cref="HessianVectorProduct"/>): top eigenvalues by power iteration (<see cref="MeasureOptions.HessianTopK"/>); the mode
/// of <see cref="MeasureOptions.Hessian"/>: exact (the full matrix from P products, small nets), stochastic (Hutchinson's trace and
/// ||H||_F^2 with standard errors) or the SLQ spectral density; the per-layer diagonal blocks (<see cref="MeasureOptions.HessianBlocks"/>);
/// and the loss and gradient norm at the weights whenever a mode or the blocks are asked for.
/// </summary>
/// <remarks>
/// NOTE: each computation draws from its own random stream derived from <see cref="MeasureOptions.Seed"/> (top eigenvalues: the
/// seed; stochastic: seed ^ 0x4E55; SLQ: seed ^ 0x51C; blocks: seed ^ 0xB10C), so a value does not depend on which other keys
/// are selected or in which order they are computed.
/// </remarks>
internal static class CurvatureEntries
{
    /// <summary>How many of the smallest eigenvalues the exact mode reports as keys (hessian.bottom.j).</summary>
    public const int Bottom = 5;

    /// <summary>Points of the SLQ density grid.</summary>
    public const int GridPoints = 1000;

    private const N Needs = N.Loss | N.Dense | N.OptIn;

    private static string? NoLoss(MeasureContext c) => c.Options.Loss is null ? "no loss in the options (MeasureOptions.Loss; measure --loss)" : null;

    private static HessianVectorProduct Hvp(MeasureContext c) => c.Memo("hvp", () => c.Hessian(c.Options.Loss!.Value, c.Options.TargetScale));

    // --- top eigenvalues -------------------------------------------------------------------------------------------
    private static string? NaTop(MeasureContext c) => NoLoss(c)
        ?? (c.Options.HessianTopK <= 0 ? "opt-in: no count of top eigenvalues requested (MeasureOptions.HessianTopK; measure --hessian-top K)" : null)
        ?? c.HessianUnavailable;

    private static double[] Top(MeasureContext c) => c.Memo("hessian.top", () =>
    {
        var h = Hvp(c);
        return HessianSpectrum.TopEigenvalues(h, Math.Min(c.Options.HessianTopK, h.Dimension), new Rng(c.Options.Seed), tolerance: c.Options.PowerTolerance);
    });

    // --- modes ------------------------------------------------------------------------------------------------------
    private static string ModeWord(HessianMode m) => m.ToString().ToLowerInvariant();

    private static string? NaMode(MeasureContext c, params HessianMode[] modes)
    {
        if (NoLoss(c) is string why) return why;
        var mode = c.Options.HessianModeInEffect;
        if (mode is null || !modes.Contains(mode.Value))
            return $"opt-in: computed by the Hessian mode{(modes.Length > 1 ? "s" : "")} {string.Join(" or ", modes.Select(ModeWord))} (measure --hessian {string.Join("|", modes.Select(ModeWord))}; MeasureOptions.Hessian)"
                + (mode is { } m ? $", not by {ModeWord(m)}" : "");
        if (c.HessianUnavailable is string no) return no;
        return mode == HessianMode.Exact ? Exact(c).Why : null;
    }

    private static (ExactHessian? E, string? Why) Exact(MeasureContext c) => c.Memo<(ExactHessian?, string?)>("hessian.exact", () =>
    {
        if (c.ParameterCount > ExactHessian.MaxParameters)
            return (null, $"the full Hessian has P x P = {c.ParameterCount} x {c.ParameterCount} entries; it is built for P <= {ExactHessian.MaxParameters} parameters (use --hessian stochastic or slq)");
        return (ExactHessian.Of(Hvp(c)), null);
    });

    private static (Estimate Trace, Estimate FrobeniusSquared) Stochastic(MeasureContext c) =>
        c.Memo("hessian.stochastic", () => StochasticHessian.Of(Hvp(c), c.Options.StochasticProbes, new Rng(c.Options.Seed ^ 0x4E55u)));

    private static SpectralDensity Slq(MeasureContext c) =>
        c.Memo("hessian.slq", () => StochasticLanczosQuadrature.Of(Hvp(c), c.Options.SlqProbes, c.Options.SlqSteps, new Rng(c.Options.Seed ^ 0x51Cu)));

    private static IReadOnlyList<BlockCurvature> Blocks(MeasureContext c) =>
        c.Memo("hessian.blocks", () => HessianBlocks.Of(Hvp(c), c.Options.SlqSteps, c.Options.StochasticProbes, new Rng(c.Options.Seed ^ 0xB10Cu)));

    private static IMeasure Mode(string key, string symbol, string formula, HessianMode[] modes, Action<MeasureContext, MeasureSink> compute) =>
        Of(key, symbol, formula, "5", Needs, C.Hessian, c => NaMode(c, modes), compute, "hessian.*");

    private static IMeasure ExactKey(string key, string symbol, string formula, Func<ExactHessian, double> value) =>
        Mode(key, symbol, formula, [HessianMode.Exact], (c, s) => s.Set(key, value(Exact(c).E!)));

    private static IMeasure SlqKey(string key, string symbol, string formula, Func<SpectralDensity, double> value) =>
        Mode(key, symbol, formula, [HessianMode.Slq], (c, s) => s.Set(key, value(Slq(c))));

    private static string? NaBlocks(MeasureContext c) => NoLoss(c)
        ?? (c.Options.HessianBlocks ? null : "opt-in: the per-layer diagonal blocks (measure --hessian-blocks; MeasureOptions.HessianBlocks)")
        ?? c.HessianUnavailable;

    private static IMeasure Block(string suffix, string symbol, string formula, Func<BlockCurvature, double> value) =>
        Of($"hessian.layer.{{k}}.{suffix}", symbol, formula, "5", Needs, C.Hessian, NaBlocks, (c, s) =>
        {
            foreach (var b in Blocks(c)) s.Set($"hessian.layer.{b.Block.Step.ToString(CultureInfo.InvariantCulture)}.{suffix}", value(b));
        }, "hessian.*");

    private static string? NaAtWeights(MeasureContext c) => NoLoss(c)
        ?? (c.Options.HessianModeInEffect is null && !c.Options.HessianBlocks ? "opt-in: reported with a Hessian mode or the blocks (measure --hessian or --hessian-blocks)" : null);

    private static (double Loss, double GradientNorm) AtWeights(MeasureContext c) =>
        c.Memo("hessian.at", () => c.LossAndGradientNorm(c.Options.Loss!.Value, c.Options.TargetScale));

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("hessian.top.{j}", "lambda_j(H)", "j-th largest eigenvalue of the loss Hessian by power iteration with deflation on Hessian-vector products", "5", Needs, C.Hessian,
            NaTop, (c, s) =>
            {
                var top = Top(c);
                for (int j = 0; j < top.Length; j++) s.Set($"hessian.top.{j}", top[j]);
            }, "hessian.*");
        yield return Of("hessian.loss", "L(W)", "the training loss on the measured samples at the measured weights", "5", N.Loss | N.OptIn, C.Forward,
            NaAtWeights, (c, s) => s.Set("hessian.loss", AtWeights(c).Loss), "hessian.*");
        yield return Of("hessian.gradient_norm", "||grad L(W)||", "norm of the gradient of the training loss at the measured weights", "5", N.Loss | N.OptIn, C.Forward,
            NaAtWeights, (c, s) => s.Set("hessian.gradient_norm", AtWeights(c).GradientNorm), "hessian.*");
        yield return Mode("hessian.trace", "tr H", "exact: sum_j (H e_j)_j; stochastic: Hutchinson's (1/S) sum_s v_s^T H v_s over Rademacher v_s; slq: P x the first SLQ moment",
            [HessianMode.Exact, HessianMode.Stochastic, HessianMode.Slq], (c, s) => s.Set("hessian.trace", c.Options.HessianModeInEffect switch
            {
                HessianMode.Exact => Exact(c).E!.Trace,
                HessianMode.Stochastic => Stochastic(c).Trace.Mean,
                _ => Slq(c).Moment(1).Mean * c.ParameterCount,
            }));
        yield return Mode("hessian.trace_stderr", "se(tr H)", "standard error of the stochastic trace: s / sqrt(S) over the probes (slq: P x that of the first moment)",
            [HessianMode.Stochastic, HessianMode.Slq], (c, s) => s.Set("hessian.trace_stderr", c.Options.HessianModeInEffect == HessianMode.Stochastic
                ? Stochastic(c).Trace.StandardError : Slq(c).Moment(1).StandardError * c.ParameterCount));
        yield return Mode("hessian.frobenius", "||H||_F", "exact: ||H||_F; stochastic: sqrt of hessian.frobenius_squared",
            [HessianMode.Exact, HessianMode.Stochastic], (c, s) => s.Set("hessian.frobenius", c.Options.HessianModeInEffect == HessianMode.Exact
                ? Exact(c).E!.Frobenius : Math.Sqrt(Math.Max(0, Stochastic(c).FrobeniusSquared.Mean))));
        yield return Mode("hessian.frobenius_squared", "||H||_F^2", "(1/S) sum_s ||H v_s||^2 over Rademacher v_s, unbiased for ||H||_F^2 (E[v v^T] = I)",
            [HessianMode.Stochastic], (c, s) => s.Set("hessian.frobenius_squared", Stochastic(c).FrobeniusSquared.Mean));
        yield return Mode("hessian.frobenius_squared_stderr", "se(||H||_F^2)", "standard error of hessian.frobenius_squared over the probes",
            [HessianMode.Stochastic], (c, s) => s.Set("hessian.frobenius_squared_stderr", Stochastic(c).FrobeniusSquared.StandardError));
        // NOTE: ||H||_F = sqrt(F) of the mean F of ||H v_s||^2; its first-order (delta-method) standard error is se(F) / (2 sqrt F).
        yield return Mode("hessian.frobenius_stderr", "se(||H||_F)", "stochastic: first-order standard error of hessian.frobenius, se(||H||_F^2) / (2 sqrt(hessian.frobenius_squared))",
            [HessianMode.Stochastic], (c, s) =>
            {
                var f = Stochastic(c).FrobeniusSquared;
                if (f.Mean > 0) s.Set("hessian.frobenius_stderr", f.StandardError / (2 * Math.Sqrt(f.Mean)));
                else s.Omit("hessian.frobenius_stderr", $"the estimate of ||H||_F^2 is {f.Mean:G3}, not positive: sqrt has no derivative there");
            });
        yield return Mode("hessian.samples", "S", "Rademacher probes of the stochastic estimates",
            [HessianMode.Stochastic], (c, s) => s.Set("hessian.samples", c.Options.StochasticProbes));
        yield return ExactKey("hessian.lambda_max", "lambda_max(H)", "largest eigenvalue of the full Hessian", e => e.Eigenvalues[^1]);
        yield return ExactKey("hessian.lambda_min", "lambda_min(H)", "smallest eigenvalue of the full Hessian", e => e.Eigenvalues[0]);
        yield return Mode("hessian.bottom.{j}", "lambda_(j)(H)", $"j-th smallest eigenvalue of the full Hessian (j < {Bottom})", [HessianMode.Exact], (c, s) =>
        {
            var e = Exact(c).E!;
            for (int j = 0; j < Math.Min(Bottom, e.Eigenvalues.Length); j++) s.Set($"hessian.bottom.{j.ToString(CultureInfo.InvariantCulture)}", e.Eigenvalues[j]);
        });
        yield return ExactKey("hessian.negative_count", "#{lambda_j(H) < 0}", "number of negative eigenvalues of the full Hessian", e => e.Eigenvalues.Count(x => x < 0));
        yield return ExactKey("hessian.asymmetry", "max |H_ij - H_ji|", "largest asymmetry of the Hessian-vector products before symmetrizing (round-off; 0 in exact arithmetic)", e => e.Asymmetry);
        yield return Entry.Array("hessian.eigenvalues", "lambda(H)", "every eigenvalue of the full Hessian, ascending (P,)", "5", Needs, C.Hessian, c => NaMode(c, HessianMode.Exact),
            (c, s) => { var e = Exact(c).E!; s.SetArray("hessian.eigenvalues", [e.Eigenvalues.Length], e.Eigenvalues); }, "hessian.*");
        yield return Entry.Array("hessian.matrix", "H", "the full Hessian (P, P), symmetrized", "5", Needs, C.Hessian, c => NaMode(c, HessianMode.Exact),
            (c, s) => { var e = Exact(c).E!; s.SetArray("hessian.matrix", [e.Eigenvalues.Length, e.Eigenvalues.Length], e.Matrix); }, "hessian.*");
        yield return SlqKey("hessian.slq.probes", "N", "probes of the SLQ density", d => d.Probes);
        yield return SlqKey("hessian.slq.steps", "M", "Lanczos steps per probe (capped at P or at an invariant Krylov space)", d => d.Nodes.Max(n => n.Length));
        yield return SlqKey("hessian.slq.node_max", "max theta", "largest quadrature node, a lower bound on lambda_max(H)", d => d.MaxNode);
        yield return SlqKey("hessian.slq.node_min", "min theta", "smallest quadrature node, an upper bound on lambda_min(H)", d => d.MinNode);
        yield return SlqKey("hessian.slq.sigma", "sigma", "smoothing width of the density: 0.01 (node_max - node_min)", d => d.DefaultGrid(GridPoints).Sigma);
        yield return Mode("hessian.slq.moment.{k}", "(1/N) sum tau theta^k", "k-th moment of the SLQ measure (k = 1..4), unbiased for tr(H^k)/P, and its standard error (key suffix _stderr)", [HessianMode.Slq], (c, s) =>
        {
            var d = Slq(c);
            for (int k = 1; k <= 4; k++)
            {
                var m = d.Moment(k);
                s.Set($"hessian.slq.moment.{k.ToString(CultureInfo.InvariantCulture)}", m.Mean);
                s.Set($"hessian.slq.moment.{k.ToString(CultureInfo.InvariantCulture)}_stderr", m.StandardError);
            }
        });
        yield return Entry.Array("hessian.slq.quadrature", "(theta, tau / N)", "every Gauss quadrature node and its weight / N, probe by probe (N M, 2)", "5", Needs, C.Hessian, c => NaMode(c, HessianMode.Slq),
            (c, s) => { var t = Slq(c).NodeWeightTable(); s.SetArray("hessian.slq.quadrature", [t.Length / 2, 2], t); }, "hessian.*");
        yield return Entry.Array("hessian.slq.density", "(t, phi(t))", "the Gaussian-smoothed SLQ density on a grid (1000, 2)", "5", Needs, C.Hessian, c => NaMode(c, HessianMode.Slq), (c, s) =>
        {
            var d = Slq(c);
            var (grid, sigma) = d.DefaultGrid(GridPoints);
            var phi = d.Density(grid, sigma);
            var density = new double[2 * grid.Length];
            for (int i = 0; i < grid.Length; i++) { density[2 * i] = grid[i]; density[2 * i + 1] = phi[i]; }
            s.SetArray("hessian.slq.density", [grid.Length, 2], density);
        }, "hessian.*");
        yield return Block("size", "|b|", "parameters of model layer k's diagonal block H_bb (weight and bias)", b => b.Block.Size);
        yield return Block("lambda_max", "lambda_max(H_bb)", "largest Ritz value of Lanczos on the diagonal block H_bb", b => b.LambdaMax);
        yield return Block("lambda_min", "lambda_min(H_bb)", "smallest Ritz value of Lanczos on H_bb", b => b.LambdaMin);
        yield return Block("top", "lambda_top(H_bb)", "the extreme eigenvalue of H_bb of largest magnitude", b => b.Top);
        yield return Block("lambda_max_residual", "|beta_M s_M|", "residual bound of lambda_max (an eigenvalue of H_bb lies within it)", b => b.LambdaMaxResidual);
        yield return Block("lanczos_steps", "M_b", "Lanczos steps taken on H_bb", b => b.LanczosSteps);
        yield return Block("trace", "tr H_bb", "Hutchinson's estimate of tr H_bb from Rademacher probes on the block", b => b.Trace.Mean);
        yield return Block("trace_stderr", "se(tr H_bb)", "standard error of the block trace estimate", b => b.Trace.StandardError);
    }
}
