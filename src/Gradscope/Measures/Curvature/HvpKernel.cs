using System.Numerics;
using System.Numerics.Tensors;

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

/// <summary>
/// Pearlmutter's R-operator on a dense ReLU/identity net in the model's own element type <typeparamref name="T"/>
/// (float for f32 models: the products run at the speed of a training step's GEMMs).
/// </summary>
/// <remarks>
/// Memory: the weights once (W), the forward activations of the batch (acts), their directional derivatives (r)
/// and four (n x widest layer) buffers for the backward pass, plus v and H v in T: about 3 copies of the weights plus
/// two batches of activations, allocated at construction and reused by every product (no allocation per product).
/// NOTE: the loss derivatives dl/dz and d^2 l/dz^2 are computed in double from the outputs and then rounded to T.
/// </remarks>
internal sealed class HvpKernel<T> : IHvpKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly DenseNet _net;
    private readonly int _n, _c, _first;
    private readonly T[][] _w;        // per step: weights (out, in) in T, null for activations
    private readonly T[][] _acts;     // acts[0] = x, acts[s+1] = output of step s (n, width)
    private readonly T[][] _r;        // R{acts[s]}; r[0] unused (the input does not depend on W)
    private readonly T[] _gz, _hz;    // dL/dz (n, C); per sample (1/n) d^2 l/dz^2 (n, C, C)
    private readonly T[] _g, _rg, _gn, _rgn, _v, _hv;

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
        _r = new T[steps + 1][];
        _r[0] = [];
        for (int s = 0; s < steps; s++) _r[s + 1] = new T[n * net.Steps[s].Out];
        _gz = new T[n * c];
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
            for (int a = 0; a < c; a++) _gz[i * c + a] = T.CreateChecked(gi[a] / n);
            for (int a = 0; a < c * c; a++) _hz[i * c * c + a] = T.CreateChecked(hi[a] / n);
        }
        _g = new T[n * widest]; _rg = new T[n * widest]; _gn = new T[n * widest]; _rgn = new T[n * widest];
        _v = new T[net.ParameterCount]; _hv = new T[net.ParameterCount];
    }

    private static T[] Convert(double[] x)
    {
        var t = new T[x.Length];
        for (int i = 0; i < x.Length; i++) t[i] = T.CreateTruncating(x[i]);
        return t;
    }

    public void Apply(ReadOnlySpan<double> vIn, Span<double> hvOut)
    {
        int n = _n, steps = _net.Steps.Count, c = _c;
        // NOTE: for T = double these two copies could be avoided; they cost O(P), far below the O(n P) of the GEMMs.
        for (int i = 0; i < vIn.Length; i++) _v[i] = T.CreateTruncating(vIn[i]);
        var v = _v;
        var hv = _hv;
        Array.Clear(hv);
        // R-forward. zero[s] = R{acts[s]} is identically 0 (no dense layer before step s).
        bool zero = true;
        for (int s = 0; s < steps; s++)
        {
            var st = _net.Steps[s];
            var ro = _r[s + 1];
            switch (st.Kind)
            {
                case DenseNet.Kind.Dense:
                    {
                        // R{y} = R{a} W^T + a V^T + V_b
                        var vw = v.AsSpan(st.WeightOffset, st.Out * st.In);
                        Gemm.Multiply(false, true, n, st.Out, st.In, T.One, _acts[s], st.In, vw, st.In, T.Zero, ro, st.Out);
                        if (!zero) Gemm.Multiply(false, true, n, st.Out, st.In, T.One, _r[s], st.In, _w[s], st.In, T.One, ro, st.Out);
                        if (st.B is not null)
                        {
                            var vb = v.AsSpan(st.BiasOffset, st.Out);
                            for (int i = 0; i < n; i++) TensorPrimitives.Add(ro.AsSpan(i * st.Out, st.Out), vb, ro.AsSpan(i * st.Out, st.Out));
                        }
                        zero = false;
                        break;
                    }
                case DenseNet.Kind.Relu:
                    if (zero) { Array.Clear(ro); break; }
                    {
                        var a = _acts[s]; var rs = _r[s];
                        for (int k = 0; k < ro.Length; k++) ro[k] = a[k] > T.Zero ? rs[k] : T.Zero;
                    }
                    break;
                default:
                    if (zero) Array.Clear(ro); else _r[s].CopyTo(ro, 0);
                    break;
            }
        }
        // Output: g = dL/dz, R{g}_i = (1/n) H_i R{z_i}.
        var g = _g.AsSpan(0, n * c);
        var rg = _rg.AsSpan(0, n * c);
        _gz.CopyTo(g);
        var rz = _r[steps];
        for (int i = 0; i < n; i++)
            for (int a = 0; a < c; a++)
                rg[i * c + a] = TensorPrimitives.Dot<T>(_hz.AsSpan((i * c + a) * c, c), rz.AsSpan(i * c, c));
        T[] gBuf = _g, rgBuf = _rg, gnBuf = _gn, rgnBuf = _rgn;
        int width = c;
        int first = _first;
        for (int s = steps - 1; s >= first; s--)
        {
            var st = _net.Steps[s];
            var gs = gBuf.AsSpan(0, n * width);
            var rgs = rgBuf.AsSpan(0, n * width);
            switch (st.Kind)
            {
                case DenseNet.Kind.Relu:
                    {
                        var a = _acts[s];
                        for (int k = 0; k < gs.Length; k++) if (!(a[k] > T.Zero)) { gs[k] = T.Zero; rgs[k] = T.Zero; }
                        break;
                    }
                case DenseNet.Kind.Dense:
                    {
                        // R{dW} (out, in) = R{g}^T a + g^T R{a}; R{db} = sum_i R{g}_i
                        var hw = hv.AsSpan(st.WeightOffset, st.Out * st.In);
                        Gemm.Multiply(true, false, st.Out, st.In, n, T.One, rgs, st.Out, _acts[s], st.In, T.Zero, hw, st.In);
                        if (s > first) Gemm.Multiply(true, false, st.Out, st.In, n, T.One, gs, st.Out, _r[s], st.In, T.One, hw, st.In);
                        if (st.B is not null)
                        {
                            var hb = hv.AsSpan(st.BiasOffset, st.Out);
                            for (int i = 0; i < n; i++) TensorPrimitives.Add(hb, rgs.Slice(i * st.Out, st.Out), hb);
                        }
                        if (s == first) break;
                        // g' = g W; R{g'} = R{g} W + g V
                        var vw = v.AsSpan(st.WeightOffset, st.Out * st.In);
                        var gn = gnBuf.AsSpan(0, n * st.In);
                        var rgn = rgnBuf.AsSpan(0, n * st.In);
                        Gemm.Multiply(false, false, n, st.In, st.Out, T.One, gs, st.Out, _w[s], st.In, T.Zero, gn, st.In);
                        Gemm.Multiply(false, false, n, st.In, st.Out, T.One, rgs, st.Out, _w[s], st.In, T.Zero, rgn, st.In);
                        Gemm.Multiply(false, false, n, st.In, st.Out, T.One, gs, st.Out, vw, st.In, T.One, rgn, st.In);
                        (gBuf, gnBuf) = (gnBuf, gBuf);
                        (rgBuf, rgnBuf) = (rgnBuf, rgBuf);
                        width = st.In;
                        break;
                    }
            }
        }
        for (int i = 0; i < hvOut.Length; i++) hvOut[i] = double.CreateChecked(hv[i]);
    }
}
