using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// Average pooling, NCHW: y[n, c, i, j] = (1 / k^2) sum_{u,v &lt; k} x[n, c, i s - p + u, j s - p + v] with zero
/// padding counted in the average (PyTorch's count_include_pad = True). x (B, C, H, W), y (B, C, outH, outW).
/// </summary>
public sealed class AvgPool2dNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;
    private ConvGeometry _g;
    private int _planes;

    internal void Setup(Node<T> x, int kernel, int stride, int padding)
    {
        var xs = x.Value;
        if (xs.Rank != 4) throw new ArgumentException($"AvgPool2d: input {Tensor<T>.ShapeString(xs.Shape)}, expected (B, C, H, W).");
        _g = new ConvGeometry(1, xs.Shape[2], xs.Shape[3], kernel, kernel, stride, padding);
        _g.Validate("AvgPool2d");
        if (2 * padding > kernel) throw new ArgumentException($"AvgPool2d: padding {padding} exceeds half the kernel {kernel}.");
        _x = x;
        _planes = xs.Shape[0] * xs.Shape[1];
        var y = EnsureValue(xs.Shape[0], xs.Shape[1], _g.OutH, _g.OutW).Span;
        var xv = xs.Span;
        int H = _g.Height, W = _g.Width, oh = _g.OutH, ow = _g.OutW, k = kernel, s = stride, p = padding;
        T inv = T.One / T.CreateChecked(k * k);
        for (int pl = 0; pl < _planes; pl++)
        {
            var xp = xv.Slice(pl * H * W, H * W); var yp = y.Slice(pl * oh * ow, oh * ow);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    T acc = T.Zero;
                    for (int u = 0; u < k; u++)
                    {
                        int hi = i * s - p + u;
                        if (hi < 0 || hi >= H) continue;
                        for (int v = 0; v < k; v++)
                        {
                            int wi = j * s - p + v;
                            if (wi >= 0 && wi < W) acc += xp[hi * W + wi];
                        }
                    }
                    yp[i * ow + j] = acc * inv;
                }
        }
        RequiresGrad = x.RequiresGrad;
    }

    // dx[window of (i, j)] += gy[i, j] / k^2 (each window element gets an equal share)
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        var gy = Grad!.Span; var gx = _x.Grad!.Span;
        int H = _g.Height, W = _g.Width, oh = _g.OutH, ow = _g.OutW, k = _g.KernelH, s = _g.Stride, p = _g.Padding;
        T inv = T.One / T.CreateChecked(k * k);
        for (int pl = 0; pl < _planes; pl++)
        {
            var gp = gx.Slice(pl * H * W, H * W); var yp = gy.Slice(pl * oh * ow, oh * ow);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    T g = yp[i * ow + j] * inv;
                    for (int u = 0; u < k; u++)
                    {
                        int hi = i * s - p + u;
                        if (hi < 0 || hi >= H) continue;
                        for (int v = 0; v < k; v++)
                        {
                            int wi = j * s - p + v;
                            if (wi >= 0 && wi < W) gp[hi * W + wi] += g;
                        }
                    }
                }
        }
    }
}

public static partial class Ops
{
    /// <summary>Average pooling with a k x k window, stride (default k) and zero padding counted in the mean.</summary>
    /// <exception cref="ArgumentException">x is not (B, C, H, W) or the window does not fit.</exception>
    public static Node<T> AvgPool2d<T>(this Tape<T> tape, Node<T> x, int kernel, int? stride = null, int padding = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<AvgPool2dNode<T>>();
        n.Setup(x, kernel, stride ?? kernel, padding);
        return n;
    }
}
