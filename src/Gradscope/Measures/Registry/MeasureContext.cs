using System.Numerics;

namespace Gradscope.Measures.Registry;

using Gradscope.Data;
using Gradscope.Nn;

/// <summary>
/// What a measure sees: the network (through the typed members below), the training split and the measured samples
/// (all, or <see cref="MeasureOptions.MaxSamples"/> evenly spaced), an optional test split, the weights at
/// initialization and the options; and lazily computed intermediates shared by every measure (per-layer norms and
/// spectra, outputs and margins of the measured samples), so a selection computes each of them once.
/// </summary>
public abstract class MeasureContext
{
    /// <summary>Creates a context.</summary>
    protected MeasureContext(Dataset train, Dataset? test, MeasureOptions options, MeasureCache cache)
    {
        Train = train; Test = test; Options = options; Cache = cache;
    }

    /// <summary>The training split.</summary>
    public Dataset Train { get; }
    /// <summary>The test split, or null.</summary>
    public Dataset? Test { get; }
    /// <summary>The options.</summary>
    public MeasureOptions Options { get; }
    /// <summary>State kept between calls on the same model (warm starts, buffers).</summary>
    public MeasureCache Cache { get; }

    /// <summary>Number of parameters p.</summary>
    public abstract int ParameterCount { get; }
    /// <summary>Number of outputs C (1: binary).</summary>
    public abstract int Outputs { get; }
    /// <summary>Whether the net is homogeneous (no biases, no batch norm).</summary>
    public abstract bool IsHomogeneous { get; }
    /// <summary>The specific reason the net is not homogeneous (which layers have biases or are batch norm), or null.</summary>
    public abstract string? NotHomogeneous { get; }
    /// <summary>Whether every layer is dense or a relu/identity activation.</summary>
    public abstract bool IsDenseChain { get; }
    /// <summary>Whether the net has a Conv2d layer.</summary>
    public abstract bool HasConv2d { get; }
    /// <summary>The parameters as a flat float64 vector.</summary>
    public abstract double[] FlatParameters();
    /// <summary>The conv bound of paper 4 (kernel norms vs dense-equivalent norms); throws NotSupportedException with the reason.</summary>
    public abstract ConvBoundResult ConvBound(double maxInputNorm, int n, double gamma);
    /// <summary>Null when Hessian-vector products are available for this net, else why not.</summary>
    public abstract string? HessianUnavailable { get; }
    /// <summary>Hessian-vector products of the loss on the measured samples.</summary>
    public abstract HessianVectorProduct Hessian(Losses.LossKind loss, double targetScale);
    /// <summary>The loss L(W) on the measured samples and ||grad L(W)|| at the current weights (any net the trainer runs).</summary>
    public abstract (double Loss, double GradientNorm) LossAndGradientNorm(Losses.LossKind loss, double targetScale);
    /// <summary>Whether there is a network (false: a data set alone, whose only measures are those marked <see cref="MeasureNeeds.DataOnly"/>).</summary>
    public virtual bool HasModel => true;
    /// <summary>The end-to-end vector W_L ... W_1 of a binary deep linear net; throws ArgumentException otherwise.</summary>
    public abstract double[] EndToEndVector();
    /// <summary>The end-to-end matrix W_L ... W_1 (C x d) of a deep linear net; throws ArgumentException otherwise.</summary>
    public abstract MathNet.Numerics.LinearAlgebra.Matrix<double> EndToEndMatrix();
    /// <summary>Outputs (n, C) of the net on <paramref name="data"/>.</summary>
    public abstract double[] OutputsOf(Dataset data);
    /// <summary>The input of layer <paramref name="layer"/> for every measured sample, (n, p).</summary>
    public abstract double[] FeaturesOf(int layer);
    /// <summary>Index of the layer holding the last weight.</summary>
    public abstract int LastWeightLayer { get; }
    /// <summary>Number of layers.</summary>
    public abstract int LayerCount { get; }
    /// <summary>The empirical NTK (n C x n C, row-major) of the net on <paramref name="rows"/> of the training split.</summary>
    public abstract double[] Ntk(Dataset rows);
    /// <summary>Whether the net at initialization was given (the NTK kernel distance needs it).</summary>
    public abstract bool HasInitialNet { get; }
    /// <summary>The empirical NTK of the net at initialization on <paramref name="rows"/>, or null without it.</summary>
    public abstract double[]? InitialNtk(Dataset rows);

    /// <summary>The weight matrices (float64 copies, refreshed per call).</summary>
    public abstract IReadOnlyList<WeightMatrix> Weights { get; }
    /// <summary>
    /// The parameters at initialization as a flat vector (the initial net's, else <see cref="MeasureOptions.InitialParameters"/>
    /// when it has p values), or null.
    /// </summary>
    public abstract double[]? InitialFlat { get; }
    /// <summary>Null when the weights at initialization are known, else why not (naming how to give them).</summary>
    public string? NoInitialWeights => InitialWeights is not null ? null
        : Options.InitialParameters is { } w0 && w0.Length != ParameterCount
            ? $"the initial parameters have {w0.Length} values but the net has {ParameterCount}"
            : "needs the weights at initialization (measure --initial W0.safetensors, a run's start, or MeasureOptions.InitialParameters)";
    /// <summary>The weight matrices at initialization, laid out as <see cref="Weights"/>, or null without them.</summary>
    public abstract IReadOnlyList<WeightMatrix>? InitialWeights { get; }
    /// <summary>
    /// Runs <paramref name="search"/> on the net's training criterion (error of the measured samples) and surrogate loss
    /// (<see cref="MeasureOptions.Loss"/>, else logistic for one output and cross-entropy for several) as functions of the
    /// flat parameters, starting from the current ones; the net's parameters are restored afterwards.
    /// </summary>
    public abstract TResult Perturbed<TResult>(Func<Flatness.IPerturbationObjective, double[], TResult> search);
    /// <summary>The operator T_k each weight layer applies to its flattened input.</summary>
    public abstract IReadOnlyList<LayerOperator> Operators { get; }

    private LayerTable? _layers;
    /// <summary>Per-layer norms of operators and kernels, top singular pairs and (with FullSvd) ranks.</summary>
    public LayerTable Layers => _layers ??= LayerTable.Compute(this);

    /// <summary>rho = prod_k ||T_k||_F (THEORY.md section 1), the one place the product is formed.</summary>
    public double Rho => Layers.Rho;

    /// <summary>
    /// Computes the layer table now and, with <paramref name="withOutputs"/>, the measured samples' outputs beside the layers'
    /// eigenproblems (on the thread the smaller problems leave idle) when there are two or more threads and full spectra are
    /// asked for; else the outputs are left to be computed when first asked for.
    /// </summary>
    internal void Prepare(bool withOutputs)
    {
        if (_layers is not null) return;
        Action? outputs = null;
        if (withOutputs && _out is null && Options.FullSvd && Tensors.Parallelism.Threads >= 2)
        {
            _ = Sample; // the subsample is taken here, on this thread, not inside the job
            outputs = () =>
            {
                // NOTE: a failure here (a data set that does not fit the net) is caught only to be raised where it belongs: the
                // outputs stay uncomputed, and the measure that asks for them computes them again and throws in its place.
                try { _out = SampleOutputs.Compute(this); }
                catch (Exception) { _out = null; }
            };
        }
        _layers = LayerTable.Compute(this, outputs);
    }

    private Dataset? _sample;
    /// <summary>The measured training samples.</summary>
    public Dataset Sample => _sample ??= Cache.SampleOf(Train, Options.MaxSamples);

    private SampleOutputs? _out;
    /// <summary>Outputs, raw margins and (multiclass) penultimate features of the measured samples.</summary>
    public SampleOutputs SampleOutputs => _out ??= SampleOutputs.Compute(this);

    private readonly Dictionary<string, object?> _memo = new(StringComparer.Ordinal);
    /// <summary>A value several measures share (neural collapse, the Hessian, the NTK), computed once per context under <paramref name="name"/>.</summary>
    public TValue Memo<TValue>(string name, Func<TValue> compute)
    {
        if (!_memo.TryGetValue(name, out var v)) _memo[name] = v = compute();
        return (TValue)v!;
    }

    /// <summary>The bound margin gamma: the <see cref="MeasureOptions.BoundMarginQuantile"/> quantile of the raw margins (NaN when undefined).</summary>
    public double BoundGamma => SampleOutputs.Distribution?.Quantile(Options.BoundMarginQuantile) ?? double.NaN;

    /// <summary>The margins m_i / rho, or null when the net is not homogeneous, rho = 0 or margins are undefined.</summary>
    public double[]? RhoMargins => Memo("rho_margins", () => IsHomogeneous && Rho > 0 && SampleOutputs.Defined ? Margins.RhoNormalized(SampleOutputs.Raw, Rho) : null);

    /// <summary>||X||_F of the measured samples.</summary>
    public double InputFrobenius => Memo("input_frobenius", () => Margins.InputFrobenius(Sample));

    /// <summary>The margins m_i / (R ||X||_F / n), or null when not homogeneous, R or ||X||_F is 0, or margins are undefined.</summary>
    public double[]? SpectralMargins => Memo("spectral_margins", () =>
        IsHomogeneous && Layers.Complexity > 0 && InputFrobenius > 0 && SampleOutputs.Defined ? Margins.SpectrallyNormalized(SampleOutputs.Raw, Layers.Complexity, InputFrobenius) : null);

    /// <summary>The neural collapse feature layer (default: the input of the last weight layer).</summary>
    public int NeuralCollapseLayer => Options.NeuralCollapseLayer ?? LastWeightLayer;

    /// <summary>
    /// Outputs of the measured samples through the NC feature route when it is one matrix product away (one forward
    /// pass, not two); implemented by the typed context.
    /// </summary>
    internal abstract (double[] Outputs, double[]? Features) ForwardSample();
}

/// <summary>State a <see cref="MeasureSuite"/> or a probe keeps between calls on the same model: warm starts of power
/// iterations, weight copies, the evaluator and feature buffers, the subsample.</summary>
public sealed class MeasureCache
{
    /// <summary>Warm-start vectors by weight name ("operator:" prefix for operators).</summary>
    public Dictionary<string, double[]> Warm { get; } = new();
    internal IReadOnlyList<WeightMatrix>? Weights;
    internal object? Evaluator;
    internal double[]? Features, Outputs;
    internal IReadOnlyList<LayerOperator>? Ops;
    internal object? OpsModel;
    private Dataset? _train, _sample;
    private int? _max;

    /// <summary>The measured samples of <paramref name="train"/>: reused while the training set and the cap are the same.</summary>
    public Dataset SampleOf(Dataset train, int? max)
    {
        if (!ReferenceEquals(train, _train) || max != _max) { _train = train; _max = max; _sample = MeasureSuite.Subsample(train, max); }
        return _sample!;
    }
}

/// <summary>A context over a typed model.</summary>
public sealed class MeasureContext<T> : MeasureContext where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Sequential<T> _model;
    private readonly Sequential<T>? _initial;

    /// <summary>Creates a context for <paramref name="model"/> (and its weights at initialization <paramref name="initial"/>, for the NTK kernel distance).</summary>
    public MeasureContext(Sequential<T> model, Dataset train, Dataset? test = null, MeasureOptions? options = null, MeasureCache? cache = null, Sequential<T>? initial = null)
        : base(train, test, options ?? new MeasureOptions(), cache ?? new MeasureCache())
    {
        _model = model; _initial = initial;
        var ws = WeightMatrix.Of(model, Cache.Weights);
        Cache.Weights = ws;
        Weights = ws;
        if (Cache.Ops is { } cached && ReferenceEquals(Cache.OpsModel, model) && cached.Count == ws.Count && cached.Select((op, k) => ReferenceEquals(op.Kernel, ws[k])).All(b => b))
            Operators = cached;
        else { Cache.OpsModel = model; Operators = Cache.Ops = LayerOperator.Of(model, ws); }
    }

    /// <summary>The model measured.</summary>
    public Sequential<T> Model => _model;
    /// <inheritdoc/>
    public override double[]? InitialFlat => Memo("initial_flat", () =>
        _initial is not null ? _initial.Flat.Select(x => double.CreateChecked(x)).ToArray()
        : Options.InitialParameters is { } w0 && w0.Length == _model.ParameterCount ? w0 : null);
    /// <inheritdoc/>
    public override IReadOnlyList<WeightMatrix>? InitialWeights => Memo("initial_weights", () =>
    {
        var flat = InitialFlat;
        if (flat is null) return null;
        var list = new List<WeightMatrix>();
        var ws = _model.Weights;
        for (int k = 0; k < ws.Count; k++)
        {
            // Each weight's slice of the flat vector, reshaped as WeightMatrix.Of reshapes the current weight.
            var cur = Weights[k];
            list.Add(new WeightMatrix(cur.Name, cur.LayerIndex, cur.Rows, cur.Cols, flat.AsSpan(ws[k].Offset, cur.Rows * cur.Cols).ToArray()));
        }
        return (IReadOnlyList<WeightMatrix>?)list;
    });
    /// <inheritdoc/>
    public override TResult Perturbed<TResult>(Func<Flatness.IPerturbationObjective, double[], TResult> search)
    {
        var saved = _model.SnapshotParameters();
        var loss = Options.Loss ?? (_model.Outputs == 1 ? Losses.LossKind.Logistic : Losses.LossKind.CrossEntropy);
        try { return search(new Flatness.NetObjective<T>(_model, Sample, loss, Options.TargetScale), FlatParameters()); }
        finally { _model.LoadParameters(saved); }
    }
    /// <inheritdoc/>
    public override IReadOnlyList<WeightMatrix> Weights { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<LayerOperator> Operators { get; }
    /// <inheritdoc/>
    public override int ParameterCount => _model.ParameterCount;
    /// <inheritdoc/>
    public override int Outputs => _model.Outputs;
    /// <inheritdoc/>
    public override bool IsHomogeneous => _model.IsHomogeneous;
    /// <inheritdoc/>
    public override string? NotHomogeneous
    {
        get
        {
            if (_model.IsHomogeneous) return null;
            var why = new List<string>();
            for (int i = 0; i < _model.Layers.Count; i++)
            {
                var l = _model.Layers[i];
                if (l.IsHomogeneous) continue;
                string name = l.GetType().Name.Split('`')[0];
                why.Add(l.IsNormalization ? $"layer {i} ({name}) is batch norm" : $"layer {i} ({name}) has biases");
            }
            return "not homogeneous (f(cW) != c^L f(W)): " + string.Join("; ", why);
        }
    }
    /// <inheritdoc/>
    public override bool IsDenseChain => _model.Layers.All(l => l is Dense<T> || l.IsActivation && l is Relu<T> or Identity<T>);
    /// <inheritdoc/>
    public override bool HasConv2d => _model.Layers.Any(l => l is Conv2d<T>);
    /// <inheritdoc/>
    public override int LastWeightLayer => _model.Weights[^1].LayerIndex;
    /// <inheritdoc/>
    public override int LayerCount => _model.Layers.Count;
    /// <inheritdoc/>
    public override double[] FlatParameters() => _model.Flat.Select(x => double.CreateChecked(x)).ToArray();
    /// <inheritdoc/>
    public override ConvBoundResult ConvBound(double maxInputNorm, int n, double gamma) => ConvKernelNormBound.Of(_model, maxInputNorm, n, gamma);
    /// <inheritdoc/>
    public override string? HessianUnavailable => Memo("hessian_unavailable", () => DenseNet.TryCreate(_model, out var reason, weights: false) is null ? reason : null); // the layout only, once per context
    /// <inheritdoc/>
    public override HessianVectorProduct Hessian(Losses.LossKind loss, double targetScale) => Options.HessianSingle
        ? HessianVectorProduct.CreateSingle(_model, Sample, loss, targetScale)
        : HessianVectorProduct.Create(_model, Sample, loss, targetScale);
    /// <inheritdoc/>
    /// <remarks>
    /// NOTE: beyond <see cref="HvpKernel{T}.ChunkRows"/> samples the loss and gradient are summed over chunks of at most that many samples
    /// (each weighted by its share of the samples; L is a mean): the full-batch pass held every layer's activations and their gradients in T
    /// at once, which on 10,000 MNIST samples of a 784-2048-2048-10 net was 1.7 GB, more than the Hessian measures themselves.
    /// </remarks>
    public override (double Loss, double GradientNorm) LossAndGradientNorm(Losses.LossKind loss, double targetScale)
    {
        var sample = Sample;
        int n = sample.N, chunks = (n + HvpKernel<T>.ChunkRows - 1) / HvpKernel<T>.ChunkRows;
        if (chunks <= 1)
        {
            var objective = new Training.Objective<T>(_model, sample, loss, targetScale);
            var at = objective.Evaluate(ReadOnlySpan<int>.Empty, Losses.LossOutput.Value, gradient: true, training: false);
            double s = 0;
            foreach (var g in _model.FlatGrad) { double x = double.CreateChecked(g); s += x * x; }
            return (at.L, Math.Sqrt(s));
        }
        double total = 0;
        var grad = new double[_model.ParameterCount];
        for (int k = 0; k < chunks; k++)
        {
            var (i0, i1) = Tensors.Parallelism.Range(n, k, chunks);
            var part = sample.Subset(Enumerable.Range(i0, i1 - i0).ToArray());
            var at = new Training.Objective<T>(_model, part, loss, targetScale).Evaluate(ReadOnlySpan<int>.Empty, Losses.LossOutput.Value, gradient: true, training: false);
            double w = (double)(i1 - i0) / n;
            total += w * at.L;
            var g = _model.FlatGrad;
            for (int j = 0; j < grad.Length; j++) grad[j] += w * double.CreateChecked(g[j]);
        }
        return (total, System.Numerics.Tensors.TensorPrimitives.Norm<double>(grad));
    }
    /// <inheritdoc/>
    public override double[] EndToEndVector() => EndToEnd.Vector(_model);
    /// <inheritdoc/>
    public override MathNet.Numerics.LinearAlgebra.Matrix<double> EndToEndMatrix() => EndToEnd.Matrix(_model);
    /// <inheritdoc/>
    public override double[] OutputsOf(Dataset data) => ModelEval.Outputs(_model, data);
    /// <inheritdoc/>
    public override double[] FeaturesOf(int layer) => Evaluator.Features(Sample, layer);
    /// <inheritdoc/>
    public override double[] Ntk(Dataset rows) => EmpiricalNtk.Compute(_model, rows.X, rows.N);
    /// <inheritdoc/>
    public override bool HasInitialNet => _initial is not null;
    /// <inheritdoc/>
    public override double[]? InitialNtk(Dataset rows) => _initial is null ? null : EmpiricalNtk.Compute(_initial, rows.X, rows.N);

    private ModelEvaluator<T> Evaluator
    {
        get
        {
            if (Cache.Evaluator is not ModelEvaluator<T> ev || !ReferenceEquals(ev.Model, _model)) Cache.Evaluator = ev = new ModelEvaluator<T>(_model);
            return ev;
        }
    }

    internal override (double[] Outputs, double[]? Features) ForwardSample()
    {
        var sample = Sample;
        var ev = Evaluator;
        bool ncApplies = Options.NeuralCollapse && _model.Outputs >= 2;
        int last = LastWeightLayer;
        if (ncApplies && NeuralCollapseLayer == last && last == _model.Layers.Count - 1 && _model.Layers[last] is Dense<T> head)
        {
            var h = Cache.Features = ev.Features(sample, last, Cache.Features);
            return (Cache.Outputs = DenseHead(h, sample.N, Weights[^1], head.Bias is null ? default : head.Bias.Value.Span, Cache.Outputs), h);
        }
        return (Cache.Outputs = ev.Features(sample, _model.Layers.Count, Cache.Outputs), null);
    }

    // z (n, C), into the cache's output buffer when it has that size (a probe reuses it, as the route through the full net does).
    private static double[] DenseHead(double[] h, int n, WeightMatrix w, ReadOnlySpan<T> bias, double[]? into)
    {
        var z = into is not null && into.Length == (long)n * w.Rows ? into : new double[(long)n * w.Rows];
        // z (n, C) = h (n, p) W^T (p, C) + b
        Tensors.Gemm.Multiply(false, true, n, w.Rows, w.Cols, 1.0, h, w.Cols, w.Data, w.Cols, 0.0, z, w.Rows);
        if (!bias.IsEmpty)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < w.Rows; j++) z[i * w.Rows + j] += double.CreateChecked(bias[j]);
        return z;
    }
}
