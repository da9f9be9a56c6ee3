namespace Gradscope.Measures.Registry.Entries;

using Gradscope.Measures.Flatness;
using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// WeightWatcher's heavy-tail exponents (Martin &amp; Mahoney 2021): per weight layer (the weight reshaped to (out, rest)),
/// the power-law exponent alpha of the eigenvalues of W^T W above x_min (continuous MLE, x_min by the Kolmogorov-Smirnov
/// distance; Clauset, Shalizi &amp; Newman 2009) and alpha_hat = alpha log10 lambda_max; and their means over the layers.
/// </summary>
internal static class SpectralFitEntries
{
    private const string Group = "layer.*.ww_*";

    private static string? Na(MeasureContext c) => c.Options.FullSvd ? null : "needs the full spectrum (MeasureOptions.FullSvd; the CLI computes it unless --no-svd)";

    private sealed record LayerFit(PowerLaw Fit, double LambdaMax);

    // Per layer the fit, or the reason there is none.
    // NOTE: the layer table (computed for the norms and ranks of every probe) already holds each kernel matrix's spectrum by the
    // same route; it is reused rather than computed again (the second computation was a third of a probe's time on the bench MLP).
    private static (LayerFit? Fit, string? Why)[] Fits(MeasureContext c) => c.Memo("ww", () => c.Weights.Select((w, k) =>
    {
        double[] s;
        try { s = c.Layers.KernelValues[k] ?? GramSpectrum.Of(w).Values; }
        catch (ArgumentException e) { return ((LayerFit?)null, (string?)e.Message); }
        var r = HeavyTail.Of(s);
        return r is { } v ? (new LayerFit(v.Fit, v.LambdaMax), null)
            : ((LayerFit?)null, $"{w.Name}: fewer than {PowerLawFit.MinTail} distinct nonzero eigenvalues of W^T W ({w.Rows} x {w.Cols}) to fit a power law");
    }).ToArray());

    private static void PerLayerFit(MeasureContext c, MeasureSink s, string pattern, Func<LayerFit, double> value)
    {
        var fits = Fits(c);
        for (int k = 0; k < fits.Length; k++)
        {
            string key = pattern.Replace("{k}", k.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (fits[k].Fit is { } f) s.Set(key, value(f)); else s.Omit(key, fits[k].Why!);
        }
    }

    private static void Mean(MeasureContext c, MeasureSink s, string key, Func<LayerFit, double> value)
    {
        var fits = Fits(c).Where(f => f.Fit is not null).Select(f => value(f.Fit!)).ToList();
        if (fits.Count > 0) s.Set(key, fits.Average());
        else s.Omit(key, "no layer has a power-law fit: " + Fits(c).First().Why);
    }

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("layer.{k}.ww_alpha", "alpha_k", "power-law exponent of the eigenvalues of W_k^T W_k above x_min (MLE 1 + m / sum ln(lambda_i / x_min), x_min by KS distance)", "5", N.Spectrum, C.Spectrum,
            Na, (c, s) => PerLayerFit(c, s, "layer.{k}.ww_alpha", f => f.Fit.Alpha), Group);
        yield return Of("layer.{k}.ww_xmin", "x_min,k", "the x_min of layer k's power-law fit", "5", N.Spectrum, C.Spectrum,
            Na, (c, s) => PerLayerFit(c, s, "layer.{k}.ww_xmin", f => f.Fit.XMin), Group);
        yield return Of("layer.{k}.ww_alpha_hat", "alpha_k log10 lambda_max,k", "WeightWatcher's weighted alpha of layer k", "5", N.Spectrum, C.Spectrum,
            Na, (c, s) => PerLayerFit(c, s, "layer.{k}.ww_alpha_hat", f => HeavyTail.AlphaHat(f.Fit.Alpha, f.LambdaMax)), Group);
        yield return Of("ww_alpha_mean", "mean_k alpha_k", "mean of the layers' power-law exponents (layers with a fit)", "5", N.Spectrum, C.Spectrum,
            Na, (c, s) => Mean(c, s, "ww_alpha_mean", f => f.Fit.Alpha));
        yield return Of("ww_alpha_hat", "mean_k alpha_k log10 lambda_max,k", "WeightWatcher's alpha_hat: the mean over layers of alpha log10 lambda_max", "5", N.Spectrum, C.Spectrum,
            Na, (c, s) => Mean(c, s, "ww_alpha_hat", f => HeavyTail.AlphaHat(f.Fit.Alpha, f.LambdaMax)));
    }
}
