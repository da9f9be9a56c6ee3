namespace Gradscope.Measures.Registry.Entries;

using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// Per-layer quantities of THEORY.md section 5, of the operator T_k each weight layer applies to its flattened input (a
/// dense weight itself; a conv or locally connected layer's dense-equivalent matrix, never formed except for the ranks of
/// a small one), and for conv and locally connected layers the kernel side beside it (the weight reshaped to (shape[0], rest)).
/// </summary>
internal static class LayerEntries
{
    private const string KernelGroup = "layer.*.kernel_*";

    private static string? NeedsSpectrum(MeasureContext c) => c.Options.FullSvd ? null : "needs the full spectrum (MeasureOptions.FullSvd; the CLI computes it unless --no-svd)";

    private static string? NeedsOperator(MeasureContext c) => c.Layers.AnyOperator ? null
        : "no conv or locally connected layers: every weight is its own operator (the kernel side is the same numbers)";

    // Writes the FullSvd ranks of one kind ("effective_rank" or "kernel_effective_rank") and their per-layer omissions.
    private static void Ranks(MeasureContext c, MeasureSink s, string suffix)
    {
        for (int k = 0; k < c.Weights.Count; k++)
        {
            string key = $"layer.{k}.{suffix}";
            if (c.Layers.Ranks.TryGetValue(key, out double v)) s.Set(key, v);
        }
        foreach (var o in c.Layers.RankOmissions)
            if (o.Key.EndsWith("." + suffix, StringComparison.Ordinal)) s.Omit(o.Key, o.Reason);
    }

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("layer.{k}.frobenius", "||T_k||_F", "Frobenius norm of layer k's operator (conv: sum over taps of ||w_tap||^2 x valid positions, square-rooted)", "5", N.None, C.Weights,
            Always, (c, s) => PerLayer(c, s, "layer.{k}.frobenius", k => c.Layers.Fro[k]));
        yield return Of("layer.{k}.spectral", "||T_k||_2", "largest singular value of layer k's operator (power iteration / Lanczos on T^T T; with the full spectrum its top value)", "5", N.None, C.Weights,
            Always, (c, s) => PerLayer(c, s, "layer.{k}.spectral", k => c.Layers.Spec[k]));
        yield return Of("layer.{k}.norm21", "||T_k^T||_{2,1}", "sum over rows r of T_k of ||T_k[r,:]||_2 (BFT's (2,1) norm)", "3", N.None, C.Weights,
            Always, (c, s) => PerLayer(c, s, "layer.{k}.norm21", k => c.Layers.Norm21[k]));
        yield return Of("layer.{k}.stable_rank", "srank(T_k)", "||T_k||_F^2 / ||T_k||_2^2", "5", N.None, C.Weights,
            Always, (c, s) =>
            {
                var t = c.Layers;
                for (int k = 0; k < t.Spec.Length; k++)
                {
                    if (t.Spec[k] > 0) s.Set($"layer.{k}.stable_rank", t.Fro[k] * t.Fro[k] / (t.Spec[k] * t.Spec[k]));
                    else s.Omit($"layer.{k}.stable_rank", t.Spec[k] == 0 ? "the layer is zero" : "the spectral norm is not finite");
                }
            });
        yield return Of("layer.{k}.effective_rank", "erank(T_k)", "exp(H(p)), p_i = s_i / sum_j s_j over the singular values of T_k", "5", N.Spectrum, C.Spectrum,
            NeedsSpectrum, (c, s) => Ranks(c, s, "effective_rank"));
        yield return Of("layer.{k}.numerical_rank", "nrank(T_k)", "#{s_i > tol s_1} (tol = MeasureOptions.NumericalRankTolerance)", "5", N.Spectrum, C.Spectrum,
            NeedsSpectrum, (c, s) => Ranks(c, s, "numerical_rank"));

        yield return Of("layer.{k}.kernel_frobenius", "||w_k||_F", "Frobenius norm of the conv/locally connected kernel reshaped to (shape[0], rest)", "5", N.Conv, C.Weights,
            NeedsOperator, (c, s) => PerLayer(c, s, "layer.{k}.kernel_frobenius", k => c.Operators[k].IsKernelMatrix ? null : c.Layers.KernelFro[k]), KernelGroup);
        yield return Of("layer.{k}.kernel_spectral", "||w_k||_2", "largest singular value of the reshaped kernel", "5", N.Conv, C.Weights,
            NeedsOperator, (c, s) => PerLayer(c, s, "layer.{k}.kernel_spectral", k => c.Operators[k].IsKernelMatrix ? null : c.Layers.KernelSpec[k]), KernelGroup);
        yield return Of("layer.{k}.kernel_norm21", "||w_k^T||_{2,1}", "sum over rows of the reshaped kernel of their 2-norms", "3", N.Conv, C.Weights,
            NeedsOperator, (c, s) => PerLayer(c, s, "layer.{k}.kernel_norm21", k => c.Operators[k].IsKernelMatrix ? null : c.Layers.Kernel21[k]), KernelGroup);
        yield return Of("layer.{k}.kernel_stable_rank", "srank(w_k)", "||w_k||_F^2 / ||w_k||_2^2 of the reshaped kernel", "5", N.Conv, C.Weights,
            NeedsOperator, (c, s) => PerLayer(c, s, "layer.{k}.kernel_stable_rank", k => c.Operators[k].IsKernelMatrix || !(c.Layers.KernelSpec[k] > 0) ? null
                : c.Layers.KernelFro[k] * c.Layers.KernelFro[k] / (c.Layers.KernelSpec[k] * c.Layers.KernelSpec[k])), KernelGroup);
        yield return Of("layer.{k}.kernel_effective_rank", "erank(w_k)", "effective rank of the reshaped kernel", "5", N.Conv | N.Spectrum, C.Spectrum,
            c => NeedsOperator(c) ?? NeedsSpectrum(c), (c, s) => Ranks(c, s, "kernel_effective_rank"), KernelGroup);
        yield return Of("layer.{k}.kernel_numerical_rank", "nrank(w_k)", "numerical rank of the reshaped kernel", "5", N.Conv | N.Spectrum, C.Spectrum,
            c => NeedsOperator(c) ?? NeedsSpectrum(c), (c, s) => Ranks(c, s, "kernel_numerical_rank"), KernelGroup);

        yield return Of("layer.{k}.balance", "b_k", "||W_{k+2}||_F^2 - ||W_{k+1}||_F^2 of the parameters (k = 0..L-2)", "5", N.None, C.Weights,
            c => c.Weights.Count >= 2 ? null : "one weight layer: balance compares adjacent layers",
            // NOTE: balance uses the parameter (kernel) norms: gradient flow conserves ||theta_{k+1}||^2 - ||theta_k||^2 in
            // the parameters, and a conv operator's ||T||_F^2 weights each tap by its number of valid positions.
            (c, s) => { var b = LayerBalance.Scalars(c.Weights); PerLayer(c, s, "layer.{k}.balance", k => k < b.Length ? b[k] : null); });
        yield return Of("layer.{k}.alignment", "a_k", "|<v_1(T_{k+1}), u_1(T_k)>|: top right singular vector of the next layer against the top left one of this layer (k = 0..L-2)", "5", N.None, C.Weights,
            c => c.Weights.Count >= 2 ? null : "one weight layer: alignment compares adjacent layers", Alignment);
    }

    private static void Alignment(MeasureContext c, MeasureSink s)
    {
        var ws = c.Weights; var ops = c.Operators; var warm = c.Cache.Warm; var t = c.Layers;
        double tol = c.Options.PowerTolerance;
        for (int k = 0; k + 1 < ws.Count; k++)
        {
            if (ops[k].IsKernelMatrix && ops[k + 1].IsKernelMatrix && ws[k + 1].Cols == ws[k].Rows)
            {
                s.Set($"layer.{k}.alignment", Measures.Alignment.Of(ws[k], ws[k + 1], tol, warm[ws[k].Name], warm[ws[k + 1].Name]));
            }
            else if (ops[k + 1].Cols == ops[k].Rows)
                s.Set($"layer.{k}.alignment", Math.Abs(System.Numerics.Tensors.TensorPrimitives.Dot<double>(t.Tops[k].Left, t.Tops[k + 1].Right)));
            else s.Omit($"layer.{k}.alignment", $"the operator of {ws[k + 1].Name} has {ops[k + 1].Cols} columns but that of {ws[k].Name} has {ops[k].Rows} rows (pooling or reshaping between them)");
        }
    }
}
