using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Training;

namespace Gradscope.Cli;

/// <summary>The margin distributions of <c>gradscope measure --margins</c> (arrays, not registry scalars: every measure lives in <see cref="Gradscope.Measures.Registry.MeasureRegistry"/>).</summary>
internal static class MeasureExtras
{
    /// <summary>
    /// The sorted raw margins m_i of every training sample, and, where the suite reported rho or R (homogeneous nets),
    /// m_i / rho and m_i / (R ||X||_F / n): the empirical margin distributions of THEORY.md section 3.
    /// </summary>
    public static Dictionary<string, double[]> MarginDistributions(Sequential<double> net, Dataset train, IReadOnlyDictionary<string, double> values)
    {
        var raw = Margins.Raw(ModelEval.Outputs(net, train), train.Y);
        var result = new Dictionary<string, double[]> { ["raw"] = new MarginDistribution(raw).Sorted.ToArray() };
        if (values.TryGetValue("rho", out double rho) && rho > 0)
            result["rho"] = new MarginDistribution(Margins.RhoNormalized(raw, rho)).Sorted.ToArray();
        double xf = Margins.InputFrobenius(train);
        if (values.TryGetValue("spectral_complexity", out double r) && r > 0 && xf > 0)
            result["spectral"] = new MarginDistribution(Margins.SpectrallyNormalized(raw, r, xf)).Sorted.ToArray();
        return result;
    }
}
