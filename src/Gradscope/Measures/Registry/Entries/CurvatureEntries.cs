namespace Gradscope.Measures.Registry.Entries;

using Gradscope.Tensors;
using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// The Hessian of the training loss on the measured samples (THEORY.md section 5) through the existing
/// Hessian-vector products: top eigenvalues by power iteration and Hutchinson's trace. (The exact and stochastic modes of
/// <c>measure --hessian</c> and the spectral density live beside them in the curvature code.)
/// </summary>
internal static class CurvatureEntries
{
    private static string? Na(MeasureContext c, bool top) =>
        c.Options.Loss is null ? "no loss in the options (MeasureOptions.Loss; measure --loss)"
        : (top ? c.Options.HessianTopK : c.Options.HutchinsonSamples) <= 0
            ? (top ? "no count of top eigenvalues requested (MeasureOptions.HessianTopK; measure --hessian-top K)" : "no Hutchinson samples requested (MeasureOptions.HutchinsonSamples)")
        : c.HessianUnavailable;

    // NOTE: one random stream serves both estimates in this order (top eigenvalues, then the trace), so the values are
    // the same whichever of the two keys is selected first.
    private static (double[] Top, double? Trace) Estimates(MeasureContext c) => c.Memo("hessian", () =>
    {
        var o = c.Options;
        var hvp = c.Hessian(o.Loss!.Value, o.TargetScale);
        var rng = new Rng(o.Seed);
        var top = o.HessianTopK > 0 ? HessianSpectrum.TopEigenvalues(hvp, Math.Min(o.HessianTopK, hvp.Dimension), rng, tolerance: o.PowerTolerance) : [];
        double? trace = o.HutchinsonSamples > 0 ? HessianSpectrum.HutchinsonTrace(hvp, o.HutchinsonSamples, rng) : null;
        return (top, trace);
    });

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("hessian.top.{j}", "lambda_j(H)", "j-th largest eigenvalue of the loss Hessian by power iteration with deflation on Hessian-vector products", "5", N.Loss | N.Dense | N.OptIn, C.Hessian,
            c => Na(c, top: true), (c, s) =>
            {
                var top = Estimates(c).Top;
                for (int j = 0; j < top.Length; j++) s.Set($"hessian.top.{j}", top[j]);
            }, "hessian.*");
        yield return Of("hessian.trace", "tr H", "Hutchinson's estimate (1/S) sum_s v_s^T H v_s over Rademacher vectors v_s", "5", N.Loss | N.Dense | N.OptIn, C.Hessian,
            c => Na(c, top: false), (c, s) => s.Set("hessian.trace", Estimates(c).Trace!.Value), "hessian.*");
    }
}
