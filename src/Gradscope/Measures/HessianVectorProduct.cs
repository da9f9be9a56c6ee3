using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Measures;

using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>
/// Exact Hessian-vector products H v of the training loss L(W) = (1/n) sum_i l(f(x_i; W), y_i)
/// (THEORY.md section 2, full batch, the loss value not its log) by Pearlmutter's R-operator:
/// a forward pass of directional derivatives R{.} = d/de (.)(W + e v) at e = 0, then the backward pass
/// and its R-version; R{grad L} = H v. Supports dense layers (with or without bias) and ReLU/identity
/// activations (ReLU'' = 0 almost everywhere, ReLU'(0) = 0). The parameters are read once at
/// construction; H v is ordered like <see cref="Sequential{T}.Flat"/>.
/// </summary>
public sealed class HessianVectorProduct
{
    private readonly DenseNet _net;
    private readonly int _n;
    private readonly double[][] _acts;
    private readonly double[] _gz;   // dL/dz (n, C)
    private readonly double[] _hz;   // per sample (1/n) d^2 l / dz^2 (n, C, C)

    private HessianVectorProduct(DenseNet net, double[] x, int[] y, LossKind loss, double targetScale)
    {
        _net = net; _n = y.Length;
        _acts = net.Forward(x, _n);
        int c = net.OutputDim;
        var z = _acts[^1];
        _gz = new double[_n * c];
        _hz = new double[_n * c * c];
        for (int i = 0; i < _n; i++)
        {
            var zi = z.AsSpan(i * c, c);
            var gi = _gz.AsSpan(i * c, c);
            bool isLog = Loss.Sample(loss, zi, y[i], targetScale, gi, out double l, out _);
            // dl/dz = l * dlog l/dz for exponential-type losses.
            if (isLog) TensorPrimitives.Multiply(gi, l, gi);
            TensorPrimitives.Divide(gi, _n, gi);
            var hi = _hz.AsSpan(i * c * c, c * c);
            LossHessian.Sample(loss, zi, y[i], hi);
            TensorPrimitives.Divide(hi, _n, hi);
        }
    }

    /// <summary>Number of parameters P (length of v and H v).</summary>
    public int Dimension => _net.ParameterCount;

    /// <summary>Number of H v products computed so far.</summary>
    public long Products { get; private set; }

    /// <summary>Builds the operator for <paramref name="model"/> at its current parameters on the full <paramref name="data"/>.</summary>
    public static HessianVectorProduct Create<T>(Sequential<T> model, Dataset data, LossKind loss, double targetScale = 1.0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var net = DenseNet.Create(model, "HessianVectorProduct");
        if (net.InputDim != data.D) throw new ArgumentException($"HessianVectorProduct: dataset '{data.Name}' has {data.D} features, the model expects {net.InputDim}.");
        return new HessianVectorProduct(net, data.X, data.Y, loss, targetScale);
    }

    /// <summary>Writes H v into <paramref name="hv"/>; both have length P.</summary>
    public void Apply(ReadOnlySpan<double> v, Span<double> hv)
    {
        int p = _net.ParameterCount;
        if (v.Length != p || hv.Length != p) throw new ArgumentException($"HessianVectorProduct: v has {v.Length} and Hv {hv.Length} entries, expected P = {p}.");
        Products++;
        hv.Clear();
        int n = _n, steps = _net.Steps.Count;
        var va = v.ToArray();
        // R-forward: R{acts[0]} = 0.
        var r = new double[steps + 1][];
        r[0] = new double[_acts[0].Length];
        for (int s = 0; s < steps; s++)
        {
            var st = _net.Steps[s];
            var ro = new double[n * st.Out];
            switch (st.Kind)
            {
                case DenseNet.Kind.Dense:
                    {
                        // R{y} = R{a} W^T + a V^T + V_b
                        Gemm.Multiply(false, true, n, st.Out, st.In, 1.0, r[s], st.In, st.W!, st.In, 0.0, ro, st.Out);
                        var vw = va.AsSpan(st.WeightOffset, st.Out * st.In);
                        Gemm.Multiply(false, true, n, st.Out, st.In, 1.0, _acts[s], st.In, vw, st.In, 1.0, ro, st.Out);
                        if (st.B is not null)
                        {
                            var vb = va.AsSpan(st.BiasOffset, st.Out);
                            for (int i = 0; i < n; i++) TensorPrimitives.Add(ro.AsSpan(i * st.Out, st.Out), vb, ro.AsSpan(i * st.Out, st.Out));
                        }
                        break;
                    }
                case DenseNet.Kind.Relu:
                    for (int k = 0; k < ro.Length; k++) ro[k] = _acts[s][k] > 0 ? r[s][k] : 0;
                    break;
                default: r[s].CopyTo(ro, 0); break;
            }
            r[s + 1] = ro;
        }
        int c = _net.OutputDim;
        // Output: g = dL/dz, R{g}_i = (1/n) H_i R{z_i}.
        var g = (double[])_gz.Clone();
        var rg = new double[n * c];
        var rz = r[steps];
        for (int i = 0; i < n; i++)
            for (int a = 0; a < c; a++)
                rg[i * c + a] = TensorPrimitives.Dot(_hz.AsSpan((i * c + a) * c, c), rz.AsSpan(i * c, c));
        for (int s = steps - 1; s >= 0; s--)
        {
            var st = _net.Steps[s];
            switch (st.Kind)
            {
                case DenseNet.Kind.Relu:
                    for (int k = 0; k < g.Length; k++) if (!(_acts[s][k] > 0)) { g[k] = 0; rg[k] = 0; }
                    break;
                case DenseNet.Kind.Dense:
                    {
                        // R{dW} (out, in) = R{g}^T a + g^T R{a}; R{db} = sum_i R{g}_i
                        var hw = hv.Slice(st.WeightOffset, st.Out * st.In);
                        var tmp = new double[st.Out * st.In];
                        Gemm.Multiply(true, false, st.Out, st.In, n, 1.0, rg, st.Out, _acts[s], st.In, 0.0, tmp, st.In);
                        Gemm.Multiply(true, false, st.Out, st.In, n, 1.0, g, st.Out, r[s], st.In, 1.0, tmp, st.In);
                        tmp.CopyTo(hw);
                        if (st.B is not null)
                        {
                            var hb = hv.Slice(st.BiasOffset, st.Out);
                            for (int i = 0; i < n; i++) TensorPrimitives.Add(hb, rg.AsSpan(i * st.Out, st.Out), hb);
                        }
                        if (s == 0) break;
                        // g' = g W; R{g'} = R{g} W + g V
                        var vw = va.AsSpan(st.WeightOffset, st.Out * st.In);
                        var gn = new double[n * st.In];
                        var rgn = new double[n * st.In];
                        Gemm.Multiply(false, false, n, st.In, st.Out, 1.0, g, st.Out, st.W!, st.In, 0.0, gn, st.In);
                        Gemm.Multiply(false, false, n, st.In, st.Out, 1.0, rg, st.Out, st.W!, st.In, 0.0, rgn, st.In);
                        Gemm.Multiply(false, false, n, st.In, st.Out, 1.0, g, st.Out, vw, st.In, 1.0, rgn, st.In);
                        g = gn; rg = rgn;
                        break;
                    }
            }
        }
    }
}
