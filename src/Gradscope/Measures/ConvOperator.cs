using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Measures;

using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>
/// A Conv2d layer as its dense-equivalent (Toeplitz) operator T of shape (O outH outW, C H W) on one flattened sample:
/// T[(o, i, j), (c, i s - p + u, j s - p + v)] = W[o, c, u, v], taps that fall in the zero padding dropped
/// (THEORY.md section 1). The kernel side is W reshaped to (O, C k k).
/// <list type="bullet">
/// <item>T x = W col(x) with col the im2col matrix (the forward kernel of the autodiff op, in float64);
/// T^T y = col2im(W^T y) (its backward-input kernel).</item>
/// <item>||T||_F^2 = sum over taps (u, v) of ||W[:, :, u, v]||^2 n_H(u) n_W(v), n_H(u) = #{i : 0 &lt;= i s - p + u &lt; H}
/// the output rows whose tap u lands inside the input (likewise n_W(v)).</item>
/// <item>Row (o, i, j) of T holds W[o, c, u, v] for every c and every tap valid at (i, j), so
/// ||T^T||_{2,1} = sum_{o, i, j} sqrt( sum_{u in U(i), v in V(j)} e[o, u, v] ), e[o, u, v] = sum_c W[o, c, u, v]^2.</item>
/// </list>
/// </summary>
public sealed class ConvOperator : LayerOperator
{
    private readonly double[] _col;

    /// <summary>The operator of the kernel <paramref name="kernel"/> (O, C k k) on the window geometry <paramref name="geometry"/>.</summary>
    public ConvOperator(WeightMatrix kernel, ConvGeometry geometry, int outChannels)
        : base(kernel, outChannels * geometry.Positions, geometry.InputLength)
    {
        geometry.Validate($"ConvOperator '{kernel.Name}'");
        if (kernel.Rows != outChannels || kernel.Cols != geometry.PatchLength)
            throw new ArgumentException($"ConvOperator '{kernel.Name}': kernel matrix ({kernel.Rows}, {kernel.Cols}), expected ({outChannels}, {geometry.PatchLength}) = (O, C k k).");
        Geometry = geometry; OutChannels = outChannels;
        _col = new double[geometry.PatchLength * geometry.Positions];
    }

    /// <summary>The operator of <paramref name="conv"/> on per-sample inputs of shape <paramref name="inputShape"/> (C, H, W), its weights read now.</summary>
    public static ConvOperator Create<T>(Conv2d<T> conv, int[] inputShape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = conv.Geometry(inputShape);
        var w = new double[conv.Weight.Length];
        TensorPrimitives.ConvertChecked<T, double>(conv.Weight.Value.Span, w);
        return new ConvOperator(new WeightMatrix("weight", -1, conv.OutChannels, g.PatchLength, w), g, conv.OutChannels);
    }

    /// <summary>The window geometry (input C, H, W; kernel; stride; padding).</summary>
    public ConvGeometry Geometry { get; }
    /// <summary>Output channels O.</summary>
    public int OutChannels { get; }
    /// <inheritdoc/>
    public override string Kind => "conv2d";

    /// <inheritdoc/>
    public override void Apply(ReadOnlySpan<double> x, Span<double> y)
    {
        int K = Geometry.PatchLength, P = Geometry.Positions;
        TensorOps.Im2Col(x[..Cols], Geometry, _col);
        // Y (O, P) = W (O, K) col (K, P)
        Gemm.Multiply(false, false, OutChannels, P, K, 1.0, Kernel.Data, K, _col, P, 0.0, y[..Rows], P);
    }

    /// <inheritdoc/>
    public override void ApplyTranspose(ReadOnlySpan<double> y, Span<double> x)
    {
        int K = Geometry.PatchLength, P = Geometry.Positions;
        // dcol (K, P) = W^T (K, O) y (O, P); x = col2im(dcol)
        Gemm.Multiply(true, false, K, P, OutChannels, 1.0, Kernel.Data, K, y[..Rows], P, 0.0, _col, P);
        x[..Cols].Clear();
        TensorOps.Col2ImAdd<double>(_col, Geometry, x[..Cols]);
    }

    /// <inheritdoc/>
    public override double Frobenius()
    {
        var g = Geometry;
        var e = TapEnergy();
        double total = 0;
        for (int u = 0; u < g.KernelH; u++)
        {
            int nh = ConvTaps.ValidCount(g.OutH, g.Stride, g.Padding, u, g.Height);
            for (int v = 0; v < g.KernelW; v++)
            {
                int nw = ConvTaps.ValidCount(g.OutW, g.Stride, g.Padding, v, g.Width);
                double s = 0;
                for (int o = 0; o < OutChannels; o++) s += e[(o * g.KernelH + u) * g.KernelW + v];
                total += (double)nh * nw * s;
            }
        }
        return Math.Sqrt(total);
    }

    /// <inheritdoc/>
    public override double RowSum21()
    {
        var g = Geometry;
        var e = TapEnergy();
        double total = 0;
        for (int o = 0; o < OutChannels; o++)
            for (int i = 0; i < g.OutH; i++)
            {
                var (u0, u1) = ConvTaps.ValidTaps(i, g.Stride, g.Padding, g.KernelH, g.Height);
                for (int j = 0; j < g.OutW; j++)
                {
                    var (v0, v1) = ConvTaps.ValidTaps(j, g.Stride, g.Padding, g.KernelW, g.Width);
                    double s = 0;
                    for (int u = u0; u < u1; u++)
                        for (int v = v0; v < v1; v++) s += e[(o * g.KernelH + u) * g.KernelW + v];
                    total += Math.Sqrt(s);
                }
            }
        return total;
    }

    // e[o, u, v] = sum_c W[o, c, u, v]^2
    private double[] TapEnergy()
    {
        var g = Geometry;
        int taps = g.KernelH * g.KernelW;
        var e = new double[OutChannels * taps];
        var w = Kernel.Data;
        for (int o = 0; o < OutChannels; o++)
            for (int c = 0; c < g.Channels; c++)
                for (int t = 0; t < taps; t++)
                {
                    double x = w[(o * g.Channels + c) * taps + t];
                    e[o * taps + t] += x * x;
                }
        return e;
    }
}

/// <summary>Which taps of a convolution window land inside the (unpadded) input.</summary>
public static class ConvTaps
{
    /// <summary>n(u) = #{i in [0, outSize) : 0 &lt;= i s - p + u &lt; size}: the output positions whose tap u is valid.</summary>
    public static int ValidCount(int outSize, int stride, int padding, int u, int size)
    {
        int c = 0;
        for (int i = 0; i < outSize; i++) { int h = i * stride - padding + u; if (h >= 0 && h < size) c++; }
        return c;
    }

    /// <summary>The taps u in [u0, u1) with 0 &lt;= i s - p + u &lt; size at output position i (a contiguous range).</summary>
    public static (int U0, int U1) ValidTaps(int i, int stride, int padding, int kernel, int size)
    {
        int start = i * stride - padding;
        int u0 = Math.Max(0, -start), u1 = Math.Min(kernel, size - start);
        return (u0, Math.Max(u0, u1));
    }
}
