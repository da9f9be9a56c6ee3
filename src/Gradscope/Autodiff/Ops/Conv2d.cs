using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// 2-d convolution (cross-correlation, as PyTorch's nn.Conv2d), NCHW:
/// y[n, o, i, j] = b[o] + sum_{c,u,v} W[o, c, u, v] x[n, c, i s - p + u, j s - p + v]
/// with zero padding p and stride s. x (B, C, H, W), W (O, C, kh, kw), b (O) optional, y (B, O, outH, outW).
/// </summary>
/// <remarks>
/// Samples are processed in groups of G, chosen so that a group's (K, G P) column matrix stays within
/// <see cref="GroupBytes"/> (about half an L2 cache): the im2col blocks of a group's samples lie side by side,
/// so each direction is one Gemm per group, with G times wider products than per sample:
/// Y' (O, G P) = W (O, K) col; dW (O, K) += dY' (O, G P) col^T; dcol (K, G P) = W^T dY'.
/// NOTE: results do not depend on the thread count. The group size depends only on the shapes (never on
/// <see cref="Parallelism.Threads"/>), and the weight and bias gradients are summed over groups in
/// <see cref="ReductionChunks"/> fixed chunks of consecutive groups (each chunk in group order into its own
/// buffer), then over chunks in chunk order; threads take whole chunks. So every sum has the same order for
/// 1, 2, 3, ... threads (a partial sum per thread would make the model depend on the thread count).
/// Buffers belong to the node and are reused after a tape reset.
/// </remarks>
public sealed class Conv2dNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Bytes of one group's column (or transposed-output) matrix to aim for (tests lower it).</summary>
    internal static long GroupBytes { get; set; } = 512 * 1024;

    /// <summary>Chunks of groups whose weight/bias gradients are summed separately, then in chunk order (a multiple
    /// of 1, 2, 3, 4, 6 and 8, so that up to 8 threads get equal shares).</summary>
    internal const int ReductionChunks = 24;

    /// <summary>Groups a batch is cut into at least, when it has that many samples: room for up to 8 threads.</summary>
    private const int MinGroups = 8;

    private Node<T> _x = null!, _w = null!;
    private Node<T>? _b;
    private ConvGeometry _g;
    private int _batch, _out, _group, _groups, _chunks;
    private bool _dw, _dx, _db;
    private T[][] _cols = [], _yt = [], _dcols = [], _dwParts = [], _dbParts = [];
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
        int K = _g.PatchLength, P = _g.Positions;
        long perSample = (long)Math.Max(K, _out) * P * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        // at least MinGroups groups (batch permitting), whatever the thread count
        _group = (int)Math.Clamp(GroupBytes / perSample, 1, Math.Max(1, _batch / MinGroups));
        _groups = (_batch + _group - 1) / _group;
        _chunks = Math.Min(_groups, ReductionChunks);
        int parts = Math.Max(1, Math.Min(Parallelism.Threads, _groups));
        _cols = EnsureBuffers(_cols, parts, K * _group * P);
        _yt = EnsureBuffers(_yt, parts, _out * _group * P);
        Parallelism.For(_groups, _forwardPart);
    }

    private void ForwardPart(int part, int parts)
    {
        var (start, end) = Parallelism.Range(_groups, part, parts);
        int K = _g.PatchLength, P = _g.Positions, O = _out;
        var ws = _w.Value.Span;
        for (int grp = start; grp < end; grp++)
        {
            int n0 = grp * _group, gn = Math.Min(_group, _batch - n0), ld = gn * P;
            var cols = _cols[part].AsSpan(0, K * ld); var yt = _yt[part].AsSpan(0, O * ld);
            Im2ColGroup(n0, gn, cols);
            Gemm.Multiply(false, false, O, ld, K, T.One, ws, K, cols, ld, T.Zero, yt, ld);
            // y[n0 + j, o, :] = Y'[o, j P .. j P + P - 1] + b[o]
            var ys = Value.Span;
            var bs = _b is null ? default : _b.Value.Span;
            for (int j = 0; j < gn; j++)
                for (int o = 0; o < O; o++)
                {
                    var src = yt.Slice(o * ld + j * P, P);
                    var dst = ys.Slice(((n0 + j) * O + o) * P, P);
                    if (_b is null) src.CopyTo(dst);
                    else System.Numerics.Tensors.TensorPrimitives.Add(src, bs[o], dst);
                }
        }
    }

    /// <inheritdoc/>
    protected internal override void Backward()
    {
        _dw = _w.RequiresGrad; _dx = _x.RequiresGrad; _db = _b is not null && _b.RequiresGrad;
        if (!_dw && !_dx && !_db) return;
        int K = _g.PatchLength, P = _g.Positions, O = _out;
        int parts = Math.Max(1, Math.Min(Parallelism.Threads, _chunks));
        _cols = EnsureBuffers(_cols, parts, K * _group * P);
        _yt = EnsureBuffers(_yt, parts, O * _group * P);
        if (_dx) _dcols = EnsureBuffers(_dcols, parts, K * _group * P);
        if (_dw) { _dwParts = EnsureBuffers(_dwParts, _chunks, O * K); for (int i = 0; i < _chunks; i++) Array.Clear(_dwParts[i], 0, O * K); }
        if (_db) { _dbParts = EnsureBuffers(_dbParts, _chunks, O); for (int i = 0; i < _chunks; i++) Array.Clear(_dbParts[i], 0, O); }
        Parallelism.For(_chunks, _backwardPart);
        // NOTE: per-chunk gradients are summed in chunk order; chunks do not depend on the thread count.
        if (_dw)
        {
            var gw = _w.Grad!.Span;
            for (int i = 0; i < _chunks; i++) System.Numerics.Tensors.TensorPrimitives.Add(gw, _dwParts[i].AsSpan(0, gw.Length), gw);
        }
        if (_db)
        {
            var gb = _b!.Grad!.Span;
            for (int i = 0; i < _chunks; i++) System.Numerics.Tensors.TensorPrimitives.Add(gb, _dbParts[i].AsSpan(0, O), gb);
        }
    }

    // part: a contiguous range of chunks; chunk: a contiguous range of groups, accumulated into its own buffers
    private void BackwardPart(int part, int parts)
    {
        var (c0, c1) = Parallelism.Range(_chunks, part, parts);
        for (int chunk = c0; chunk < c1; chunk++)
        {
            var (start, end) = Parallelism.Range(_groups, chunk, _chunks);
            BackwardGroups(part, chunk, start, end);
        }
    }

    private void BackwardGroups(int part, int chunk, int start, int end)
    {
        int K = _g.PatchLength, P = _g.Positions, O = _out, xLen = _g.InputLength;
        var ws = _w.Value.Span; var gys = Grad!.Span;
        for (int grp = start; grp < end; grp++)
        {
            int n0 = grp * _group, gn = Math.Min(_group, _batch - n0), ld = gn * P;
            var gyt = _yt[part].AsSpan(0, O * ld);
            // dY'[o, j P .. j P + P - 1] = dy[n0 + j, o, :]
            for (int j = 0; j < gn; j++)
                for (int o = 0; o < O; o++)
                    gys.Slice(((n0 + j) * O + o) * P, P).CopyTo(gyt.Slice(o * ld + j * P, P));
            if (_db)
            {
                var db = _dbParts[chunk];
                for (int o = 0; o < O; o++) db[o] += System.Numerics.Tensors.TensorPrimitives.Sum<T>(gyt.Slice(o * ld, ld));
            }
            if (_dw)
            {
                var cols = _cols[part].AsSpan(0, K * ld);
                Im2ColGroup(n0, gn, cols);
                Gemm.Multiply(false, true, O, K, ld, T.One, gyt, ld, cols, ld, T.One, _dwParts[chunk].AsSpan(0, O * K), K);
            }
            if (_dx)
            {
                var dcols = _dcols[part].AsSpan(0, K * ld);
                Gemm.Multiply(true, false, K, ld, O, T.One, ws, K, gyt, ld, T.Zero, dcols, ld);
                var gx = _x.Grad!.Span;
                for (int j = 0; j < gn; j++)
                    TensorOps.Col2ImAdd<T>(dcols[(j * P)..], _g, gx.Slice((n0 + j) * xLen, xLen), ld);
            }
        }
    }

    // samples n0 .. n0 + gn - 1 side by side: sample n0 + j in columns j P .. j P + P - 1
    private void Im2ColGroup(int n0, int gn, Span<T> cols)
    {
        int P = _g.Positions, xLen = _g.InputLength, ld = gn * P;
        var xs = _x.Value.Span;
        for (int j = 0; j < gn; j++)
            TensorOps.Im2Col(xs.Slice((n0 + j) * xLen, xLen), _g, cols[(j * P)..], ld);
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
