using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Measures;

using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>The computation behind <see cref="HessianVectorProduct"/>: one element type, every buffer allocated once.</summary>
internal interface IHvpKernel
{
    /// <summary>Writes H v into <paramref name="hv"/> (length P each).</summary>
    void Apply(ReadOnlySpan<double> v, Span<double> hv);
}

/// <summary>A kernel in float32 (an f32 model's): products on float vectors with no conversion.</summary>
internal interface ISingleHvpKernel : IHvpKernel
{
    /// <summary>Writes H v into <paramref name="hv"/> in float32 (length P each; <paramref name="v"/> and <paramref name="hv"/> must not overlap).</summary>
    void ApplySingle(ReadOnlySpan<float> v, Span<float> hv);

    /// <summary>
    /// A second float32 product on the same cached state with its own per-product buffers (n x the widths of the dense layers): products
    /// on different lanes may run at the same time on different threads; each lane's products equal <see cref="ApplySingle"/>'s bit for bit.
    /// </summary>
    SingleOperator NewLane();
}

/// <summary>
/// Pearlmutter's R-operator on a dense ReLU/identity net in the model's own element type <typeparamref name="T"/>
/// (float for f32 models: the products run at the speed of a training step's GEMMs).
/// </summary>
/// <remarks>
/// At fixed weights everything that does not depend on v is computed once, at construction: the forward activations
/// of the batch (acts, which hold the ReLU masks), the loss derivatives dl/dz and (1/n) d^2 l/dz^2, and the gradient
/// G_s = dL/d(output of dense step s) of the ordinary backward pass. A product then runs only the R-forward pass and the
/// R-backward pass: per hidden dense layer R{y} = R{a} W^T + a V^T, R{dW} = R{g}^T a + G^T R{a} and
/// R{g'} = R{g} W + G V, six GEMMs (the first layer: two) against a training step's three.
/// Memory: the weights once (W), acts (one batch of activations), G (the outputs of the dense layers above the first), and per lane
/// (<see cref="NewLane"/>; one at construction) for one chunk of at most <see cref="ChunkRows"/> samples the directional derivatives of
/// the dense layers' outputs (r; a ReLU or identity acts on its input's r in place) and two (rows x widest layer) buffers for the
/// R-backward pass, all allocated once and reused by every product (no allocation per product);
/// the double-vector entry <see cref="Apply"/> adds v and H v in T on first use.
/// NOTE: the loss derivatives dl/dz and d^2 l/dz^2 are computed in double from the outputs and then rounded to T.
/// </remarks>
internal sealed class HvpKernel<T> : ISingleHvpKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly DenseNet _net;
    private readonly int _n, _c, _first;
    private readonly T[][] _w;        // per step: weights (out, in) in T, null for activations
    private readonly T[][] _acts;     // acts[0] = x, acts[s+1] = output of step s (n, width)
    private readonly T[] _hz;         // per sample (1/n) d^2 l/dz^2 (n, C, C)
    private readonly T[][] _gOut;     // per dense step s above the first: G_s = dL/d(output of s) (n, out), masked by later ReLUs
    private readonly int _widest;
    private readonly Lane _lane;      // the buffers of Apply and ApplySingle
    private T[]? _v, _hv;

    /// <summary>The buffers one product writes: R{acts[s]} per step (empty below the first dense step, where it is 0; a ReLU's or an
    /// identity's is its input's array, updated in place) and the two R-backward buffers (n x widest layer).</summary>
    private sealed class Lane(T[][] r, T[] rg, T[] rgn)
    {
        public readonly T[][] R = r;
        public readonly T[] Rg = rg, Rgn = rgn;
    }

    internal HvpKernel(DenseNet net, Dataset data, LossKind loss, double targetScale, IReadOnlyList<T[]?> weights)
    {
        _net = net; _n = data.N; _c = net.OutputDim;
        // the first dense step: below it nothing depends on W, so the backward pass stops there.
        _first = net.Steps.FindIndex(st => st.Kind == DenseNet.Kind.Dense);
        int steps = net.Steps.Count, n = _n, c = _c;
        _w = new T[steps][];
        for (int s = 0; s < steps; s++) _w[s] = weights[s] ?? [];
        _acts = new T[steps + 1][];
        _acts[0] = typeof(T) == typeof(double) ? (T[])(object)data.X : Convert(data.X);
        int widest = net.InputDim;
        for (int s = 0; s < steps; s++)
        {
            var st = net.Steps[s];
            widest = Math.Max(widest, st.Out);
            var o = new T[n * st.Out];
            var a = _acts[s];
            switch (st.Kind)
            {
                case DenseNet.Kind.Dense:
                    Gemm.Multiply(false, true, n, st.Out, st.In, T.One, a, st.In, _w[s], st.In, T.Zero, o, st.Out);
                    if (st.B is not null)
                    {
                        var b = Convert(st.B);
                        for (int i = 0; i < n; i++) TensorPrimitives.Add(o.AsSpan(i * st.Out, st.Out), b, o.AsSpan(i * st.Out, st.Out));
                    }
                    break;
                case DenseNet.Kind.Relu: TensorPrimitives.Max(a, T.Zero, o); break;
                default: a.CopyTo(o, 0); break;
            }
            _acts[s + 1] = o;
        }
        _widest = widest;
        var gz = new T[n * c];
        _hz = new T[n * c * c];
        var z = _acts[^1];
        var zi = new double[c];
        var gi = new double[c];
        var hi = new double[c * c];
        for (int i = 0; i < n; i++)
        {
            for (int a = 0; a < c; a++) zi[a] = double.CreateChecked(z[i * c + a]);
            bool isLog = Loss.Sample(loss, zi, data.Y[i], targetScale, gi, out double l, out _);
            // dl/dz = l * dlog l/dz for exponential-type losses.
            if (isLog) TensorPrimitives.Multiply(gi, l, gi);
            LossHessian.Sample(loss, zi, data.Y[i], hi);
            for (int a = 0; a < c; a++) gz[i * c + a] = T.CreateChecked(gi[a] / n);
            for (int a = 0; a < c * c; a++) _hz[i * c * c + a] = T.CreateChecked(hi[a] / n);
        }
        _gOut = Backward(gz);
        _lane = CreateLane();
    }

    // NOTE: R{output} of a ReLU or identity step shares its input's array (the ReLU masks it in place): R{pre-activation} is not read
    // after the mask (the R-backward pass of a dense step reads only its input's R), so this saves a batch of activations per ReLU
    // layer and the identity's copy pass.
    private Lane CreateLane()
    {
        int steps = _net.Steps.Count, rows = Chunks == 0 ? 0 : (_n + Chunks - 1) / Chunks; // the largest chunk
        var r = new T[steps + 1][];
        r[0] = [];
        for (int s = 0; s < steps; s++)
        {
            var st = _net.Steps[s];
            r[s + 1] = s < _first ? [] : st.Kind == DenseNet.Kind.Dense ? new T[rows * st.Out] : r[s];
        }
        return new Lane(r, new T[rows * _widest], new T[rows * _widest]);
    }

    public SingleOperator NewLane()
    {
        if (typeof(T) != typeof(float)) throw new InvalidOperationException("HvpKernel: float32 products need a float32 kernel.");
        var lane = CreateLane();
        return (v, hv) => Product(System.Runtime.InteropServices.MemoryMarshal.Cast<float, T>(v), System.Runtime.InteropServices.MemoryMarshal.Cast<float, T>(hv), lane);
    }

    /// <summary>
    /// The ordinary backward pass from dL/dz: G_s = dL/d(output of dense step s) for every dense step above the first
    /// (through ReLU masks and identities), the part of the R-backward pass that does not depend on v.
    /// </summary>
    private T[][] Backward(T[] gz)
    {
        int n = _n, steps = _net.Steps.Count;
        var gOut = new T[steps][];
        var g = gz;
        for (int s = steps - 1; s > _first; s--)
        {
            var st = _net.Steps[s];
            switch (st.Kind)
            {
                case DenseNet.Kind.Relu:
                    {
                        ZeroWhereInactive(_acts[s], g);
                        break;
                    }
                case DenseNet.Kind.Dense:
                    {
                        gOut[s] = g;
                        // below the lowest such step only the first dense layer remains, which needs no G
                        if (!_net.Steps.Skip(_first + 1).Take(s - _first - 1).Any(x => x.Kind == DenseNet.Kind.Dense)) return gOut;
                        var gn = new T[n * st.In];
                        Gemm.Multiply(false, false, n, st.In, st.Out, T.One, g, st.Out, _w[s], st.In, T.Zero, gn, st.In);
                        g = gn;
                        break;
                    }
            }
        }
        return gOut;
    }

    private static T[] Convert(double[] x)
    {
        var t = new T[x.Length];
        for (int i = 0; i < x.Length; i++) t[i] = T.CreateTruncating(x[i]);
        return t;
    }

    public void Apply(ReadOnlySpan<double> vIn, Span<double> hvOut)
    {
        // NOTE: for T = double these two copies could be avoided; they cost O(P), far below the O(n P) of the GEMMs.
        _v ??= new T[_net.ParameterCount];
        _hv ??= new T[_net.ParameterCount];
        for (int i = 0; i < vIn.Length; i++) _v[i] = T.CreateTruncating(vIn[i]);
        Product(_v, _hv, _lane);
        for (int i = 0; i < hvOut.Length; i++) hvOut[i] = double.CreateChecked(_hv[i]);
    }

    public void ApplySingle(ReadOnlySpan<float> v, Span<float> hv)
    {
        if (typeof(T) != typeof(float)) throw new InvalidOperationException("HvpKernel: float32 products need a float32 kernel.");
        Product(System.Runtime.InteropServices.MemoryMarshal.Cast<float, T>(v), System.Runtime.InteropServices.MemoryMarshal.Cast<float, T>(hv), _lane);
    }

    /// <summary>
    /// Samples per chunk of a product: the R-forward and R-backward passes run over at most this many rows at a time, so a lane's
    /// buffers hold ChunkRows x (the dense layers' widths + 2 x the widest) values whatever n. NOTE: 1024 leaves batches up to 1024
    /// (the bench's 256, measure's usual subsets) in one chunk, as before; a larger batch is cut into ceil(n / 1024) chunks of equal
    /// size whose contributions to H v are summed chunk by chunk (the GEMMs of R{dW} accumulate with beta = 1): each GEMM then packs
    /// its weight operand once per chunk, a cost of a few percent against the GEMMs at 1024 rows.
    /// </summary>
    internal const int ChunkRows = 1024;

    private int Chunks => (_n + ChunkRows - 1) / ChunkRows;

    /// <summary>hv = H v in T: the R-forward pass, then the R-backward pass with the cached G, in <paramref name="lane"/>'s buffers, chunk by chunk of samples.</summary>
    private void Product(ReadOnlySpan<T> v, Span<T> hv, Lane lane)
    {
        int chunks = Chunks;
        if (chunks == 0) { hv.Clear(); return; }
        for (int k = 0; k < chunks; k++)
        {
            var (i0, i1) = Parallelism.Range(_n, k, chunks);
            Chunk(v, hv, lane, i0, i1 - i0, accumulate: k > 0);
        }
    }

    /// <summary>The contribution of samples [i0, i0 + m) to H v: written into <paramref name="hv"/>, or added to it with <paramref name="accumulate"/>.</summary>
    private void Chunk(ReadOnlySpan<T> v, Span<T> hv, Lane lane, int i0, int m, bool accumulate)
    {
        int steps = _net.Steps.Count, c = _c;
        var r = lane.R;
        T beta = accumulate ? T.One : T.Zero;
        // R-forward. zero[s] = R{acts[s]} is identically 0 (no dense layer before step s).
        bool zero = true;
        for (int s = 0; s < steps; s++)
        {
            var st = _net.Steps[s];
            var ro = r[s + 1].AsSpan(0, st.Kind == DenseNet.Kind.Dense || !zero ? m * st.Out : 0);
            switch (st.Kind)
            {
                case DenseNet.Kind.Dense:
                    {
                        // R{y} = R{a} W^T + a V^T + V_b
                        var vw = v.Slice(st.WeightOffset, st.Out * st.In);
                        Gemm.Multiply(false, true, m, st.Out, st.In, T.One, Rows(_acts[s], i0, m, st.In), st.In, vw, st.In, T.Zero, ro, st.Out);
                        if (!zero) Gemm.Multiply(false, true, m, st.Out, st.In, T.One, r[s].AsSpan(0, m * st.In), st.In, _w[s], st.In, T.One, ro, st.Out);
                        if (st.B is not null)
                        {
                            var vb = v.Slice(st.BiasOffset, st.Out);
                            for (int i = 0; i < m; i++) TensorPrimitives.Add(ro.Slice(i * st.Out, st.Out), vb, ro.Slice(i * st.Out, st.Out));
                        }
                        zero = false;
                        break;
                    }
                case DenseNet.Kind.Relu:
                    // in place (ro is r[s]); below the first dense step R is 0 and nothing is stored
                    if (!zero) KeepWhereActive(Rows(_acts[s], i0, m, st.In), ro, ro);
                    break;
                default:
                    break; // identity: ro is r[s]
            }
        }
        // Output: R{g}_i = (1/n) H_i R{z_i}.
        var rg = lane.Rg.AsSpan(0, m * c);
        var rz = r[steps];
        for (int i = 0; i < m; i++)
            for (int a = 0; a < c; a++)
                rg[i * c + a] = TensorPrimitives.Dot<T>(_hz.AsSpan(((i0 + i) * c + a) * c, c), rz.AsSpan(i * c, c));
        T[] rgBuf = lane.Rg, rgnBuf = lane.Rgn;
        int width = c;
        int first = _first;
        for (int s = steps - 1; s >= first; s--)
        {
            var st = _net.Steps[s];
            var rgs = rgBuf.AsSpan(0, m * width);
            switch (st.Kind)
            {
                case DenseNet.Kind.Relu:
                    {
                        ZeroWhereInactive(Rows(_acts[s], i0, m, st.In), rgs);
                        break;
                    }
                case DenseNet.Kind.Dense:
                    {
                        // R{dW} (out, in) = R{g}^T a + G^T R{a}; R{db} = sum_i R{g}_i
                        var hw = hv.Slice(st.WeightOffset, st.Out * st.In);
                        Gemm.Multiply(true, false, st.Out, st.In, m, T.One, rgs, st.Out, Rows(_acts[s], i0, m, st.In), st.In, beta, hw, st.In);
                        if (s > first) Gemm.Multiply(true, false, st.Out, st.In, m, T.One, Rows(_gOut[s], i0, m, st.Out), st.Out, r[s].AsSpan(0, m * st.In), st.In, T.One, hw, st.In);
                        if (st.B is not null)
                        {
                            var hb = hv.Slice(st.BiasOffset, st.Out);
                            if (!accumulate) hb.Clear();
                            for (int i = 0; i < m; i++) TensorPrimitives.Add(hb, rgs.Slice(i * st.Out, st.Out), hb);
                        }
                        if (s == first) break;
                        // R{g'} = R{g} W + G V
                        var vw = v.Slice(st.WeightOffset, st.Out * st.In);
                        var rgn = rgnBuf.AsSpan(0, m * st.In);
                        Gemm.Multiply(false, false, m, st.In, st.Out, T.One, rgs, st.Out, _w[s], st.In, T.Zero, rgn, st.In);
                        Gemm.Multiply(false, false, m, st.In, st.Out, T.One, Rows(_gOut[s], i0, m, st.Out), st.Out, vw, st.In, T.One, rgn, st.In);
                        (rgBuf, rgnBuf) = (rgnBuf, rgBuf);
                        width = st.In;
                        break;
                    }
            }
        }
    }

    /// <summary>Rows [i0, i0 + m) of an (n, width) row-major array.</summary>
    private static ReadOnlySpan<T> Rows(T[] x, int i0, int m, int width) => x.AsSpan(i0 * width, m * width);

    /// <summary>The ReLU's backward mask for a pass through it: g[k] = 0 wherever the stored pre-activation a[k] is not &gt; 0.</summary>
    private static void ZeroWhereInactive(ReadOnlySpan<T> a, Span<T> g) => KeepWhereActive(a, g, g);

    /// <summary>
    /// The ReLU's derivative applied to a direction: o[k] = r[k] where the pre-activation a[k] &gt; 0, else +0 (the derivative at 0
    /// is 0, and a NaN a passes nothing); <paramref name="r"/> and <paramref name="o"/> may be the same span.
    /// </summary>
    /// <remarks>
    /// NOTE: a select, not a multiply by a 0/1 mask: r x 0 would be -0 for a negative r and NaN for an infinite one, and the result
    /// must equal the scalar rule bit for bit. Vectorized like TensorOps.ReluBackward: about half of a trained net's pre-activations
    /// are negative in no order, so a scalar branch mispredicts on about half of the elements (4 n x width per product: 1M elements
    /// on the bench MLP).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void KeepWhereActive(ReadOnlySpan<T> a, ReadOnlySpan<T> r, Span<T> o)
    {
        int n = o.Length, k = 0;
        ref T pa = ref MemoryMarshal.GetReference(a), pr = ref MemoryMarshal.GetReference(r), po = ref MemoryMarshal.GetReference(o);
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; k <= n - Vector256<T>.Count; k += Vector256<T>.Count)
            {
                var active = Vector256.GreaterThan(Vector256.LoadUnsafe(ref pa, (nuint)k), Vector256<T>.Zero);
                Vector256.BitwiseAnd(active, Vector256.LoadUnsafe(ref pr, (nuint)k)).StoreUnsafe(ref po, (nuint)k);
            }
        }
        for (; k < n; k++) Unsafe.Add(ref po, k) = Unsafe.Add(ref pa, k) > T.Zero ? Unsafe.Add(ref pr, k) : T.Zero;
    }
}
