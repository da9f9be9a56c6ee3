using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Measures;

using Gradscope.Data;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>
/// Empirical NTK (THEORY.md section 5): K_ij = &lt;grad_W f(x_i), grad_W f(x_j)&gt;; for C outputs the
/// nC x nC block matrix indexed (i, o) -> i * C + o (sample-major).
/// For dense nets the n x P Jacobian is never formed: for a dense layer y = W a (+ b),
/// &lt;dW f_o(x), dW f_o'(x')&gt; = &lt;delta_o(x), delta_o'(x')&gt; &lt;a(x), a(x')&gt; (bias: &lt;delta, delta'&gt;),
/// with delta = d f / d y. One batched forward pass gives every a, one batched backward pass seeded with
/// the identity per output gives every delta, and Gemm forms the Gram products, summed over layers.
/// </summary>
public static class EmpiricalNtk
{
    /// <summary>K of <paramref name="model"/> on the inputs of <paramref name="data"/>.</summary>
    public static double[] Compute<T>(Sequential<T> model, Dataset data, double[]? parameterScales = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Compute(model, data.X, data.N, parameterScales);

    /// <summary>
    /// K (nC x nC row-major) on inputs <paramref name="x"/> (n, d). Optional <paramref name="parameterScales"/>
    /// (one per dense layer) multiply layer k's contribution by c_k^2: the NTK with respect to theta when
    /// W_k = c_k theta_k (e.g. the NTK parameterization). Throws NotSupportedException for non-dense layers.
    /// </summary>
    public static double[] Compute<T>(Sequential<T> model, double[] x, int n, double[]? parameterScales = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var net = DenseNet.Create(model, "EmpiricalNtk");
        int c = net.OutputDim, nc = n * c;
        var acts = net.Forward(x, n);
        int denseCount = net.Steps.Count(s => s.Kind == DenseNet.Kind.Dense);
        if (parameterScales is not null && parameterScales.Length != denseCount)
            throw new ArgumentException($"EmpiricalNtk: {parameterScales.Length} parameter scales for {denseCount} dense layers.");
        var k = new double[(long)nc * nc];
        var d = new double[(long)nc * nc];
        var a = new double[(long)n * n];
        // Seeds: row i*C + o of the output gradient is e_o.
        int width = c;
        var g = new double[(long)nc * c];
        for (int i = 0; i < n; i++) for (int o = 0; o < c; o++) g[(i * c + o) * c + o] = 1;
        int dense = denseCount;
        for (int s = net.Steps.Count - 1; s >= 0; s--)
        {
            var st = net.Steps[s];
            if (st.Kind == DenseNet.Kind.Relu)
            {
                var pre = acts[s];
                for (int r = 0; r < nc; r++)
                {
                    var row = g.AsSpan(r * width, width);
                    var pr = pre.AsSpan((r / c) * width, width);
                    for (int j = 0; j < width; j++) if (pr[j] <= 0) row[j] = 0;
                }
                continue;
            }
            if (st.Kind == DenseNet.Kind.Identity) continue;
            dense--;
            double scale2 = parameterScales is null ? 1 : parameterScales[dense] * parameterScales[dense];
            // D (nC x nC) = G G^T over the layer's outputs; A (n x n) = a a^T over its inputs.
            Gemm.Multiply(false, true, nc, nc, st.Out, 1.0, g, st.Out, g, st.Out, 0.0, d, nc);
            Gemm.Multiply(false, true, n, n, st.In, 1.0, acts[s], st.In, acts[s], st.In, 0.0, a, n);
            double bias = st.B is null ? 0 : 1;
            for (int r = 0; r < nc; r++)
            {
                int i = r / c;
                var krow = k.AsSpan(r * nc, nc);
                var drow = d.AsSpan(r * nc, nc);
                var arow = a.AsSpan(i * n, n);
                for (int q = 0; q < nc; q++) krow[q] += scale2 * drow[q] * (arow[q / c] + bias);
            }
            if (dense == 0) break;
            // Back through the layer: G (nC x in) = G (nC x out) W (out x in).
            var gNext = new double[(long)nc * st.In];
            Gemm.Multiply(false, false, nc, st.In, st.Out, 1.0, g, st.Out, st.W!, st.In, 0.0, gNext, st.In);
            g = gNext; width = st.In;
        }
        return k;
    }

    /// <summary>Kernel distance 1 - &lt;K_0, K_t&gt;_F / (||K_0||_F ||K_t||_F) (THEORY.md section 5).</summary>
    public static double KernelDistance(ReadOnlySpan<double> k0, ReadOnlySpan<double> kt)
    {
        if (k0.Length != kt.Length) throw new ArgumentException($"KernelDistance: kernels of {k0.Length} and {kt.Length} entries.");
        return 1 - TensorPrimitives.Dot(k0, kt) / (TensorPrimitives.Norm(k0) * TensorPrimitives.Norm(kt));
    }

    /// <summary>Relative weight change ||W_t - W_0||_F / ||W_0||_F over the flat parameter vectors.</summary>
    public static double RelativeWeightChange(ReadOnlySpan<double> w0, ReadOnlySpan<double> wt)
    {
        if (w0.Length != wt.Length) throw new ArgumentException($"RelativeWeightChange: vectors of {w0.Length} and {wt.Length} entries.");
        double num = 0;
        for (int i = 0; i < w0.Length; i++) { double e = wt[i] - w0[i]; num += e * e; }
        return Math.Sqrt(num) / TensorPrimitives.Norm(w0);
    }
}
