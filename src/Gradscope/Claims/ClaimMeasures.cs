namespace Gradscope.Claims;

using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Gradscope.Nn;

/// <summary>
/// How a claim reads the quantities of the registry (issue 15: no measure is computed outside it): a
/// <see cref="MeasureContext{T}"/> over a trained net, whose registry keys (<see cref="Values"/>) and shared intermediates
/// (<see cref="MeasureContext.Rho"/>, <see cref="MeasureContext.Layers"/>, <see cref="MeasureContext.SampleOutputs"/>,
/// <see cref="MeasureContext.SpectralMargins"/>, <see cref="MeasureContext.BoundGamma"/>) the rule takes, so a claim's rho,
/// R, margins and bounds are the numbers <c>gradscope measure</c> prints for the same weights. What a claim defines on top
/// of them (ratios, worst cases over runs, fits, rank correlations) stays in the rule.
/// </summary>
public static class ClaimMeasures
{
    /// <summary>
    /// The options claims measure with: every training sample, spectral norms by power iteration to
    /// <see cref="SpectralNorm.DefaultTolerance"/> (no full spectrum unless a rule asks for ranks), outputs and margins from
    /// one plain forward pass (no neural collapse route).
    /// </summary>
    public static MeasureOptions Options { get; } = new() { PowerTolerance = SpectralNorm.DefaultTolerance, NeuralCollapse = false };

    /// <summary>A context over <paramref name="model"/> on <paramref name="train"/> with <paramref name="options"/> (default <see cref="Options"/>).</summary>
    public static MeasureContext<double> Context(Sequential<double> model, Dataset train, MeasureOptions? options = null) =>
        new(model, train, null, options ?? Options);

    /// <summary>
    /// The registry's values of <paramref name="keys"/> (concrete keys, e.g. "rho", "bound.bft", "layer.1.effective_rank") on
    /// <paramref name="context"/>; a key the registry omits (it does not apply, e.g. a margin bound with a non-positive margin)
    /// reads NaN.
    /// </summary>
    /// <exception cref="ArgumentException">A key that names no registry measure.</exception>
    public static IReadOnlyDictionary<string, double> Values(MeasureContext context, params string[] keys)
    {
        var wanted = keys.ToHashSet(StringComparer.Ordinal);
        var report = MeasureRegistry.Compute(context, MeasureRegistry.Select(keys), wanted.Contains);
        return keys.ToDictionary(k => k, k => report.Values.TryGetValue(k, out double v) ? v : double.NaN, StringComparer.Ordinal);
    }

    /// <summary>The registry's per-layer values "layer.{k}.<paramref name="suffix"/>" for every weight layer k, in layer order (NaN where omitted).</summary>
    public static double[] PerLayer(MeasureContext context, string suffix)
    {
        var keys = Enumerable.Range(0, context.Weights.Count).Select(k => $"layer.{k.ToString(System.Globalization.CultureInfo.InvariantCulture)}.{suffix}").ToArray();
        var v = Values(context, keys);
        return keys.Select(k => v[k]).ToArray();
    }
}
