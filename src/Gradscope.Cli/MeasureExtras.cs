using Gradscope.Measures;
using Gradscope.Measures.Registry;

namespace Gradscope.Cli;

/// <summary>The margin distributions of <c>gradscope measure --margins</c> (arrays, not registry scalars: every measure lives in <see cref="MeasureRegistry"/>).</summary>
internal static class MeasureExtras
{
    /// <summary>
    /// The sorted raw margins m_i of the measured training samples and, where the registry defines them (homogeneous nets,
    /// rho and R positive), m_i / rho and m_i / (R ||X||_F / n): the empirical margin distributions of THEORY.md section 3,
    /// taken from the registry's context (the margins its margin.*, margin_rho.* and margin_spectral.* keys summarize).
    /// </summary>
    public static Dictionary<string, double[]> MarginDistributions(MeasureContext context)
    {
        var result = new Dictionary<string, double[]> { ["raw"] = new MarginDistribution(context.SampleOutputs.Raw).Sorted.ToArray() };
        if (context.RhoMargins is { } rho) result["rho"] = new MarginDistribution(rho).Sorted.ToArray();
        if (context.SpectralMargins is { } spectral) result["spectral"] = new MarginDistribution(spectral).Sorted.ToArray();
        return result;
    }
}
