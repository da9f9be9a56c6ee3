using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Data;
using Gradscope.Nn;

/// <summary>Every applicable measure as a flat dictionary, and the measures left out with the reason.</summary>
public sealed record MeasureReport(IReadOnlyDictionary<string, double> Values, IReadOnlyList<OmittedMeasure> Omitted)
{
    /// <summary>Large arrays computed with the measures (the NTK Gram matrix and spectrum): key -&gt; (shape, row-major data).</summary>
    public IReadOnlyDictionary<string, (int[] Shape, double[] Data)> Arrays { get; init; } = new Dictionary<string, (int[] Shape, double[] Data)>();
}

/// <summary>A measure that was not computed, and why (never a faked value).</summary>
public sealed record OmittedMeasure(string Key, string Reason);

/// <summary>
/// Computes every applicable measure of THEORY.md sections 3 and 5 for a model and a training set
/// (and optionally a test set) into flat keys. Keys (k = 0-based index of the weight W_{k+1}; q = percent):
/// <list type="bullet">
/// <item>"n_params", "depth" (number of weight layers L), "train_error", "test_error", "generalization_gap" (test - train error; train error on the measured samples, see MaxSamples);</item>
/// <item>"margin.min", "margin.q{q}" raw margins; "gamma_min", "margin_rho.q{q}" rho-normalized; "margin_spectral.q{q}" spectrally normalized;</item>
/// <item>"rho", "spectral_complexity", "path_norm";</item>
/// <item>"layer.{k}.frobenius", "layer.{k}.spectral", "layer.{k}.stable_rank", and with FullSvd "layer.{k}.effective_rank", "layer.{k}.numerical_rank":
/// all of the operator T_k the layer applies to its flattened input (<see cref="LayerOperator"/>: a dense weight itself, a conv
/// or locally connected layer's dense-equivalent matrix, never formed except for the ranks of a small one), as are rho, R,
/// the normalized margins and the bounds;</item>
/// <item>for conv and locally connected layers the kernel side beside it: "layer.{k}.kernel_frobenius", "layer.{k}.kernel_spectral",
/// "layer.{k}.kernel_stable_rank", with FullSvd "layer.{k}.kernel_effective_rank", "layer.{k}.kernel_numerical_rank" of the weight
/// reshaped to (shape[0], rest), and "rho_kernel", "spectral_complexity_kernel" over those matrices;</item>
/// <item>"layer.{k}.balance" (b_k = ||W_{k+2}||_F^2 - ||W_{k+1}||_F^2 of the parameters), "layer.{k}.alignment" (of the operators);</item>
/// <item>"nc1", "nc2_equinorm", "nc2_equiangularity", "nc3", "nc4";</item>
/// <item>"bound.vc", "bound.bft" (Theorem 1.1 form), "bound.bft_fixed_norms" (fixed-budget form), "bound.frobenius_product", "bound.conv_kernel_norm", "bound.conv_dense_equivalent", "bound.conv_ratio";</item>
/// <item>"hessian.top.{j}", "hessian.trace"; "distance_to_max_margin" (radians); "relative_weight_change".</item>
/// </list>
/// Margins, neural collapse and the Hessian use the measured samples (all, or MaxSamples evenly spaced).
/// Spectral norms use power iteration warm-started from the previous call's singular vectors, so repeated
/// probes during training are cheap; measures needing homogeneity are omitted for nets with biases or batch norm.
/// </summary>
public sealed class MeasureSuite(MeasureOptions? options = null)
{
    // Reused between calls (probes during training): warm starts, weight copies, evaluator, subsample, feature buffers.
    private readonly Registry.MeasureCache _cache = new();

    /// <summary>The options in use.</summary>
    public MeasureOptions Options { get; } = options ?? new MeasureOptions();

    /// <summary>
    /// Computes the report for <paramref name="model"/> on <paramref name="train"/> (and <paramref name="test"/>): every measure of
    /// <see cref="Registry.MeasureRegistry"/>, each applicable one under its registry key, the others omitted with their reasons.
    /// </summary>
    public MeasureReport Compute<T>(Sequential<T> model, Dataset train, Dataset? test = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Registry.MeasureContext<T> context;
        using (MeasureProfile.Time("context")) context = new Registry.MeasureContext<T>(model, train, test, Options, _cache);
        return Registry.MeasureRegistry.Compute(context);
    }

    /// <summary>The measured samples: at most <paramref name="max"/> evenly spaced rows i n / m of <paramref name="d"/> (all when null or >= n).</summary>
    public static Dataset Subsample(Dataset d, int? max)
    {
        if (max is not int m || m >= d.N) return d;
        if (m < 1) throw new ArgumentException($"MeasureOptions.MaxSamples must be >= 1, got {m}.");
        var idx = new int[m];
        for (int i = 0; i < m; i++) idx[i] = (int)((long)i * d.N / m);
        return d.Subset(idx);
    }
}
