using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// 2-d convolution (cross-correlation, as PyTorch's nn.Conv2d), NCHW:
/// y[n, o, i, j] = b[o] + sum_{c,u,v} W[o, c, u, v] x[n, c, i s - p + u, j s - p + v]
/// with zero padding p and stride s. x (B, C, H, W), W (O, C, kh, kw), b (O) optional, y (B, O, outH, outW).
/// Computed per sample as im2col + Gemm: y_n (O, P) = W (O, K) col_n (K, P); the column buffers
/// belong to the node and are reused after a tape reset.
/// </summary>
public sealed class Conv2dNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!, _w = null!;
    private Node<T>? _b;
    private ConvGeometry _g;
    private int _batch, _out;
    private T[][] _cols = [], _dcols = [], _dw = [];
    private readonly Action<int, int> _forwardPart, _backwardPart;

    /// <summary>Creates an empty node (the tape reuses it).</summary>
    public Conv2dNode()
    {
        _forwardPart = ForwardPart;
        _backwardPart = BackwardPart;
    }

    internal void Setup(Node<T> x, Node<T> w, Node<T>? b, int stride, int padding)
    {
        var xs = x.Value; var ws = w.Value;
        if (xs.Rank != 4 || ws.Rank != 4 || xs.Shape[1] != ws.Shape[1])
            throw new ArgumentException($"Conv2d: input {Tensor<T>.ShapeString(xs.Shape)} does not match weight {Tensor<T>.ShapeString(ws.Shape)}; expected input (B, {(ws.Rank == 4 ? ws.Shape[1] : -1)}, H, W) and weight (O, C, kh, kw).");
        if (b is not null && (b.Value.Rank != 1 || b.Value.Length != ws.Shape[0]))
            throw new ArgumentException($"Conv2d: bias {Tensor<T>.ShapeString(b.Value.Shape)} does not match weight {Tensor<T>.ShapeString(ws.Shape)}; expected ({ws.Shape[0]}).");
        _g = new ConvGeometry(xs.Shape[1], xs.Shape[2], xs.Shape[3], ws.Shape[2], ws.Shape[3], stride, padding);
        _g.Validate("Conv2d");
        _x = x; _w = w; _b = b;
        _batch = xs.Shape[0]; _out = ws.Shape[0];
        EnsureValue(_batch, _out, _g.OutH, _g.OutW);
        RequiresGrad = x.RequiresGrad || w.RequiresGrad || (b?.RequiresGrad ?? false);
        int parts = Math.Max(1, Math.Min(Parallelism.Threads, _batch));
        int colLen = _g.PatchLength * _g.Positions;
        _cols = EnsureBuffers(_cols, parts, colLen);
        Parallelism.For(_batch, _forwardPart);
    }

    private void ForwardPart(int part, int parts)
    {
        var (start, end) = Parallelism.Range(_batch, part, parts);
        int K = _g.PatchLength, P = _g.Positions, xLen = _g.InputLength, yLen = _out * P;
        var col = _cols[part].AsSpan(0, K * P);
        var xs = _x.Value.Span; var ws = _w.Value.Span; var ys = Value.Span;
        for (int n = start; n < end; n++)
        {
            TensorOps.Im2Col(xs.Slice(n * xLen, xLen), _g, col);
            var y = ys.Slice(n * yLen, yLen);
            Gemm.Multiply(false, false, _out, P, K, T.One, ws, K, col, P, T.Zero, y, P);
            if (_b is not null)
            {
                var bs = _b.Value.Span;
                for (int o = 0; o < _out; o++)
                {
                    var row = y.Slice(o * P, P);
                    System.Numerics.Tensors.TensorPrimitives.Add(row, bs[o], row);
                }
            }
        }
    }

    /// <inheritdoc/>
    protected internal override void Backward()
    {
        int parts = Math.Max(1, Math.Min(Parallelism.Threads, _batch));
        int K = _g.PatchLength, P = _g.Positions;
        if (_x.RequiresGrad) _dcols = EnsureBuffers(_dcols, parts, K * P);
        if (_w.RequiresGrad)
        {
            _dw = EnsureBuffers(_dw, parts, _out * K);
            for (int i = 0; i < parts; i++) Array.Clear(_dw[i]);
        }
        if (_x.RequiresGrad || _w.RequiresGrad) Parallelism.For(_batch, _backwardPart);
        // NOTE: per-part weight gradients are summed in part order, so results depend only on the thread count.
        if (_w.RequiresGrad)
        {
            var gw = _w.Grad!.Span;
            for (int i = 0; i < parts; i++) System.Numerics.Tensors.TensorPrimitives.Add(gw, _dw[i].AsSpan(0, gw.Length), gw);
        }
        if (_b is not null && _b.RequiresGrad)
        {
            var gy = Grad!.Span; var gb = _b.Grad!.Span;
            for (int n = 0; n < _batch; n++)
                for (int o = 0; o < _out; o++)
                    gb[o] += System.Numerics.Tensors.TensorPrimitives.Sum<T>(gy.Slice((n * _out + o) * P, P));
        }
    }

    private void BackwardPart(int part, int parts)
    {
        var (start, end) = Parallelism.Range(_batch, part, parts);
        int K = _g.PatchLength, P = _g.Positions, xLen = _g.InputLength, yLen = _out * P;
        var xs = _x.Value.Span; var ws = _w.Value.Span; var gys = Grad!.Span;
        for (int n = start; n < end; n++)
        {
            var gy = gys.Slice(n * yLen, yLen);   // (O, P)
            if (_w.RequiresGrad)
            {
                var col = _cols[part].AsSpan(0, K * P);
                TensorOps.Im2Col(xs.Slice(n * xLen, xLen), _g, col);
                // dW (O, K) += gy (O, P) col^T (P, K)
                Gemm.Multiply(false, true, _out, K, P, T.One, gy, P, col, P, T.One, _dw[part].AsSpan(0, _out * K), K);
            }
            if (_x.RequiresGrad)
            {
                var dcol = _dcols[part].AsSpan(0, K * P);
                // dcol (K, P) = W^T (K, O) gy (O, P); dx += col2im(dcol)
                Gemm.Multiply(true, false, K, P, _out, T.One, ws, K, gy, P, T.Zero, dcol, P);
                TensorOps.Col2ImAdd<T>(dcol, _g, _x.Grad!.Span.Slice(n * xLen, xLen));
            }
        }
    }

    internal static T[][] EnsureBuffers(T[][] buffers, int parts, int length)
    {
        if (buffers.Length < parts) Array.Resize(ref buffers, parts);
        for (int i = 0; i < parts; i++)
            if (buffers[i] is null || buffers[i].Length < length) buffers[i] = new T[length];
        return buffers;
    }
}

public static partial class Ops
{
    /// <summary>
    /// 2-d convolution of x (B, C, H, W) with W (O, C, kh, kw), stride and zero padding, plus an optional
    /// per-channel bias (O); returns (B, O, outH, outW).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match or the kernel does not fit the padded input.</exception>
    public static Node<T> Conv2d<T>(this Tape<T> tape, Node<T> x, Node<T> w, Node<T>? bias = null, int stride = 1, int padding = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<Conv2dNode<T>>();
        n.Setup(x, w, bias, stride, padding);
        return n;
    }
}
