namespace Gradscope.Measures.Registry.Entries;

using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// The norm-based measures of Jiang et al. 2020 ("Fantastic generalization measures and where to find them", appendix C,
/// eq. 29-42, numbered as the paper and the reference code of Dziugaite et al. 2020 number them), on the weight matrices
/// W_k reshaped to (out, rest) as Jiang et al. reshape them (a conv kernel (out, in, kh, kw) to (out, in kh kw)), d = the
/// number of weight layers and gamma the 10th percentile of the raw training margins. Beside them each layer's distance
/// from initialization ||W_k - W_k^0|| in the Frobenius and spectral norms.
/// </summary>
internal static class JiangEntries
{
    /// <summary>The margin percentile Jiang et al. use for gamma.</summary>
    public const double MarginQuantile = 0.10;

    // Per layer ||W_k||_F^2 and ||W_k||_2^2 of the reshaped kernels (dense layers: the weights themselves).
    private static double[] Fro2(MeasureContext c) => c.Weights.Select(FrobeniusNorm.Squared).ToArray();
    private static double[] Spec2(MeasureContext c) => c.Layers.KernelSpec.Select(s => s * s).ToArray();

    private static string? SpecPositive(MeasureContext c) => c.Layers.KernelSpec.Any(s => !(s > 0))
        ? "a weight matrix is zero (or not finite): ln ||W||_2^2 is undefined" : null;
    private static string? FroPositive(MeasureContext c) => c.Layers.KernelFro.Any(s => !(s > 0))
        ? "a weight matrix is zero (or not finite): ln ||W||_F^2 is undefined" : null;

    /// <summary>gamma, the 10th percentile of the raw margins (NaN when undefined).</summary>
    private static double Gamma(MeasureContext c) => c.SampleOutputs.Distribution?.Quantile(MarginQuantile) ?? double.NaN;
    private static string? GammaPositive(MeasureContext c)
    {
        double g = Gamma(c);
        return g > 0 ? null : double.IsNaN(g) ? SampleOutputs.NanMargins
            : $"the 10th percentile of the training margins is {g:G4} <= 0 (more than 10% of the measured samples misclassified or on the boundary)";
    }

    /// <summary>Per layer ||W_k - W_k^0||_F and ||W_k - W_k^0||_2 (memoized).</summary>
    private static (double[] Fro, double[] Spec) Distances(MeasureContext c) => c.Memo("dist_init", () =>
    {
        var w = c.Weights; var w0 = c.InitialWeights!;
        var fro = new double[w.Count]; var spec = new double[w.Count];
        for (int k = 0; k < w.Count; k++)
        {
            var diff = new double[w[k].Data.Length];
            for (int i = 0; i < diff.Length; i++) diff[i] = w[k].Data[i] - w0[k].Data[i];
            var dm = new WeightMatrix(w[k].Name, w[k].LayerIndex, w[k].Rows, w[k].Cols, diff);
            fro[k] = FrobeniusNorm.Of(dm);
            spec[k] = SpectralNorm.Of(dm, Math.Min(c.Options.PowerTolerance, 1e-10));
        }
        return (fro, spec);
    });

    private static IMeasure Plain(string key, string symbol, string formula, Func<MeasureContext, string?> na, Func<MeasureContext, double> value, N needs = N.None, C cost = C.Weights) =>
        Of(key, symbol, formula, "5", needs, cost, na, (c, s) => s.Set(key, value(c)));

    private static double LogProdSpec(MeasureContext c) => Spec2(c).Sum(Math.Log);
    private static double LogProdFro(MeasureContext c) => Fro2(c).Sum(Math.Log);

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("layer.{k}.dist_init_frobenius", "||W_k - W_k^0||_F", "Frobenius distance of layer k's weight from its initialization", "5", N.InitWeights, C.Weights,
            c => c.NoInitialWeights, (c, s) => PerLayer(c, s, "layer.{k}.dist_init_frobenius", k => Distances(c).Fro[k]));
        yield return Of("layer.{k}.dist_init_spectral", "||W_k - W_k^0||_2", "spectral distance of layer k's weight from its initialization (power iteration)", "5", N.InitWeights, C.Weights,
            c => c.NoInitialWeights, (c, s) => PerLayer(c, s, "layer.{k}.dist_init_spectral", k => Distances(c).Spec[k]));
        yield return Plain("jiang.frob_distance", "sum_k ||W_k - W_k^0||_F^2", "Jiang et al. 2020 eq. 40: the Frobenius distance to initialization",
            c => c.NoInitialWeights, c => Distances(c).Fro.Sum(f => f * f), N.InitWeights);
        yield return Plain("jiang.dist_spec_init", "sum_k ||W_k - W_k^0||_2^2", "Jiang et al. 2020 eq. 41: the spectral distance to initialization",
            c => c.NoInitialWeights, c => Distances(c).Spec.Sum(f => f * f), N.InitWeights);
        yield return Plain("jiang.param_norm", "sum_k ||W_k||_F^2", "Jiang et al. 2020 eq. 42: the squared Frobenius norm of the weights", Always, c => FrobeniusNorm.SquaredSum(c.Weights));

        yield return Plain("jiang.log_prod_of_spec", "sum_k ln ||W_k||_2^2", "Jiang et al. 2020 eq. 32: ln prod_k ||W_k||_2^2", SpecPositive, LogProdSpec);
        yield return Plain("jiang.log_prod_of_spec_over_margin", "ln (prod_k ||W_k||_2^2 / gamma^2)", "Jiang et al. 2020 eq. 31 (gamma = 10th percentile of the raw margins)",
            c => SpecPositive(c) ?? GammaPositive(c), c => LogProdSpec(c) - 2 * Math.Log(Gamma(c)), cost: C.Forward);
        yield return Plain("jiang.log_spec_init_main", "ln (prod_k ||W_k||_2^2 / gamma^2 sum_k ||W_k - W_k^0||_F^2 / ||W_k||_2^2)", "Jiang et al. 2020 eq. 29",
            c => SpecPositive(c) ?? c.NoInitialWeights ?? GammaPositive(c),
            c => LogProdSpec(c) - 2 * Math.Log(Gamma(c)) + Math.Log(Distances(c).Fro.Select((f, k) => f * f / Spec2(c)[k]).Sum()), N.InitWeights, C.Forward);
        yield return Plain("jiang.log_spec_orig_main", "ln (prod_k ||W_k||_2^2 / gamma^2 sum_k ||W_k||_F^2 / ||W_k||_2^2)", "Jiang et al. 2020 eq. 30",
            c => SpecPositive(c) ?? GammaPositive(c), c => LogProdSpec(c) - 2 * Math.Log(Gamma(c)) + Math.Log(FroOverSpec(c)), cost: C.Forward);
        yield return Plain("jiang.fro_over_spec", "sum_k ||W_k||_F^2 / ||W_k||_2^2", "Jiang et al. 2020 eq. 33: the sum of the stable ranks", SpecPositive, FroOverSpec);
        yield return Plain("jiang.log_sum_of_spec_over_margin", "ln d + (1/d) ln (prod_k ||W_k||_2^2 / gamma^2)", "Jiang et al. 2020 eq. 34",
            c => SpecPositive(c) ?? GammaPositive(c), c => Math.Log(c.Weights.Count) + (LogProdSpec(c) - 2 * Math.Log(Gamma(c))) / c.Weights.Count, cost: C.Forward);
        yield return Plain("jiang.log_sum_of_spec", "ln d + (1/d) ln prod_k ||W_k||_2^2", "Jiang et al. 2020 eq. 35",
            SpecPositive, c => Math.Log(c.Weights.Count) + LogProdSpec(c) / c.Weights.Count);
        yield return Plain("jiang.log_prod_of_fro_over_margin", "ln (prod_k ||W_k||_F^2 / gamma^2)", "Jiang et al. 2020 eq. 36",
            c => FroPositive(c) ?? GammaPositive(c), c => LogProdFro(c) - 2 * Math.Log(Gamma(c)), cost: C.Forward);
        yield return Plain("jiang.log_prod_of_fro", "sum_k ln ||W_k||_F^2", "Jiang et al. 2020 eq. 37", FroPositive, LogProdFro);
        yield return Plain("jiang.log_sum_of_fro_over_margin", "ln d + (1/d) ln (prod_k ||W_k||_F^2 / gamma^2)", "Jiang et al. 2020 eq. 38",
            c => FroPositive(c) ?? GammaPositive(c), c => Math.Log(c.Weights.Count) + (LogProdFro(c) - 2 * Math.Log(Gamma(c))) / c.Weights.Count, cost: C.Forward);
        yield return Plain("jiang.log_sum_of_fro", "ln d + (1/d) ln prod_k ||W_k||_F^2", "Jiang et al. 2020 eq. 39",
            FroPositive, c => Math.Log(c.Weights.Count) + LogProdFro(c) / c.Weights.Count);
    }

    private static double FroOverSpec(MeasureContext c)
    {
        var f = Fro2(c); var s = Spec2(c);
        double sum = 0;
        for (int k = 0; k < f.Length; k++) sum += f[k] / s[k];
        return sum;
    }
}
