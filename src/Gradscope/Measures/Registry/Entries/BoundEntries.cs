namespace Gradscope.Measures.Registry.Entries;

using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>Bounds and capacity measures of THEORY.md section 5 (each a number next to the measured test error).</summary>
internal static class BoundEntries
{
    // What every margin bound needs: defined margins, a homogeneous net, a positive bound margin gamma.
    private static string? MarginBound(MeasureContext c) =>
        !c.SampleOutputs.Defined ? SampleOutputs.NanMargins
        : c.NotHomogeneous
        ?? (c.BoundGamma > 0 ? null : $"the bound margin gamma (the {c.Options.BoundMarginQuantile:G3} quantile of the raw margins) is {c.BoundGamma:G3}, not positive (training points misclassified)");

    private static string? Bft(MeasureContext c) => MarginBound(c) ?? (c.Sample.N < 2 ? "needs n >= 2" : c.Layers.AnyZero ? "a layer is zero" : null);

    private static string? Conv(MeasureContext c) => MarginBound(c) ?? (c.HasConv2d ? null : "the net has no conv layers (the bound compares conv kernel norms with their dense-equivalent operators)");

    private static double Violation(MeasureContext c) => c.SampleOutputs.Raw.Count(m => m < c.BoundGamma) / (double)c.Sample.N;
    private static int Width(MeasureContext c) => c.Operators.Max(op => Math.Max(op.Rows, op.Cols));

    private static ConvBoundResult? ConvBound(MeasureContext c, MeasureSink s)
    {
        var r = c.Memo<(ConvBoundResult? R, string? Why)>("conv_bound", () =>
        {
            try { return (c.ConvBound(Margins.MaxInputNorm(c.Sample), c.Sample.N, c.BoundGamma), null); }
            catch (NotSupportedException e) { return (null, e.Message); }
        });
        if (r.Why is not null) s.Omit("bound.conv_*", r.Why);
        return r.R;
    }

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("bound.vc", "sqrt(p L ln p / n)", "VC-dimension term with p parameters, L weight layers, n training samples", "5", N.None, C.Free,
            Always, (c, s) => s.Set("bound.vc", VcBound.Of(c.ParameterCount, c.Weights.Count, c.Train.N)));
        yield return Of("bound.bft", "BFT Thm 1.1", "Bartlett-Foster-Telgarsky 2017 Theorem 1.1 with its explicit constants, margin gamma = bound quantile of the raw margins", "5", N.Homogeneous, C.Forward,
            Bft, (c, s) => s.Set("bound.bft", BftBound.Theorem11(Violation(c), c.Layers.Spec, c.Layers.Norm21, c.InputFrobenius, c.BoundGamma, c.Sample.N, Width(c), c.Options.Delta)));
        yield return Of("bound.bft_fixed_norms", "BFT (fixed budgets)", "the BFT bound in its fixed-norm-budget form with R = spectral_complexity", "5", N.Homogeneous, C.Forward,
            Bft, (c, s) => s.Set("bound.bft_fixed_norms", BftBound.FixedNorms(Violation(c), c.Layers.Complexity, c.InputFrobenius, c.BoundGamma, c.Sample.N, Width(c), c.Options.Delta)));
        yield return Of("bound.frobenius_product", "B (sqrt(2 L ln 2) + 1) rho / (sqrt(n) gamma)", "Golowich-Rakhlin-Shamir 2018 Frobenius-product Rademacher bound over the margin, B = max_i ||x_i||", "5", N.Homogeneous, C.Forward,
            MarginBound, (c, s) => s.Set("bound.frobenius_product", FrobeniusProductBound.Of(Margins.MaxInputNorm(c.Sample), c.Weights.Count, c.Rho, c.Sample.N, c.BoundGamma)));
        yield return Of("bound.conv_kernel_norm", "GRS(||w_k||_F)", "the Frobenius-product bound with conv kernel norms ||w_k||_F (paper 4)", "5", N.Homogeneous | N.Conv, C.Forward,
            Conv, (c, s) => { if (ConvBound(c, s) is { } r) s.Set("bound.conv_kernel_norm", r.KernelNorm); }, "bound.conv_*");
        yield return Of("bound.conv_dense_equivalent", "GRS(||T_k||_F)", "the same bound with the dense-equivalent (Toeplitz) norms", "5", N.Homogeneous | N.Conv, C.Forward,
            Conv, (c, s) => { if (ConvBound(c, s) is { } r) s.Set("bound.conv_dense_equivalent", r.DenseEquivalent); }, "bound.conv_*");
        yield return Of("bound.conv_ratio", "dense / kernel", "bound.conv_dense_equivalent / bound.conv_kernel_norm", "5", N.Homogeneous | N.Conv, C.Forward,
            Conv, (c, s) => { if (ConvBound(c, s) is { } r) s.Set("bound.conv_ratio", r.Ratio); }, "bound.conv_*");
    }
}
