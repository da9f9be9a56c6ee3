using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Data;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>Every applicable measure as a flat dictionary, and the measures left out with the reason.</summary>
public sealed record MeasureReport(IReadOnlyDictionary<string, double> Values, IReadOnlyList<OmittedMeasure> Omitted);

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
    private readonly Dictionary<string, double[]> _warm = new();
    // Reused between calls (probes during training): weight copies, evaluator, subsample, feature buffers.
    private IReadOnlyList<WeightMatrix>? _weights;
    private object? _evaluator;
    private Dataset? _train, _sample;
    private double[]? _features, _outputs;
    private IReadOnlyList<LayerOperator>? _ops;
    private object? _opsModel;

    /// <summary>The options in use.</summary>
    public MeasureOptions Options { get; } = options ?? new MeasureOptions();

    /// <summary>Computes the report for <paramref name="model"/> on <paramref name="train"/> (and <paramref name="test"/>).</summary>
    public MeasureReport Compute<T>(Sequential<T> model, Dataset train, Dataset? test = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = Options;
        var v = new Dictionary<string, double>();
        var omitted = new List<OmittedMeasure>();
        void Omit(string key, string reason) => omitted.Add(new OmittedMeasure(key, reason));
        bool homogeneous = model.IsHomogeneous;
        const string notHomogeneous = "the net has biases or batch norm (not homogeneous)";

        var ws = WeightMatrix.Of(model, _weights);
        _weights = ws;
        var ops = Operators(model, ws);
        if (_evaluator is not ModelEvaluator<T> ev || !ReferenceEquals(ev.Model, model)) _evaluator = ev = new ModelEvaluator<T>(model);
        int L = ws.Count;
        v["n_params"] = model.ParameterCount;
        v["depth"] = L;

        // Per-layer norms and ranks of the operator T_k each weight layer applies to its flattened input (THEORY.md
        // section 1: a conv layer's matrix is its dense-equivalent Toeplitz operator): the default. For conv and locally
        // connected layers the kernel side (the weight reshaped to (shape[0], rest)) is reported beside it as layer.k.kernel_*.
        var fro = new double[L]; var spec = new double[L]; var norms21 = new double[L];
        var kernelFro = new double[L]; var kernelSpec = new double[L]; var kernel21 = new double[L];
        var tops = new TopSingular[L];
        bool anyOperator = false;
        for (int k = 0; k < L; k++)
        {
            var w = ws[k];
            var op = ops[k];
            string kernelKey = op.IsKernelMatrix ? $"layer.{k}." : $"layer.{k}.kernel_";
            kernelFro[k] = FrobeniusNorm.Of(w);
            kernel21[k] = FrobeniusNorm.RowSum21(w);
            _warm.TryGetValue(w.Name, out var start);
            var top = SpectralNorm.PowerIteration(w, o.PowerTolerance, start: start);
            _warm[w.Name] = top.Right;
            kernelSpec[k] = top.Value;
            if (o.FullSvd)
            {
                if (Spectrum(w, kernelKey, v, o, out string? failed) is double s0) kernelSpec[k] = s0;
                else { Omit(kernelKey + "effective_rank", failed!); Omit(kernelKey + "numerical_rank", failed!); }
            }
            if (op.IsKernelMatrix)
            {
                fro[k] = kernelFro[k]; spec[k] = kernelSpec[k]; norms21[k] = kernel21[k]; tops[k] = top;
            }
            else
            {
                anyOperator = true;
                v[$"layer.{k}.kernel_frobenius"] = kernelFro[k];
                v[$"layer.{k}.kernel_spectral"] = kernelSpec[k];
                if (kernelSpec[k] > 0) v[$"layer.{k}.kernel_stable_rank"] = kernelFro[k] * kernelFro[k] / (kernelSpec[k] * kernelSpec[k]);
                fro[k] = op.Frobenius();
                norms21[k] = op.RowSum21();
                string warmKey = "operator:" + w.Name;
                _warm.TryGetValue(warmKey, out var opStart);
                tops[k] = OperatorNorm.Top(op, o.OperatorTolerance, start: opStart);
                _warm[warmKey] = tops[k].Right;
                spec[k] = tops[k].Value;
                if (o.FullSvd && op.SpectrumAffordable)
                {
                    if (Spectrum(op.ToMatrix(), $"layer.{k}.", v, o, out string? failed) is null)
                    { Omit($"layer.{k}.effective_rank", failed!); Omit($"layer.{k}.numerical_rank", failed!); }
                }
                else if (o.FullSvd)
                {
                    string why = $"the {op.Kind} operator is {op.Rows} x {op.Cols}: its explicit spectrum exceeds {LayerOperator.MaxSpectrumEntries} entries or {LayerOperator.MaxSpectrumWork:G2} multiply-adds (stable rank needs only its norms)";
                    Omit($"layer.{k}.effective_rank", why); Omit($"layer.{k}.numerical_rank", why);
                }
            }
            v[$"layer.{k}.frobenius"] = fro[k];
            v[$"layer.{k}.spectral"] = spec[k];
            v[$"layer.{k}.norm21"] = norms21[k];
            if (!op.IsKernelMatrix) v[$"layer.{k}.kernel_norm21"] = kernel21[k];
            if (spec[k] > 0) v[$"layer.{k}.stable_rank"] = fro[k] * fro[k] / (spec[k] * spec[k]);
            else Omit($"layer.{k}.stable_rank", spec[k] == 0 ? "the layer is zero" : "the spectral norm is not finite");
        }
        if (!o.FullSvd) { Omit("layer.*.effective_rank", "needs the full spectrum (MeasureOptions.FullSvd)"); Omit("layer.*.numerical_rank", "needs the full spectrum (MeasureOptions.FullSvd)"); }
        for (int k = 0; k + 1 < L; k++)
        {
            // NOTE: balance uses the parameter (kernel) norms: gradient flow conserves ||theta_{k+1}||^2 - ||theta_k||^2 in
            // the parameters, and a conv operator's ||T||_F^2 weights each tap by its number of valid positions.
            v[$"layer.{k}.balance"] = kernelFro[k + 1] * kernelFro[k + 1] - kernelFro[k] * kernelFro[k];
            if (ops[k].IsKernelMatrix && ops[k + 1].IsKernelMatrix && ws[k + 1].Cols == ws[k].Rows)
            {
                var u = SpectralNorm.PowerIteration(ws[k], o.PowerTolerance, start: _warm[ws[k].Name]).Left;
                var r = SpectralNorm.PowerIteration(ws[k + 1], o.PowerTolerance, start: _warm[ws[k + 1].Name]).Right;
                v[$"layer.{k}.alignment"] = Math.Abs(System.Numerics.Tensors.TensorPrimitives.Dot<double>(u, r));
            }
            else if (ops[k + 1].Cols == ops[k].Rows)
                v[$"layer.{k}.alignment"] = Math.Abs(System.Numerics.Tensors.TensorPrimitives.Dot<double>(tops[k].Left, tops[k + 1].Right));
            else Omit($"layer.{k}.alignment", $"the operator of {ws[k + 1].Name} has {ops[k + 1].Cols} columns but that of {ws[k].Name} has {ops[k].Rows} rows (pooling or reshaping between them)");
        }

        double rho = fro.Aggregate(1.0, (a, b) => a * b);
        // prod_k ||T_k||_2: the Lipschitz constant bound of a 1-Lipschitz-activation net (THEORY.md section 5, BFT's R without the (2,1) factor).
        v["spectral_product"] = spec.Aggregate(1.0, (a, b) => a * b);
        bool anyZero = spec.Any(s => s == 0);
        double complexity = anyZero ? 0 : SpectralComplexity.From(spec, norms21);
        if (homogeneous) { v["rho"] = rho; v["spectral_complexity"] = complexity; }
        else { Omit("rho", notHomogeneous); Omit("spectral_complexity", notHomogeneous); }
        const string kernelSide = "layer.*.kernel_*, rho_kernel, spectral_complexity_kernel";
        if (!anyOperator) Omit(kernelSide, "no conv or locally connected layers: every weight is its own operator (the kernel side is the same numbers)");
        else if (!homogeneous) { Omit("rho_kernel", notHomogeneous); Omit("spectral_complexity_kernel", notHomogeneous); }
        else
        {
            v["rho_kernel"] = kernelFro.Aggregate(1.0, (a, b) => a * b);
            if (kernelSpec.Any(s => s == 0)) Omit("spectral_complexity_kernel", "a kernel matrix is zero");
            else v["spectral_complexity_kernel"] = SpectralComplexity.From(kernelSpec, kernel21);
        }

        if (!homogeneous) Omit("path_norm", notHomogeneous);
        else if (model.Layers.All(l => l is Dense<T> || l.IsActivation && l is Relu<T> or Identity<T>)) v["path_norm"] = PathNorm.OfChain(ws);
        else Omit("path_norm", "implemented for dense nets with relu/identity activations only");

        // Margins on the (possibly subsampled) training set.
        if (!ReferenceEquals(train, _train)) { _train = train; _sample = Subsample(train, o.MaxSamples); }
        var sample = _sample!;
        // NC features of the last weight layer also give the outputs with one matrix product (one forward pass, not two).
        bool ncApplies = o.NeuralCollapse && model.Outputs >= 2;
        int lastLayer = model.Weights[^1].LayerIndex;
        int ncLayer = o.NeuralCollapseLayer ?? lastLayer;
        double[]? ncFeatures = null;
        double[] outputs;
        if (ncApplies && ncLayer == lastLayer && lastLayer == model.Layers.Count - 1 && model.Layers[lastLayer] is Dense<T> head)
        {
            ncFeatures = _features = ev.Features(sample, ncLayer, _features);
            outputs = DenseHead(ncFeatures, sample.N, ws[^1], head.Bias is null ? default : head.Bias.Value.Span);
        }
        else outputs = _outputs = ev.Features(sample, model.Layers.Count, _outputs);
        var raw = Margins.Raw(outputs, sample.Y);
        v["train_error"] = Error(outputs, sample.Y);
        // NOTE: outputs beyond the double range (huge weights or inputs) give NaN margins (Inf - Inf), which have no
        // order: every margin-based measure is then omitted with the reason instead of failing the whole report.
        const string nanMargins = "the network outputs are not finite (weights or inputs beyond the double range), so margins are undefined";
        bool marginsDefined = !raw.Any(double.IsNaN);
        var rawDist = marginsDefined ? new MarginDistribution(raw) : null;
        if (rawDist is not null)
        {
            v["margin.min"] = rawDist.Quantile(0);
            foreach (double q in o.MarginQuantiles) v[$"margin.q{Pct(q)}"] = rawDist.Quantile(q);
        }
        else Omit("margin.*", nanMargins);
        if (rawDist is not null) v["margin.mean"] = raw.Average();
        double xf = Margins.InputFrobenius(sample), bx = Margins.MaxInputNorm(sample);
        v["input_frobenius"] = xf;
        v["input_max_norm"] = bx;
        // The BFT normalization of the margins: m_i / (R ||X||_F / n) (THEORY.md section 5); reported as its scale R ||X||_F / n.
        if (homogeneous && complexity > 0) v["bft_scale"] = complexity * xf / sample.N;
        else Omit("bft_scale", !homogeneous ? notHomogeneous : "R = 0 (a layer is zero)");
        double[]? rhoMargins = homogeneous && rho > 0 && marginsDefined ? Margins.RhoNormalized(raw, rho) : null;
        if (rhoMargins is not null && !rhoMargins.Any(double.IsNaN))
        {
            v["gamma_min"] = Margins.GammaMin(raw, rho);
            v["margin_rho.mean"] = rhoMargins.Average();
            var rd = new MarginDistribution(rhoMargins);
            foreach (double q in o.MarginQuantiles) v[$"margin_rho.q{Pct(q)}"] = rd.Quantile(q);
        }
        else
        {
            string why = !homogeneous ? notHomogeneous : !marginsDefined || rhoMargins is not null ? nanMargins : "rho = 0";
            Omit("gamma_min", why); Omit("margin_rho.*", why);
        }
        double[]? specMargins = homogeneous && complexity > 0 && xf > 0 && marginsDefined ? Margins.SpectrallyNormalized(raw, complexity, xf) : null;
        if (specMargins is not null && !specMargins.Any(double.IsNaN))
        {
            v["margin_spectral.mean"] = specMargins.Average();
            var sd = new MarginDistribution(specMargins);
            foreach (double q in o.MarginQuantiles) v[$"margin_spectral.q{Pct(q)}"] = sd.Quantile(q);
        }
        else Omit("margin_spectral.*", !homogeneous ? notHomogeneous : !marginsDefined || specMargins is not null ? nanMargins : "R or ||X||_F is 0");

        // Bounds.
        int n = sample.N;
        v["bound.vc"] = VcBound.Of(model.ParameterCount, L, train.N);
        double gamma = rawDist?.Quantile(o.BoundMarginQuantile) ?? double.NaN;
        if (rawDist is null)
        {
            Omit("bound.bft", nanMargins); Omit("bound.frobenius_product", nanMargins); Omit("bound.conv_*", nanMargins);
        }
        else if (!homogeneous)
        {
            Omit("bound.bft", notHomogeneous); Omit("bound.frobenius_product", notHomogeneous); Omit("bound.conv_*", notHomogeneous);
        }
        else if (!(gamma > 0))
        {
            const string why = "the bound margin gamma is not positive (training points misclassified)";
            Omit("bound.bft", why); Omit("bound.frobenius_product", why); Omit("bound.conv_*", why);
        }
        else
        {
            double viol = raw.Count(m => m < gamma) / (double)n;
            int width = ops.Max(op => Math.Max(op.Rows, op.Cols));
            if (n >= 2 && !anyZero)
            {
                v["bound.bft"] = BftBound.Theorem11(viol, spec, norms21, xf, gamma, n, width, o.Delta);
                v["bound.bft_fixed_norms"] = BftBound.FixedNorms(viol, complexity, xf, gamma, n, width, o.Delta);
            }
            else Omit("bound.bft", n < 2 ? "needs n >= 2" : "a layer is zero");
            v["bound.frobenius_product"] = FrobeniusProductBound.Of(bx, L, rho, n, gamma);
            if (model.Layers.Any(l => l is Conv2d<T>))
            {
                try
                {
                    var cb = ConvKernelNormBound.Of(model, bx, n, gamma);
                    v["bound.conv_kernel_norm"] = cb.KernelNorm;
                    v["bound.conv_dense_equivalent"] = cb.DenseEquivalent;
                    v["bound.conv_ratio"] = cb.Ratio;
                }
                catch (NotSupportedException e) { Omit("bound.conv_*", e.Message); }
            }
            else Omit("bound.conv_*", "the net has no conv layers");
        }

        // Neural collapse.
        if (!o.NeuralCollapse) Omit("nc*", "disabled in the options");
        else if (model.Outputs < 2) Omit("nc*", "binary net (1 output): neural collapse needs C >= 2 class means and a C-row classifier");
        else
        {
            int layer = ncLayer;
            var h = ncFeatures ?? ev.Features(sample, layer);
            var pred = ModelEval.Predictions(outputs, n);
            NeuralCollapseResult? nc = null;
            // An empty class (a label no measured sample carries) leaves its mean undefined: omitted, not faked.
            try { nc = NeuralCollapse.Compute(h, sample.Y, sample.Classes, layer == lastLayer ? ws[^1].Data : null, pred); }
            catch (ArgumentException e) { Omit("nc*", e.Message); }
            if (nc is not null)
            {
                v["nc1"] = nc.NC1; v["nc2_equinorm"] = nc.NC2Equinorm; v["nc2_equiangularity"] = nc.NC2Equiangularity;
                if (nc.NC3 is double nc3) v["nc3"] = nc3; else Omit("nc3", $"features of layer {layer} do not feed the last weight layer");
                v["nc4"] = nc.NC4!.Value;
            }
        }

        // Test error.
        if (test is not null)
        {
            var to = ModelEval.Outputs(model, test);
            v["test_error"] = Error(to, test.Y);
            v["generalization_gap"] = v["test_error"] - v["train_error"];
        }
        else { Omit("test_error", "no test set given"); Omit("generalization_gap", "no test set given"); }

        // Hessian.
        if (o.Loss is null || (o.HessianTopK <= 0 && o.HutchinsonSamples <= 0)) Omit("hessian.*", "no loss or Hessian counts in the options");
        else if (DenseNet.TryCreate(model, out var reason) is null) Omit("hessian.*", reason);
        else
        {
            var hvp = HessianVectorProduct.Create(model, sample, o.Loss.Value, o.TargetScale);
            var rng = new Rng(o.Seed);
            if (o.HessianTopK > 0)
            {
                var top = HessianSpectrum.TopEigenvalues(hvp, Math.Min(o.HessianTopK, hvp.Dimension), rng, tolerance: o.PowerTolerance);
                for (int j = 0; j < top.Length; j++) v[$"hessian.top.{j}"] = top[j];
            }
            if (o.HutchinsonSamples > 0) v["hessian.trace"] = HessianSpectrum.HutchinsonTrace(hvp, o.HutchinsonSamples, rng);
        }

        // Linear-net direction and weight change.
        if (o.MaxMarginDirection is { } dir)
        {
            try { v["distance_to_max_margin"] = EndToEnd.Angle(EndToEnd.Vector(model), dir); }
            catch (ArgumentException e) { Omit("distance_to_max_margin", e.Message); }
        }
        else Omit("distance_to_max_margin", "no max-margin direction given");
        if (o.InitialParameters is { } w0)
        {
            var wt = model.Flat.Select(x => double.CreateChecked(x)).ToArray();
            v["relative_weight_change"] = EmpiricalNtk.RelativeWeightChange(w0, wt);
        }
        else Omit("relative_weight_change", "no initial parameters given");
        Omit("ntk", "an n x n matrix, not a scalar: use EmpiricalNtk / AnalyticNtk");
        return new MeasureReport(v, omitted);
    }

    // The operators of the model's weights, rebuilt only when the model or the weight storage changed.
    private IReadOnlyList<LayerOperator> Operators<T>(Sequential<T> model, IReadOnlyList<WeightMatrix> ws) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (_ops is { } cached && ReferenceEquals(_opsModel, model) && cached.Count == ws.Count && cached.Select((op, k) => ReferenceEquals(op.Kernel, ws[k])).All(b => b))
            return cached;
        _opsModel = model;
        return _ops = LayerOperator.Of(model, ws);
    }

    /// <summary>
    /// Effective and numerical rank of <paramref name="m"/> into keys <paramref name="prefix"/>effective_rank and numerical_rank,
    /// from the Gram route unless a value sits at the numerical-rank threshold (then a full SVD); returns s_1.
    /// </summary>
    // The Gram route decides the numerical rank unless a value sits at the threshold; then a full SVD does. Returns the
    // top singular value, or null with the reason when the spectrum cannot be computed.
    // NOTE: finite weights near the double range (1e308) overflow W^T W; the spectrum is then omitted, not faked.
    private static double? Spectrum(WeightMatrix m, string prefix, Dictionary<string, double> v, MeasureOptions o, out string? failed)
    {
        failed = null;
        try
        {
            var gram = GramSpectrum.Of(m);
            var s = gram.Values;
            v[prefix + "effective_rank"] = s[0] > 0 ? EffectiveRank.FromSpectrum(s) : 0;
            v[prefix + "numerical_rank"] = gram.NumericalRank(o.NumericalRankTolerance)
                ?? NumericalRank.FromSpectrum(SingularSpectrum.Of(m), o.NumericalRankTolerance);
            return s[0];
        }
        catch (ArgumentException e) { failed = e.Message; return null; }
    }

    private static string Pct(double q) => Math.Round(q * 100, 4).ToString(System.Globalization.CultureInfo.InvariantCulture).Replace('.', '_').PadLeft(2, '0');

    private static double[] DenseHead<T>(double[] h, int n, WeightMatrix w, ReadOnlySpan<T> bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var z = new double[(long)n * w.Rows];
        // z (n, C) = h (n, p) W^T (p, C) + b
        Gemm.Multiply(false, true, n, w.Rows, w.Cols, 1.0, h, w.Cols, w.Data, w.Cols, 0.0, z, w.Rows);
        if (!bias.IsEmpty)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < w.Rows; j++) z[i * w.Rows + j] += double.CreateChecked(bias[j]);
        return z;
    }

    private static double Error(double[] outputs, int[] labels)
    {
        var p = ModelEval.Predictions(outputs, labels.Length);
        int wrong = 0;
        for (int i = 0; i < p.Length; i++) if (p[i] != labels[i]) wrong++;
        return labels.Length == 0 ? 0 : (double)wrong / labels.Length;
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
