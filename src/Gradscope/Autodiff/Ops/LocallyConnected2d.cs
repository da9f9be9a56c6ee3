using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// Locally connected 2-d layer (THEORY.md section 1): a convolution whose filters are not shared across
/// positions. With P = outH outW positions and patch length K = C kh kw,
/// y[n, o, i, j] = b[o, i, j] + sum_k W[i outW + j, o, k] col_n[k, i outW + j],
/// where col_n is the im2col matrix of sample n (k = (c kh + u) kw + v indexes x[n, c, i s - p + u, j s - p + v]).
/// x (B, C, H, W), W (P, O, K), b (O, outH, outW) optional, y (B, O, outH, outW).
/// With W[pos] equal to a conv filter reshaped (O, K) at every position this is exactly Conv2d.
/// NOTE: the weight gradient is summed over samples in <see cref="ReductionChunks"/> fixed chunks of consecutive
/// samples (each in sample order into its own buffer), then over chunks in order; threads take whole chunks, so
/// results do not depend on the thread count.
/// </summary>
public sealed class LocallyConnected2dNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!, _w = null!;
    private Node<T>? _b;
    private ConvGeometry _g;
    private int _batch, _out, _chunks;

    /// <summary>Chunks of samples whose weight gradients are summed separately, then in chunk order (W is P O K, so
    /// fewer than Conv2d's; equal shares for 1, 2, 4 and 8 threads).</summary>
    internal const int ReductionChunks = 8;
    private T[][] _cols = [], _rows = [], _drows = [], _dw = [];
    private readonly Action<int, int> _forwardPart, _backwardPart;

    /// <summary>Creates an empty node (the tape reuses it).</summary>
    public LocallyConnected2dNode()
    {
        _forwardPart = ForwardPart;
        _backwardPart = BackwardPart;
    }

    internal void Setup(Node<T> x, Node<T> w, Node<T>? b, int kernelH, int kernelW, int stride, int padding)
    {
        var xs = x.Value; var ws = w.Value;
        if (xs.Rank != 4)
            throw new ArgumentException($"LocallyConnected2d: input {Tensor<T>.ShapeString(xs.Shape)}, expected (B, C, H, W).");
        _g = new ConvGeometry(xs.Shape[1], xs.Shape[2], xs.Shape[3], kernelH, kernelW, stride, padding);
        _g.Validate("LocallyConnected2d");
        int P = _g.Positions, K = _g.PatchLength;
        if (ws.Rank != 3 || ws.Shape[0] != P || ws.Shape[2] != K)
            throw new ArgumentException($"LocallyConnected2d: weight {Tensor<T>.ShapeString(ws.Shape)} does not match input {Tensor<T>.ShapeString(xs.Shape)}; expected (P = {P}, O, K = {K}).");
        _out = ws.Shape[1];
        if (b is not null && !b.Value.HasShape([_out, _g.OutH, _g.OutW]))
            throw new ArgumentException($"LocallyConnected2d: bias {Tensor<T>.ShapeString(b.Value.Shape)}, expected ({_out}, {_g.OutH}, {_g.OutW}).");
        _x = x; _w = w; _b = b;
        _batch = xs.Shape[0];
        EnsureValue(_batch, _out, _g.OutH, _g.OutW);
        RequiresGrad = x.RequiresGrad || w.RequiresGrad || (b?.RequiresGrad ?? false);
        int parts = Math.Max(1, Math.Min(Parallelism.Threads, _batch));
        _cols = Conv2dNode<T>.EnsureBuffers(_cols, parts, K * P);
        _rows = Conv2dNode<T>.EnsureBuffers(_rows, parts, K * P);
        Parallelism.For(_batch, _forwardPart);
    }

    // rows (P, K) = col (K, P) transposed: row pos is the patch seen by output position pos.
    private void Patches(int n, int part)
    {
        int K = _g.PatchLength, P = _g.Positions, xLen = _g.InputLength;
        var col = _cols[part].AsSpan(0, K * P); var rows = _rows[part].AsSpan(0, K * P);
        TensorOps.Im2Col(_x.Value.Span.Slice(n * xLen, xLen), _g, col);
        for (int k = 0; k < K; k++)
            for (int pos = 0; pos < P; pos++) rows[pos * K + k] = col[k * P + pos];
    }

    private void ForwardPart(int part, int parts)
    {
        var (start, end) = Parallelism.Range(_batch, part, parts);
        int K = _g.PatchLength, P = _g.Positions, yLen = _out * P;
        var ws = _w.Value.Span; var ys = Value.Span;
        for (int n = start; n < end; n++)
        {
            Patches(n, part);
            var rows = _rows[part].AsSpan(0, K * P);
            var y = ys.Slice(n * yLen, yLen);
            for (int pos = 0; pos < P; pos++)
            {
                var patch = rows.Slice(pos * K, K);
                for (int o = 0; o < _out; o++) y[o * P + pos] = TP.Dot(ws.Slice((pos * _out + o) * K, K), patch);
            }
            if (_b is not null) TP.Add(y, _b.Value.Span, y);
        }
    }

    /// <inheritdoc/>
    protected internal override void Backward()
    {
        _chunks = Math.Max(1, Math.Min(_batch, ReductionChunks));
        int parts = Math.Max(1, Math.Min(Parallelism.Threads, _chunks));
        int K = _g.PatchLength, P = _g.Positions;
        _cols = Conv2dNode<T>.EnsureBuffers(_cols, parts, K * P);
        _rows = Conv2dNode<T>.EnsureBuffers(_rows, parts, K * P);
        if (_x.RequiresGrad) _drows = Conv2dNode<T>.EnsureBuffers(_drows, parts, K * P);
        if (_w.RequiresGrad)
        {
            _dw = Conv2dNode<T>.EnsureBuffers(_dw, _chunks, _w.Value.Length);
            for (int i = 0; i < _chunks; i++) Array.Clear(_dw[i]);
        }
        if (_x.RequiresGrad || _w.RequiresGrad) Parallelism.For(_chunks, _backwardPart);
        // NOTE: per-chunk weight gradients are summed in chunk order; chunks do not depend on the thread count.
        if (_w.RequiresGrad)
        {
            var gw = _w.Grad!.Span;
            for (int i = 0; i < _chunks; i++) TP.Add(gw, _dw[i].AsSpan(0, gw.Length), gw);
        }
        if (_b is not null && _b.RequiresGrad)
        {
            var gy = Grad!.Span; var gb = _b.Grad!.Span; int yLen = gb.Length;
            for (int n = 0; n < _batch; n++) TP.Add(gb, gy.Slice(n * yLen, yLen), gb);
        }
    }

    private void BackwardPart(int part, int parts)
    {
        var (c0, c1) = Parallelism.Range(_chunks, part, parts);
        for (int chunk = c0; chunk < c1; chunk++)
        {
            var (start, end) = Parallelism.Range(_batch, chunk, _chunks);
            BackwardSamples(part, chunk, start, end);
        }
    }

    private void BackwardSamples(int part, int chunk, int start, int end)
    {
        int K = _g.PatchLength, P = _g.Positions, xLen = _g.InputLength, yLen = _out * P;
        var ws = _w.Value.Span; var gys = Grad!.Span;
        for (int n = start; n < end; n++)
        {
            var gy = gys.Slice(n * yLen, yLen);   // (O, P)
            if (_w.RequiresGrad)
            {
                Patches(n, part);
                var rows = _rows[part].AsSpan(0, K * P); var dw = _dw[chunk].AsSpan(0, ws.Length);
                // dW[pos, o, :] += gy[o, pos] patch_pos
                for (int pos = 0; pos < P; pos++)
                    for (int o = 0; o < _out; o++)
                    {
                        var d = dw.Slice((pos * _out + o) * K, K);
                        TP.MultiplyAdd(rows.Slice(pos * K, K), gy[o * P + pos], d, d);
                    }
            }
            if (_x.RequiresGrad)
            {
                var drows = _drows[part].AsSpan(0, K * P); var dcol = _cols[part].AsSpan(0, K * P);
                drows.Clear();
                // dpatch_pos += sum_o gy[o, pos] W[pos, o, :]; then col2im of its transpose
                for (int pos = 0; pos < P; pos++)
                {
                    var d = drows.Slice(pos * K, K);
                    for (int o = 0; o < _out; o++) TP.MultiplyAdd(ws.Slice((pos * _out + o) * K, K), gy[o * P + pos], d, d);
                }
                for (int k = 0; k < K; k++)
                    for (int pos = 0; pos < P; pos++) dcol[k * P + pos] = drows[pos * K + k];
                TensorOps.Col2ImAdd<T>(dcol, _g, _x.Grad!.Span.Slice(n * xLen, xLen));
            }
        }
    }
}

public static partial class Ops
{
    /// <summary>
    /// Locally connected 2-d layer (unshared convolution) of x (B, C, H, W) with W (P, O, C kh kw), kernel kh x kw,
    /// stride and zero padding, plus an optional bias (O, outH, outW); returns (B, O, outH, outW).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match the geometry.</exception>
    public static Node<T> LocallyConnected2d<T>(this Tape<T> tape, Node<T> x, Node<T> w, Node<T>? bias, int kernelH, int kernelW, int stride = 1, int padding = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<LocallyConnected2dNode<T>>();
        n.Setup(x, w, bias, kernelH, kernelW, stride, padding);
        return n;
    }
}
