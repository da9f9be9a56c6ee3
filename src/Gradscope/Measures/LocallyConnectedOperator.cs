using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Measures;

using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>
/// A LocallyConnected2d layer (a convolution without weight sharing, THEORY.md section 1) as its dense-equivalent
/// operator T of shape (O outH outW, C H W): T[(o, pos), (c, i s - p + u, j s - p + v)] = W[pos, o, (c k + u) k + v]
/// with pos = i outW + j, taps in the zero padding dropped. The weight (P, O, C k k) is read as stored; its kernel side
/// is that tensor reshaped to (P, O C k k).
/// <list type="bullet">
/// <item>(T x)[o, pos] = W[pos, o, :] . col(x)[:, pos] (im2col as the autodiff op); T^T y = col2im(dcol) with
/// dcol[:, pos] = sum_o y[o, pos] W[pos, o, :].</item>
/// <item>||T||_F^2 = sum over positions, channels and taps valid at the position of W[pos, o, (c, u, v)]^2 (weights on
/// padded taps never act and are left out).</item>
/// <item>||T^T||_{2,1} = sum_{o, pos} sqrt( sum over valid taps and c of W[pos, o, (c, u, v)]^2 ).</item>
/// </list>
/// </summary>
public sealed class LocallyConnectedOperator : LayerOperator
{
    private readonly double[] _col, _rows;

    /// <summary>The operator of the weight <paramref name="kernel"/> (P, O K) on the window geometry <paramref name="geometry"/>.</summary>
    public LocallyConnectedOperator(WeightMatrix kernel, ConvGeometry geometry, int outChannels)
        : base(kernel, outChannels * geometry.Positions, geometry.InputLength)
    {
        geometry.Validate($"LocallyConnectedOperator '{kernel.Name}'");
        if (kernel.Data.Length != (long)geometry.Positions * outChannels * geometry.PatchLength)
            throw new ArgumentException($"LocallyConnectedOperator '{kernel.Name}': {kernel.Data.Length} weights, expected P O K = {geometry.Positions} x {outChannels} x {geometry.PatchLength}.");
        Geometry = geometry; OutChannels = outChannels;
        _col = new double[geometry.PatchLength * geometry.Positions];
        _rows = new double[geometry.PatchLength * geometry.Positions];
    }

    /// <summary>The operator of <paramref name="layer"/>, its weights read now.</summary>
    public static LocallyConnectedOperator Create<T>(LocallyConnected2d<T> layer) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = layer.Geometry;
        var w = new double[layer.Weight.Length];
        TensorPrimitives.ConvertChecked<T, double>(layer.Weight.Value.Span, w);
        return new LocallyConnectedOperator(new WeightMatrix("weight", -1, g.Positions, layer.OutChannels * g.PatchLength, w), g, layer.OutChannels);
    }

    /// <summary>The window geometry (input C, H, W; kernel; stride; padding).</summary>
    public ConvGeometry Geometry { get; }
    /// <summary>Output channels O.</summary>
    public int OutChannels { get; }
    /// <inheritdoc/>
    public override string Kind => "locally_connected2d";

    /// <inheritdoc/>
    public override void Apply(ReadOnlySpan<double> x, Span<double> y)
    {
        int K = Geometry.PatchLength, P = Geometry.Positions, O = OutChannels;
        TensorOps.Im2Col(x[..Cols], Geometry, _col);
        Transpose(_col, _rows, K, P);
        var w = Kernel.Data.AsSpan();
        for (int pos = 0; pos < P; pos++)
        {
            var patch = _rows.AsSpan(pos * K, K);
            for (int o = 0; o < O; o++) y[o * P + pos] = TensorPrimitives.Dot(w.Slice((pos * O + o) * K, K), patch);
        }
    }

    /// <inheritdoc/>
    public override void ApplyTranspose(ReadOnlySpan<double> y, Span<double> x)
    {
        int K = Geometry.PatchLength, P = Geometry.Positions, O = OutChannels;
        var w = Kernel.Data.AsSpan();
        Array.Clear(_rows);
        for (int pos = 0; pos < P; pos++)
        {
            var d = _rows.AsSpan(pos * K, K);
            for (int o = 0; o < O; o++) TensorPrimitives.MultiplyAdd(w.Slice((pos * O + o) * K, K), y[o * P + pos], d, d);
        }
        Transpose(_rows, _col, P, K);
        x[..Cols].Clear();
        TensorOps.Col2ImAdd<double>(_col, Geometry, x[..Cols]);
    }

    /// <inheritdoc/>
    public override double Frobenius()
    {
        double total = 0;
        var rows = RowEnergies();
        foreach (double e in rows) total += e;
        return Math.Sqrt(total);
    }

    /// <inheritdoc/>
    public override double RowSum21()
    {
        double total = 0;
        foreach (double e in RowEnergies()) total += Math.Sqrt(e);
        return total;
    }

    // ||T[(o, pos), :]||^2 for every row: the squares of W[pos, o, (c, u, v)] over the taps valid at pos.
    private double[] RowEnergies()
    {
        var g = Geometry;
        int K = g.PatchLength, O = OutChannels, taps = g.KernelH * g.KernelW;
        var w = Kernel.Data;
        var e = new double[O * g.Positions];
        for (int i = 0; i < g.OutH; i++)
        {
            var (u0, u1) = ConvTaps.ValidTaps(i, g.Stride, g.Padding, g.KernelH, g.Height);
            for (int j = 0; j < g.OutW; j++)
            {
                var (v0, v1) = ConvTaps.ValidTaps(j, g.Stride, g.Padding, g.KernelW, g.Width);
                int pos = i * g.OutW + j;
                for (int o = 0; o < O; o++)
                {
                    double s = 0;
                    int baseIndex = (pos * O + o) * K;
                    for (int c = 0; c < g.Channels; c++)
                        for (int u = u0; u < u1; u++)
                            for (int v = v0; v < v1; v++)
                            {
                                double x = w[baseIndex + c * taps + u * g.KernelW + v];
                                s += x * x;
                            }
                    e[o * g.Positions + pos] = s;
                }
            }
        }
        return e;
    }

    // dst (cols, rows) = src (rows, cols) transposed
    private static void Transpose(double[] src, double[] dst, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
    }
}
