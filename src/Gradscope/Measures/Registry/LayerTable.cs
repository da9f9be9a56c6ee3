namespace Gradscope.Measures.Registry;

/// <summary>
/// Per-layer norms computed once per context: of the operator T_k each weight layer applies to its flattened input
/// (THEORY.md section 1: a conv layer's matrix is its dense-equivalent Toeplitz operator) and of the kernel (the weight
/// reshaped to (shape[0], rest)); top singular pairs warm-started from the cache; with FullSvd the effective and
/// numerical ranks (or the reason they could not be computed).
/// </summary>
public sealed class LayerTable
{
    private LayerTable(int l)
    {
        Fro = new double[l]; Spec = new double[l]; Norm21 = new double[l];
        KernelFro = new double[l]; KernelSpec = new double[l]; Kernel21 = new double[l];
        Tops = new TopSingular[l];
        KernelValues = new double[]?[l];
    }

    /// <summary>||T_k||_F.</summary>
    public double[] Fro { get; }
    /// <summary>||T_k||_2.</summary>
    public double[] Spec { get; }
    /// <summary>||T_k^T||_{2,1}.</summary>
    public double[] Norm21 { get; }
    /// <summary>||w_k||_F of the reshaped kernel.</summary>
    public double[] KernelFro { get; }
    /// <summary>||w_k||_2 of the reshaped kernel.</summary>
    public double[] KernelSpec { get; }
    /// <summary>||w_k^T||_{2,1} of the reshaped kernel.</summary>
    public double[] Kernel21 { get; }
    /// <summary>Top singular triple of each T_k.</summary>
    public TopSingular[] Tops { get; }
    /// <summary>
    /// Per layer, the singular values of the kernel matrix (the weight as <see cref="MeasureContext.Weights"/> lays it out) by the
    /// Gram route, descending, when the full spectrum was asked for and computed; else null. Shared with the spectral fits
    /// (layer.{k}.ww_alpha), which would otherwise compute the same spectrum a second time.
    /// </summary>
    public double[]?[] KernelValues { get; }
    /// <summary>Whether some layer is a conv or locally connected operator (not its own kernel matrix).</summary>
    public bool AnyOperator { get; private set; }
    /// <summary>Whether some ||T_k||_2 is zero.</summary>
    public bool AnyZero => Spec.Any(s => s == 0);
    /// <summary>rho = prod_k ||T_k||_F.</summary>
    public double Rho => Measures.Rho.Product(Fro);
    /// <summary>rho of the kernels, prod_k ||w_k||_F.</summary>
    public double KernelRho => Measures.Rho.Product(KernelFro);
    /// <summary>BFT's spectral complexity R of the operators (0 when a layer is zero).</summary>
    public double Complexity => AnyZero ? 0 : SpectralComplexity.From(Spec, Norm21);
    /// <summary>Rank values ("layer.{k}.effective_rank", "layer.{k}.kernel_numerical_rank", ...) computed with FullSvd.</summary>
    public Dictionary<string, double> Ranks { get; } = new(StringComparer.Ordinal);
    /// <summary>Rank keys that could not be computed, with the reason.</summary>
    public List<OmittedMeasure> RankOmissions { get; } = [];

    /// <summary>
    /// Computes the table for the context's weights (warm-starting power iterations from its cache); <paramref name="alongside"/>,
    /// when given, runs once meanwhile, beside the layers' eigenproblems when there are threads for it (see
    /// <see cref="GramSpectrum.OfEach"/>; it must not throw).
    /// </summary>
    public static LayerTable Compute(MeasureContext c, Action? alongside = null)
    {
        using var phase = MeasureProfile.Time("layers");
        var o = c.Options;
        var ws = c.Weights;
        var ops = c.Operators;
        var warm = c.Cache.Warm;
        var t = new LayerTable(ws.Count);
        // The kernels' spectra first, all together: with two or more threads the eigenproblems run side by side.
        (GramSpectrum? Spectrum, string? Error)[]? spectra = null;
        using (MeasureProfile.Time("layers.gram_spectra"))
        {
            if (o.FullSvd) spectra = GramSpectrum.OfEach(ws, alongside);
            else alongside?.Invoke();
        }
        for (int k = 0; k < ws.Count; k++)
        {
            var w = ws[k];
            var op = ops[k];
            string kernelKey = op.IsKernelMatrix ? $"layer.{k}." : $"layer.{k}.kernel_";
            using (MeasureProfile.Time("layers.norms"))
            {
                t.KernelFro[k] = FrobeniusNorm.Of(w);
                t.Kernel21[k] = FrobeniusNorm.RowSum21(w);
            }
            warm.TryGetValue(w.Name, out var start);
            TopSingular top;
            using (MeasureProfile.Time("layers.power_iteration")) top = SpectralNorm.PowerIteration(w, o.PowerTolerance, start: start);
            warm[w.Name] = top.Right;
            t.KernelSpec[k] = top.Value;
            if (o.FullSvd)
            {
                if (t.Spectrum(spectra![k], w, kernelKey, o, out string? failed, out t.KernelValues[k]) is double s0) t.KernelSpec[k] = s0;
                else t.OmitRanks(kernelKey, failed!);
            }
            if (op.IsKernelMatrix)
            {
                t.Fro[k] = t.KernelFro[k]; t.Spec[k] = t.KernelSpec[k]; t.Norm21[k] = t.Kernel21[k]; t.Tops[k] = top;
                continue;
            }
            t.AnyOperator = true;
            t.Fro[k] = op.Frobenius();
            t.Norm21[k] = op.RowSum21();
            string warmKey = "operator:" + w.Name;
            warm.TryGetValue(warmKey, out var opStart);
            t.Tops[k] = OperatorNorm.Top(op, o.OperatorTolerance, start: opStart);
            warm[warmKey] = t.Tops[k].Right;
            t.Spec[k] = t.Tops[k].Value;
            if (o.FullSvd && op.SpectrumAffordable)
            {
                var matrix = op.ToMatrix();
                if (t.Spectrum(GramSpectrum.OfEach([matrix])[0], matrix, $"layer.{k}.", o, out string? failed, out _) is null) t.OmitRanks($"layer.{k}.", failed!);
            }
            else if (o.FullSvd)
                t.OmitRanks($"layer.{k}.", $"the {op.Kind} operator is {op.Rows} x {op.Cols}: its explicit spectrum exceeds {LayerOperator.MaxSpectrumEntries} entries or {LayerOperator.MaxSpectrumWork:G2} multiply-adds (stable rank needs only its norms)");
        }
        return t;
    }

    private static double FullSvdRank(WeightMatrix m, MeasureOptions o)
    {
        using var phase = MeasureProfile.Time("layers.svd_fallback");
        return NumericalRank.FromSpectrum(SingularSpectrum.Of(m), o.NumericalRankTolerance);
    }

    private void OmitRanks(string prefix, string why)
    {
        RankOmissions.Add(new OmittedMeasure(prefix + "effective_rank", why));
        RankOmissions.Add(new OmittedMeasure(prefix + "numerical_rank", why));
    }

    // The Gram route decides the numerical rank unless a value sits at the threshold; then a full SVD does. Returns the
    // top singular value and the singular values, or null with the reason when the spectrum could not be computed.
    // NOTE: finite weights near the double range (1e308) overflow W^T W; the spectrum is then omitted, not faked.
    private double? Spectrum((GramSpectrum? Spectrum, string? Error) computed, WeightMatrix m, string prefix, MeasureOptions o, out string? failed, out double[]? values)
    {
        failed = computed.Error;
        values = null;
        if (computed.Spectrum is not { } gram) return null;
        try
        {
            var s = gram.Values;
            values = s;
            Ranks[prefix + "effective_rank"] = s[0] > 0 ? EffectiveRank.FromSpectrum(s) : 0;
            Ranks[prefix + "numerical_rank"] = gram.NumericalRank(o.NumericalRankTolerance) ?? FullSvdRank(m, o);
            return s[0];
        }
        catch (ArgumentException e) { failed = e.Message; return null; }
    }
}

/// <summary>Outputs and raw margins of the measured training samples, computed once per context.</summary>
public sealed class SampleOutputs
{
    /// <summary>NOTE: outputs beyond the double range give NaN margins (Inf - Inf), which have no order: every
    /// margin-based measure is then omitted with this reason instead of failing the whole report.</summary>
    public const string NanMargins = "the network outputs are not finite (weights or inputs beyond the double range), so margins are undefined";

    private SampleOutputs(double[] outputs, double[]? features, double[] raw)
    {
        Outputs = outputs; Features = features; Raw = raw;
        Defined = !raw.Any(double.IsNaN);
        Distribution = Defined ? new MarginDistribution(raw) : null;
    }

    /// <summary>Outputs (n, C).</summary>
    public double[] Outputs { get; }
    /// <summary>Penultimate features when the outputs were computed through them, else null.</summary>
    public double[]? Features { get; }
    /// <summary>Raw margins m_i (THEORY.md section 3), in sample order.</summary>
    public double[] Raw { get; }
    /// <summary>Whether every margin is a number.</summary>
    public bool Defined { get; }
    /// <summary>The raw margin distribution, or null when margins are undefined.</summary>
    public MarginDistribution? Distribution { get; }

    internal static SampleOutputs Compute(MeasureContext c)
    {
        using var phase = MeasureProfile.Time("sample_outputs");
        var (outputs, features) = c.ForwardSample();
        return new SampleOutputs(outputs, features, Margins.Raw(outputs, c.Sample.Y));
    }

    /// <summary>Classification error of <paramref name="outputs"/> against <paramref name="labels"/>.</summary>
    public static double Error(double[] outputs, int[] labels)
    {
        var p = ModelEval.Predictions(outputs, labels.Length);
        int wrong = 0;
        for (int i = 0; i < p.Length; i++) if (p[i] != labels[i]) wrong++;
        return labels.Length == 0 ? 0 : (double)wrong / labels.Length;
    }
}
