using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// y = x P^T with P = W_L ... W_1: a run of bias-free dense layers with nothing between them (a deep
/// linear net, or its linear stretch), evaluated in the cheaper matrix-chain order. x (B, d_0),
/// W_k (d_k, d_{k-1}) as in PyTorch, y (B, m) with m = d_L.
/// <para>
/// NOTE: layer by layer costs B sum_k d_k d_{k-1} multiply-adds forward (twice that backward); the chain
/// costs m sum_k d_k d_{k-1} + B d_0 m, far less when the chain's output m is narrower than the batch
/// (m = 1 for a binary deep linear net). <see cref="IsCheaper"/> decides. The gradients are the same
/// quantities, summed in another order (rounding differs at the 1e-16 level, deterministically).
/// </para>
/// </summary>
public sealed class LinearChainNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _x = null!;
    private Parameter<T>[] _w = [];
    private bool _wGrad;
    // _suffix[k] = weights[L-1] ... weights[k], shape (m, in-features of weights[k]); _suffix[0] = P.
    private T[][] _suffix = [];
    private T[] _r = [], _rNext = [], _dp = [];

    /// <summary>Multiply-adds of the chain order vs layer by layer, forward and backward together.</summary>
    public static bool IsCheaper(int batch, ReadOnlySpan<int> dims)
    {
        long hidden = 0;
        for (int k = 1; k < dims.Length; k++) hidden += (long)dims[k] * dims[k - 1];
        long m = dims[^1], d0 = dims[0];
        long chain = 3 * m * hidden + 3L * batch * d0 * m;
        long layered = 3L * batch * hidden;
        return chain < layered;
    }

    internal void Setup(Node<T> x, Parameter<T>[] weights, bool gradEnabled)
    {
        var xs = x.Value;
        int layers = weights.Length;
        if (layers < 1) throw new ArgumentException("LinearChain: needs at least one weight.");
        if (xs.Rank != 2 || xs.Shape[1] != weights[0].Shape[1])
            throw new ArgumentException($"LinearChain: input {Tensor<T>.ShapeString(xs.Shape)} does not match the first weight {Tensor<T>.ShapeString(weights[0].Shape)}.");
        for (int k = 1; k < layers; k++)
            if (weights[k].Shape[1] != weights[k - 1].Shape[0])
                throw new ArgumentException($"LinearChain: weight {k} {Tensor<T>.ShapeString(weights[k].Shape)} does not follow weight {k - 1} {Tensor<T>.ShapeString(weights[k - 1].Shape)}.");
        _x = x; _w = weights;
        _wGrad = false;
        foreach (var w in weights) _wGrad |= gradEnabled && w.RequiresGrad;
        int b = xs.Shape[0], d0 = xs.Shape[1], m = weights[^1].Shape[0];
        if (_suffix.Length != layers) _suffix = new T[layers][];
        for (int k = 0; k < layers; k++)
        {
            int dk = weights[k].Shape[1];   // _suffix[k] = weights[L-1] ... weights[k], shape (m, dk)
            if (_suffix[k] is null || _suffix[k].Length != m * dk) _suffix[k] = new T[m * dk];
        }
        // suffix products from the output end: S = W_L; S <- S W_k
        weights[^1].Value.Span.CopyTo(_suffix[layers - 1]);
        for (int k = layers - 2; k >= 0; k--)
        {
            int dk1 = weights[k].Shape[0], dk = weights[k].Shape[1];
            // _suffix[k] (m, dk) = _suffix[k + 1] (m, dk1) . W_k (dk1, dk)
            Gemm.Multiply(false, false, m, dk, dk1, T.One, _suffix[k + 1], dk1, weights[k].Value.Span, dk, T.Zero, _suffix[k].AsSpan(), dk);
        }
        var y = EnsureValue(b, m);
        // y (B, m) = x (B, d0) . P^T (d0, m)
        Gemm.Multiply(false, true, b, m, d0, T.One, xs.Span, d0, _suffix[0], d0, T.Zero, y.Span, m);
        RequiresGrad = x.RequiresGrad || _wGrad;
    }

    /// <inheritdoc/>
    protected internal override void Backward()
    {
        int b = _x.Value.Shape[0], d0 = _x.Value.Shape[1], m = _w[^1].Shape[0], layers = _w.Length;
        var gy = Grad!.Span;
        // dx (B, d0) += gy (B, m) . P (m, d0)
        if (_x.RequiresGrad)
            Gemm.Multiply(false, false, b, d0, m, T.One, gy, m, _suffix[0], d0, T.One, _x.Grad!.Span, d0);
        if (!_wGrad) return;
        // R_1 = dP (m, d0) = gy^T (m, B) . x (B, d0)
        Ensure(ref _dp, m * d0);
        Gemm.Multiply(true, false, m, d0, b, T.One, gy, m, _x.Value.Span, d0, T.Zero, _dp.AsSpan(), d0);
        var r = _dp;
        for (int k = 0; k < layers; k++)
        {
            var w = _w[k];
            int dout = w.Shape[0], din = w.Shape[1];
            // dW_k (dout, din) += S_{k+1}^T (dout, m) . R_k (m, din), with S_{L+1} = I: dW_L += R_L
            if (w.RequiresGrad)
            {
                if (k == layers - 1) TensorOps.Add<T>(w.Grad.Span, r.AsSpan(0, dout * din), w.Grad.Span);
                else Gemm.Multiply(true, false, dout, din, m, T.One, _suffix[k + 1], dout, r, din, T.One, w.Grad.Span, din);
            }
            if (k == layers - 1) break;
            // R_{k+1} (m, dout) = R_k (m, din) . W_k^T (din, dout), into the buffer R_k does not occupy
            ref T[] next = ref (k % 2 == 0 ? ref _r : ref _rNext);
            Ensure(ref next, m * dout);
            Gemm.Multiply(false, true, m, dout, din, T.One, r, din, w.Value.Span, din, T.Zero, next.AsSpan(0, m * dout), dout);
            r = next;
        }
    }

    private static void Ensure(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[length];
    }
}

public static partial class Ops
{
    /// <summary>y = x (W_L ... W_1)^T for a run of bias-free dense layers (see <see cref="LinearChainNode{T}"/>).</summary>
    public static Node<T> LinearChain<T>(this Tape<T> tape, Node<T> x, Parameter<T>[] weights) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<LinearChainNode<T>>();
        n.Setup(x, weights, tape.GradEnabled);
        return n;
    }
}
