namespace Gradscope.Measures.Registry.Entries;

using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>Margins of THEORY.md section 3 on the measured training samples (raw, rho- and spectrally normalized) and the training error.</summary>
internal static class MarginEntries
{
    private static string? Undefined(MeasureContext c) => c.SampleOutputs.Defined ? null : SampleOutputs.NanMargins;

    private static void Quantiles(MeasureContext c, MeasureSink s, string prefix, double[] values)
    {
        var d = new MarginDistribution(values);
        foreach (double q in c.Options.MarginQuantiles) s.Set($"{prefix}.q{Pct(q)}", d.Quantile(q));
    }

    private static string RhoReason(MeasureContext c) => c.NotHomogeneous ?? (!c.SampleOutputs.Defined || c.RhoMargins is not null ? SampleOutputs.NanMargins : "rho = 0 (a layer is zero)");
    private static string? RhoNa(MeasureContext c) => c.RhoMargins is { } m && !m.Any(double.IsNaN) ? null : RhoReason(c);
    private static string? SpectralNa(MeasureContext c) => c.SpectralMargins is { } m && !m.Any(double.IsNaN) ? null
        : c.NotHomogeneous ?? (!c.SampleOutputs.Defined || c.SpectralMargins is not null ? SampleOutputs.NanMargins : "R or ||X||_F is 0");

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("train_error", "err_train", "fraction of measured training samples misclassified", "5", N.None, C.Forward,
            Always, (c, s) => s.Set("train_error", SampleOutputs.Error(c.SampleOutputs.Outputs, c.Sample.Y)));
        yield return Of("margin.min", "min_i m_i", "smallest raw margin (binary y f(x); multiclass z_y - max_{j != y} z_j)", "3", N.None, C.Forward,
            Undefined, (c, s) => s.Set("margin.min", c.SampleOutputs.Distribution!.Quantile(0)), "margin.*");
        yield return Of("margin.q{q}", "m_(q)", "q-quantile of the raw margins (q from MeasureOptions.MarginQuantiles; q50 = median)", "3", N.None, C.Forward,
            Undefined, (c, s) => Quantiles(c, s, "margin", c.SampleOutputs.Raw), "margin.*");
        yield return Of("margin.mean", "mean_i m_i", "mean raw margin", "3", N.None, C.Forward,
            Undefined, (c, s) => s.Set("margin.mean", c.SampleOutputs.Raw.Average()), "margin.*");
        yield return Of("input_frobenius", "||X||_F", "Frobenius norm of the measured input matrix", "3", N.None, C.Forward,
            Always, (c, s) => s.Set("input_frobenius", c.InputFrobenius));
        yield return Of("input_max_norm", "B", "max_i ||x_i|| over the measured samples", "5", N.None, C.Forward,
            Always, (c, s) => s.Set("input_max_norm", Margins.MaxInputNorm(c.Sample)));
        yield return Of("bft_scale", "R ||X||_F / n", "the normalization of the spectrally normalized margin", "3", N.Homogeneous, C.Weights,
            c => c.NotHomogeneous ?? (c.Layers.Complexity > 0 ? null : "R = 0 (a layer is zero)"),
            (c, s) => s.Set("bft_scale", c.Layers.Complexity * c.InputFrobenius / c.Sample.N));
        yield return Of("gamma_min", "gamma", "min_i m_i / rho (minimum normalized margin)", "3", N.Homogeneous, C.Forward,
            RhoNa, (c, s) => s.Set("gamma_min", Margins.GammaMin(c.SampleOutputs.Raw, c.Rho)));
        yield return Of("margin_rho.mean", "mean_i m_i / rho", "mean rho-normalized margin", "3", N.Homogeneous, C.Forward,
            RhoNa, (c, s) => s.Set("margin_rho.mean", c.RhoMargins!.Average()), "margin_rho.*");
        yield return Of("margin_rho.q{q}", "(m / rho)_(q)", "q-quantile of the rho-normalized margins", "3", N.Homogeneous, C.Forward,
            RhoNa, (c, s) => Quantiles(c, s, "margin_rho", c.RhoMargins!), "margin_rho.*");
        yield return Of("margin_spectral.mean", "mean_i m_i / (R ||X||_F / n)", "mean spectrally normalized margin", "3", N.Homogeneous, C.Forward,
            SpectralNa, (c, s) => s.Set("margin_spectral.mean", c.SpectralMargins!.Average()), "margin_spectral.*");
        yield return Of("margin_spectral.q{q}", "(m / (R ||X||_F / n))_(q)", "q-quantile of the spectrally normalized margins", "3", N.Homogeneous, C.Forward,
            SpectralNa, (c, s) => Quantiles(c, s, "margin_spectral", c.SpectralMargins!), "margin_spectral.*");
    }
}
