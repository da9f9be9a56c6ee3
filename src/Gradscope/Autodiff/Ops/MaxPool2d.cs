using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// Max pooling, NCHW: y[n, c, i, j] = max_{u,v &lt; k} x[n, c, i s - p + u, j s - p + v], padding never chosen
/// (PyTorch's implicit -inf padding). x (B, C, H, W), y (B, C, outH, outW). Positively homogeneous.
/// </summary>
public sealed class MaxPool2dNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;
    private ConvGeometry _g;
    private int[] _argmax = [];   // per output element: the flat index of its maximum within the plane

    internal void Setup(Node<T> x, int kernel, int stride, int padding)
    {
        var xs = x.Value;
        if (xs.Rank != 4) throw new ArgumentException($"MaxPool2d: input {Tensor<T>.ShapeString(xs.Shape)}, expected (B, C, H, W).");
        _g = new ConvGeometry(1, xs.Shape[2], xs.Shape[3], kernel, kernel, stride, padding);
        _g.Validate("MaxPool2d");
        if (2 * padding > kernel) throw new ArgumentException($"MaxPool2d: padding {padding} exceeds half the kernel {kernel}.");
        _x = x;
        int planes = xs.Shape[0] * xs.Shape[1];
        int H = _g.Height, W = _g.Width, oh = _g.OutH, ow = _g.OutW, k = kernel, s = stride, p = padding;
        var y = EnsureValue(xs.Shape[0], xs.Shape[1], oh, ow).Span;
        if (_argmax.Length != planes * oh * ow) _argmax = new int[planes * oh * ow];
        var xv = xs.Span;
        for (int pl = 0; pl < planes; pl++)
        {
            var xp = xv.Slice(pl * H * W, H * W);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    // NOTE: the first maximum in row-major window order wins a tie, as in PyTorch's CPU kernel;
                    // a NaN wins over any number, so it propagates
                    int best = -1; T bestValue = T.Zero;
                    for (int u = 0; u < k; u++)
                    {
                        int hi = i * s - p + u;
                        if (hi < 0 || hi >= H) continue;
                        for (int v = 0; v < k; v++)
                        {
                            int wi = j * s - p + v;
                            if (wi < 0 || wi >= W) continue;
                            T value = xp[hi * W + wi];
                            if (best < 0 || value > bestValue || (T.IsNaN(value) && !T.IsNaN(bestValue))) { best = hi * W + wi; bestValue = value; }
                        }
                    }
                    int o = pl * oh * ow + i * ow + j;
                    _argmax[o] = best;
                    y[o] = bestValue;
                }
        }
        RequiresGrad = x.RequiresGrad;
    }

    // dx[argmax of (i, j)] += gy[i, j]: the gradient flows to the chosen element only
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        if (!_x.RequiresGrad) return;
        var gy = Grad!.Span; var gx = _x.Grad!.Span;
        int plane = _g.Height * _g.Width, outPlane = _g.OutH * _g.OutW;
        for (int o = 0; o < _argmax.Length; o++)
            gx[o / outPlane * plane + _argmax[o]] += gy[o];
    }
}

public static partial class Ops
{
    /// <summary>Max pooling with a k x k window, stride (default k) and implicit -inf padding.</summary>
    /// <exception cref="ArgumentException">x is not (B, C, H, W) or the window does not fit.</exception>
    public static Node<T> MaxPool2d<T>(this Tape<T> tape, Node<T> x, int kernel, int? stride = null, int padding = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<MaxPool2dNode<T>>();
        n.Setup(x, kernel, stride ?? kernel, padding);
        return n;
    }
}
