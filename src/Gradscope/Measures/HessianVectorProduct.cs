using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;

/// <summary>
/// Exact Hessian-vector products H v of the training loss L(W) = (1/n) sum_i l(f(x_i; W), y_i)
/// (THEORY.md section 2, full batch, the loss value not its log) by Pearlmutter's R-operator:
/// a forward pass of directional derivatives R{.} = d/de (.)(W + e v) at e = 0, then the backward pass
/// and its R-version; R{grad L} = H v. Supports dense layers (with or without bias) and ReLU/identity
/// activations (ReLU'' = 0 almost everywhere, ReLU'(0) = 0). The parameters are read once at
/// construction; H v is ordered like <see cref="Sequential{T}.Flat"/>.
/// </summary>
/// <remarks>
/// The products run in the model's element type (float for an f32 model, double for f64) with every buffer
/// allocated once at construction: a product allocates nothing. The forward pass, the loss derivatives and the ordinary
/// backward pass do not depend on v and are computed once, so a product costs six GEMMs per hidden dense layer (two for
/// the first, which needs no R{input} and no input gradient) against a training step's three (HvpKernel.cs).
/// </remarks>
public sealed class HessianVectorProduct
{
    private readonly DenseNet _net;
    private readonly IHvpKernel _kernel;

    private HessianVectorProduct(DenseNet net, IHvpKernel kernel)
    {
        _net = net; _kernel = kernel;
        var blocks = new List<HessianBlock>();
        for (int s = 0, layer = 0; s < net.Steps.Count; s++)
        {
            var st = net.Steps[s];
            if (st.Kind != DenseNet.Kind.Dense) continue;
            var ranges = new List<(int Offset, int Length)> { (st.WeightOffset, st.Out * st.In) };
            if (st.B is not null) ranges.Add((st.BiasOffset, st.Out));
            blocks.Add(new HessianBlock(s, layer++, ranges));
        }
        Blocks = blocks;
    }

    /// <summary>Whether the products run in float32 (an f32 model): <see cref="ApplySingle"/> is then available.</summary>
    public bool IsSingle => _kernel is HvpKernel<float>;

    /// <summary>Number of parameters P (length of v and H v).</summary>
    public int Dimension => _net.ParameterCount;

    private long _products;

    /// <summary>Number of H v products computed so far (on every lane).</summary>
    public long Products => Interlocked.Read(ref _products);

    /// <summary>The parameters of each dense layer (weight and bias), in layer order: the diagonal blocks of H.</summary>
    public IReadOnlyList<HessianBlock> Blocks { get; }

    /// <summary>
    /// Builds the operator for <paramref name="model"/> at its current parameters on the full <paramref name="data"/>
    /// (one batch: every sample enters every product), computing in <typeparamref name="T"/>.
    /// </summary>
    public static HessianVectorProduct Create<T>(Sequential<T> model, Dataset data, LossKind loss, double targetScale = 1.0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool single = typeof(T) == typeof(float);
        // NOTE: an f32 model's weights are copied straight from its parameters into the float32 kernel: no float64 snapshot
        // (two weight copies) is built and dropped on the way.
        var net = DenseNet.Create(model, "HessianVectorProduct", weights: !single);
        if (net.InputDim != data.D) throw new ArgumentException($"HessianVectorProduct: dataset '{data.Name}' has {data.D} features, the model expects {net.InputDim}.");
        IHvpKernel kernel;
        if (single)
        {
            var flat = (float[])(object)model.Flat;
            var weights = net.Steps.Select(s => s.Kind == DenseNet.Kind.Dense ? flat.AsSpan(s.WeightOffset, s.Out * s.In).ToArray() : null).ToList();
            kernel = new HvpKernel<float>(net, data, loss, targetScale, weights);
        }
        else kernel = new HvpKernel<double>(net, data, loss, targetScale, net.Steps.Select(s => s.W).ToList());
        return new HessianVectorProduct(net, kernel);
    }

    /// <summary>
    /// Builds the operator in float32 whatever <typeparamref name="T"/>: the weights and inputs rounded to float32 (exact when they are
    /// float32 values, e.g. a float64 model loaded from an F32 file), the loss derivatives computed in double and rounded (as for an f32
    /// model). For <typeparamref name="T"/> = float this is <see cref="Create{T}"/>.
    /// </summary>
    public static HessianVectorProduct CreateSingle<T>(Sequential<T> model, Dataset data, LossKind loss, double targetScale = 1.0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Create(model, data, loss, targetScale);
        var net = DenseNet.Create(model, "HessianVectorProduct", weights: false);
        if (net.InputDim != data.D) throw new ArgumentException($"HessianVectorProduct: dataset '{data.Name}' has {data.D} features, the model expects {net.InputDim}.");
        var flat = model.Flat;
        var weights = net.Steps.Select(s =>
        {
            if (s.Kind != DenseNet.Kind.Dense) return null;
            var w = new float[s.Out * s.In];
            for (int i = 0; i < w.Length; i++) w[i] = float.CreateTruncating(flat[s.WeightOffset + i]);
            return w;
        }).ToList();
        return new HessianVectorProduct(net, new HvpKernel<float>(net, data, loss, targetScale, weights));
    }

    /// <summary>Writes H v into <paramref name="hv"/>; both have length P.</summary>
    public void Apply(ReadOnlySpan<double> v, Span<double> hv)
    {
        int p = _net.ParameterCount;
        if (v.Length != p || hv.Length != p) throw new ArgumentException($"HessianVectorProduct: v has {v.Length} and Hv {hv.Length} entries, expected P = {p}.");
        Interlocked.Increment(ref _products);
        _kernel.Apply(v, hv);
    }

    /// <summary>
    /// Writes H v into <paramref name="hv"/> in float32, with no conversion (an f32 model only, <see cref="IsSingle"/>); both have
    /// length P and must not overlap.
    /// </summary>
    public void ApplySingle(ReadOnlySpan<float> v, Span<float> hv)
    {
        int p = _net.ParameterCount;
        if (_kernel is not ISingleHvpKernel k) throw new InvalidOperationException("HessianVectorProduct: float32 products need an f32 model.");
        if (v.Length != p || hv.Length != p) throw new ArgumentException($"HessianVectorProduct: v has {v.Length} and Hv {hv.Length} entries, expected P = {p}.");
        if (v.Overlaps(hv)) throw new ArgumentException("HessianVectorProduct: v and Hv must not overlap.");
        Interlocked.Increment(ref _products);
        k.ApplySingle(v, hv);
    }

    /// <summary>
    /// A second float32 product operator (an f32 model only) with its own per-product buffers, so that two products can run at the same
    /// time on different threads (two SLQ probes side by side); its products equal <see cref="ApplySingle"/>'s bit for bit.
    /// Memory: for one chunk of at most 1024 samples, the directional derivatives of the dense layers' outputs and two R-backward buffers
    /// (rows x (the dense layers' widths + 2 x the widest) values).
    /// </summary>
    public SingleOperator NewSingleLane()
    {
        if (_kernel is not ISingleHvpKernel k) throw new InvalidOperationException("HessianVectorProduct: float32 products need an f32 model.");
        var lane = k.NewLane();
        int p = _net.ParameterCount;
        return (v, hv) =>
        {
            if (v.Length != p || hv.Length != p) throw new ArgumentException($"HessianVectorProduct: v has {v.Length} and Hv {hv.Length} entries, expected P = {p}.");
            if (v.Overlaps(hv)) throw new ArgumentException("HessianVectorProduct: v and Hv must not overlap.");
            Interlocked.Increment(ref _products);
            lane(v, hv);
        };
    }
}

/// <summary>
/// The parameters of one dense layer: the index set of a diagonal block H_bb of the Hessian.
/// </summary>
/// <param name="Step">Index of the layer in the model (as in its state_dict names, e.g. 2 for "2.weight").</param>
/// <param name="Layer">0-based index among the dense layers.</param>
/// <param name="Ranges">(offset, length) ranges in the flat parameter vector: the weight, then the bias if any.</param>
public sealed record HessianBlock(int Step, int Layer, IReadOnlyList<(int Offset, int Length)> Ranges)
{
    /// <summary>Number of parameters of the block.</summary>
    public int Size => Ranges.Sum(r => r.Length);
}
