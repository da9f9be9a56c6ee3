namespace Gradscope.Measures.Registry.Entries;

using Gradscope.Measures.Flatness;
using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// The flatness measures of Jiang et al. 2020 (appendix C, eq. 48-61; numbers as in the reference code of Dziugaite et al.
/// 2020): sigma' (PAC-Bayes flatness, random Gaussian weight noise) and alpha' (sharpness, worst case over a box by
/// projected ascent), each isotropic and magnitude-aware (noise variance sigma^2 w_i^2 + eps^2, box alpha |w_i| + eps),
/// found by <see cref="FlatnessSearch"/> on the measured training samples so the training error moves by at most
/// <see cref="FlatnessOptions.Deviation"/>; then 1/sigma'^2, 1/alpha'^2 and the PAC-Bayes-bound forms. w is the flat
/// parameter vector (all parameters, as the noise perturbs all), omega its size, m the training set size.
/// </summary>
internal static class FlatnessEntries
{
    // The reason an opt-in family is off is reported once per family; an entry that also needs the initial weights keeps its own key.
    private static string GroupOf(string key, bool init) => init ? key : key.StartsWith("flatness.", StringComparison.Ordinal) ? "flatness.*"
        : key.StartsWith("jiang.pacbayes", StringComparison.Ordinal) ? "jiang.pacbayes_*" : "jiang.sharpness_*";

    private enum Kind { PacBayes, PacBayesMag, Sharpness, SharpnessMag }

    private static string? Na(MeasureContext c) => c.Options.Flatness is null
        ? "opt-in: Monte Carlo and ascent searches over the measured samples (MeasureOptions.Flatness; measure --flatness)" : null;

    private static ScaleSearch Scale(MeasureContext c, Kind kind) => c.Memo("flatness." + kind, () => c.Perturbed((f, w) => kind switch
    {
        Kind.PacBayes => FlatnessSearch.PacBayesSigma(f, w, c.Options.Flatness!, magnitudeAware: false),
        Kind.PacBayesMag => FlatnessSearch.PacBayesSigma(f, w, c.Options.Flatness!, magnitudeAware: true),
        Kind.Sharpness => FlatnessSearch.SharpnessAlpha(f, w, c.Options.Flatness!, magnitudeAware: false),
        _ => FlatnessSearch.SharpnessAlpha(f, w, c.Options.Flatness!, magnitudeAware: true),
    }));

    private static double SquaredNorm(ReadOnlySpan<double> v) { double s = 0; foreach (double x in v) s += x * x; return s; }

    private static double[] Delta(MeasureContext c)
    {
        var w = c.FlatParameters(); var w0 = c.InitialFlat!;
        var d = new double[w.Length];
        for (int i = 0; i < d.Length; i++) d[i] = w[i] - w0[i];
        return d;
    }

    /// <summary>Jiang's ln(m / s) + 10 tail of every PAC-Bayes form (m the training set size).</summary>
    private static double Tail(MeasureContext c, double s) => Math.Log(c.Train.N / s) + 10;

    /// <summary>
    /// Jiang et al. eq. 56-57: (1/4) sum_i ln((eps^2 + (s^2 + 1) ||ref||^2 / omega) / (eps^2 + s^2 (w_i - w0_i)^2)) + ln(m / s) + 10.
    /// </summary>
    public static double MagnitudeBound(double[] reference, double[] delta, double s, double eps, int m)
    {
        double num = eps * eps + (s * s + 1) * SquaredNorm(reference) / reference.Length, sum = 0;
        for (int i = 0; i < delta.Length; i++) sum += Math.Log(num / (eps * eps + s * s * delta[i] * delta[i]));
        return 0.25 * sum + Math.Log(m / s) + 10;
    }

    private static IMeasure Entry(string key, string symbol, string formula, Kind kind, bool init, Func<MeasureContext, double, double> value) =>
        Of(key, symbol, formula, "5", N.OptIn | (init ? N.InitWeights : N.None), C.Forward,
            c => Na(c) ?? (init ? c.NoInitialWeights : null),
            (c, s) =>
            {
                var r = Scale(c, kind);
                if (r.Found) s.Set(key, value(c, r.Scale));
                else s.Omit(key, $"even a {(kind is Kind.PacBayes or Kind.PacBayesMag ? "sigma" : "alpha")} of 2^-60 moves the training error by {r.Deviation:G3} > {c.Options.Flatness!.Deviation:G3}"
                    + (kind is Kind.PacBayesMag or Kind.SharpnessMag ? $" (the floor eps = {c.Options.Flatness!.MagnitudeEpsilon:G3} alone does)" : ""));
            }, GroupOf(key, init));

    // The Monte Carlo estimate that decided sigma' (the mean perturbed criterion over the S draws at sigma') and its standard error.
    private static IMeasure McEntry(string key, string symbol, string formula, Kind kind, bool stderr) =>
        Of(key, symbol, formula, "5", N.OptIn, C.Forward, Na, (c, s) =>
        {
            var r = Scale(c, kind);
            if (r.AtScale is not { } e) s.Omit(key, $"no sigma was found (even 2^-60 moves the training error by {r.Deviation:G3}), so there is no estimate at sigma'");
            else if (!stderr) s.Set(key, e.Mean);
            else if (e.Samples < 2) s.Omit(key, $"one Monte Carlo draw (S = {e.Samples}) has no sample standard deviation");
            else s.Set(key, e.StandardError);
        }, "flatness.*");

    public static IEnumerable<IMeasure> All()
    {
        yield return Entry("flatness.sigma", "sigma'", "largest sigma with |E_u crit(w + u) - crit(w)| <= deviation, u ~ N(0, sigma^2 I) (Monte Carlo, bisection)", Kind.PacBayes, false, (_, s) => s);
        yield return Entry("flatness.sigma_mag", "sigma'_mag", "the same with u_i ~ N(0, sigma^2 w_i^2 + eps^2)", Kind.PacBayesMag, false, (_, s) => s);
        yield return McEntry("flatness.sigma_perturbed_error", "(1/S) sum_s crit(w + u_s)", "Monte Carlo estimate of E_u crit(w + u) at sigma' over the S seeded draws u_s ~ N(0, sigma'^2 I) that decided the search", Kind.PacBayes, false);
        yield return McEntry("flatness.sigma_perturbed_error_stderr", "s / sqrt(S)", "standard error of flatness.sigma_perturbed_error: the sample standard deviation (with S - 1) of the S perturbed criteria over sqrt(S)", Kind.PacBayes, true);
        yield return McEntry("flatness.sigma_mag_perturbed_error", "(1/S) sum_s crit(w + u_s)", "the same at sigma'_mag, u_s,i ~ N(0, sigma'_mag^2 w_i^2 + eps^2)", Kind.PacBayesMag, false);
        yield return McEntry("flatness.sigma_mag_perturbed_error_stderr", "s / sqrt(S)", "standard error of flatness.sigma_mag_perturbed_error over the S draws", Kind.PacBayesMag, true);
        yield return Entry("flatness.alpha", "alpha'", "largest alpha with max_{|u_i| <= alpha} |crit(w + u) - crit(w)| <= deviation (projected sign-gradient ascent on the loss, bisection)", Kind.Sharpness, false, (_, s) => s);
        yield return Entry("flatness.alpha_mag", "alpha'_mag", "the same over the box |u_i| <= alpha |w_i| + eps", Kind.SharpnessMag, false, (_, s) => s);

        yield return Entry("jiang.pacbayes_init", "||w - w0||^2 / (4 sigma'^2) + ln(m / sigma') + 10", "Jiang et al. 2020 eq. 48", Kind.PacBayes, true,
            (c, s) => SquaredNorm(Delta(c)) / (4 * s * s) + Tail(c, s));
        yield return Entry("jiang.pacbayes_orig", "||w||^2 / (4 sigma'^2) + ln(m / sigma') + 10", "Jiang et al. 2020 eq. 49", Kind.PacBayes, false,
            (c, s) => SquaredNorm(c.FlatParameters()) / (4 * s * s) + Tail(c, s));
        yield return Entry("jiang.sharpness_init", "||w - w0||^2 ln(2 omega) / (4 alpha'^2) + ln(m / alpha') + 10", "Jiang et al. 2020 eq. 50", Kind.Sharpness, true,
            (c, s) => SquaredNorm(Delta(c)) * Math.Log(2.0 * c.ParameterCount) / (4 * s * s) + Tail(c, s));
        yield return Entry("jiang.sharpness_orig", "||w||^2 ln(2 omega) / (4 alpha'^2) + ln(m / alpha') + 10", "Jiang et al. 2020 eq. 51", Kind.Sharpness, false,
            (c, s) => SquaredNorm(c.FlatParameters()) * Math.Log(2.0 * c.ParameterCount) / (4 * s * s) + Tail(c, s));
        yield return Entry("jiang.sharpness_flatness", "1 / alpha'^2", "Jiang et al. 2020 eq. 52", Kind.Sharpness, false, (_, s) => 1 / (s * s));
        yield return Entry("jiang.pacbayes_flatness", "1 / sigma'^2", "Jiang et al. 2020 eq. 53", Kind.PacBayes, false, (_, s) => 1 / (s * s));
        yield return Entry("jiang.pacbayes_mag_init", "(1/4) sum_i ln((eps^2 + (sigma'^2 + 1) ||w - w0||^2 / omega) / (eps^2 + sigma'^2 (w_i - w0_i)^2)) + ln(m / sigma') + 10", "Jiang et al. 2020 eq. 56", Kind.PacBayesMag, true,
            (c, s) => MagnitudeBound(Delta(c), Delta(c), s, c.Options.Flatness!.MagnitudeEpsilon, c.Train.N));
        yield return Entry("jiang.pacbayes_mag_orig", "(1/4) sum_i ln((eps^2 + (sigma'^2 + 1) ||w||^2 / omega) / (eps^2 + sigma'^2 (w_i - w0_i)^2)) + ln(m / sigma') + 10", "Jiang et al. 2020 eq. 57", Kind.PacBayesMag, true,
            (c, s) => MagnitudeBound(c.FlatParameters(), Delta(c), s, c.Options.Flatness!.MagnitudeEpsilon, c.Train.N));
        yield return Entry("jiang.sharpness_mag_flatness", "1 / alpha'_mag^2", "Jiang et al. 2020 eq. 60", Kind.SharpnessMag, false, (_, s) => 1 / (s * s));
        yield return Entry("jiang.pacbayes_mag_flatness", "1 / sigma'_mag^2", "Jiang et al. 2020 eq. 61", Kind.PacBayesMag, false, (_, s) => 1 / (s * s));
    }
}
