using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Measures;

using Gradscope.Tensors;

/// <summary>y = A x in float32 for a symmetric linear operator A (both spans of the operator's dimension, not overlapping).</summary>
public delegate void SingleOperator(ReadOnlySpan<float> x, Span<float> y);

/// <summary>
/// The Lanczos iteration of <see cref="Lanczos"/> with local reorthogonalization, for an operator that computes in float32 (the
/// Hessian of an f32 model, <see cref="HessianVectorProduct.ApplySingle"/>): the basis vectors are kept in float32, every inner
/// product and the recurrence run in double, and a step makes two passes over memory. The vectors live here and are reused by
/// every run (the probes of SLQ).
/// </summary>
/// <remarks>
/// The basis vectors are stored unnormalized as x_i = fl32(w_i) with q_i = x_i / beta_{i-1} (q_1 = x_1 / ||x_1||), so no pass
/// divides a vector; the operator is applied to x_j and its image scaled by 1 / beta_{j-1}. A step j, chunk by chunk (a chunk
/// of the residual w stays in cache while the stored vectors stream past):
/// pass 1 forms w = A q_j - beta_{j-1} q_{j-1} and its inner products with q_j, q_{j-1} and the <see cref="Window"/> older
/// vectors; alpha_j = q_j^T w (Paige's modified form, equal to q_j^T A q_j as q_j is orthogonal to q_{j-1});
/// pass 2 forms w again (the same operations, so the same values), subtracts its projection on all of them (classical
/// Gram-Schmidt: the recurrence and the reorthogonalization in one), sums ||w||^2 = beta_j^2 and stores fl32(w) as x_{j+1}
/// (over the oldest vector, whose chunk it has just read).
/// Memory: <see cref="Window"/> + 2 float32 vectors and A x_j in float32: with the window of 4, 7 copies of an f32 model's weights.
/// NOTE (float32 basis): the operator computes in float32 and sees float32 input in any case (its relative error, about 1e-7
/// to 1e-6, already bounds what the tridiagonal can resolve); storing the basis in float32 adds a rounding of 2^-24 to each
/// q_j, below that error, and each residual is still orthogonalized in double against the stored vectors. Runs with full
/// reorthogonalization in double on the same probe agree to about 1e-7 of ||A|| (SingleLanczosTests).
/// NOTE (determinism): the vectors are cut into fixed blocks of <see cref="Block"/> entries whatever the thread count; each block's
/// partial sums are kept apart and added in block order, so the result is bit-identical for any number of threads.
/// </remarks>
public sealed class SingleLanczos
{
    private const int Chunk = 2048;

    /// <summary>Entries per block of the parallel passes (a multiple of the 2048-entry chunk).</summary>
    public const int Block = 16 * Chunk;

    /// <summary>
    /// beta_j &lt;= this x (|alpha_1| + beta_1 + ... ) ends a run (an invariant Krylov space). NOTE: 1e-6 (about 8 float32 epsilons)
    /// rather than the 1e-12 of <see cref="Lanczos"/>: the operator sees float32 vectors, whose rounding alone leaves a residual of
    /// about 6e-8 |A| outside any invariant space, so a smaller beta is below what float32 products can resolve.
    /// </summary>
    public const double Breakdown = 1e-6;

    private readonly float[][] _ring;  // x_i for i = j - window - 1 .. j, slot i % (window + 2)
    private readonly double[] _scale;  // per slot: q_i = x_i * scale
    private readonly float[] _hv;
    private readonly int _blocks, _k;
    private readonly double[] _partial; // per block: k partial sums
    private readonly double[] _c;
    private readonly Action<int, int> _pass1, _pass2;
    // the current step, read by the pass bodies
    private int _j, _old;
    private double _a, _b;             // w = _a hv - _b x_{j-1}

    /// <summary>A run's vectors for order <paramref name="dimension"/>, reorthogonalizing against <paramref name="window"/> older vectors.</summary>
    public SingleLanczos(int dimension, int window)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "SingleLanczos: the dimension must be >= 1.");
        if (window < 0) throw new ArgumentOutOfRangeException(nameof(window), window, "SingleLanczos: the window must be >= 0.");
        Dimension = dimension; Window = window;
        _ring = new float[window + 2][];
        for (int i = 0; i < _ring.Length; i++) _ring[i] = new float[dimension];
        _scale = new double[window + 2];
        _hv = new float[dimension];
        _k = window + 2;
        _blocks = (dimension + Block - 1) / Block;
        _partial = new double[_blocks * _k];
        _c = new double[_k];
        _pass1 = (part, parts) => Pass1(part, parts);
        _pass2 = (part, parts) => Pass2(part, parts);
    }

    /// <summary>Order P of the operator.</summary>
    public int Dimension { get; }

    /// <summary>Older vectors (beyond q_j and q_{j-1}) each residual is reorthogonalized against.</summary>
    public int Window { get; }

    /// <summary>The start vector of the next <see cref="Run"/> (length P, float32): fill it in place (any nonzero vector; normalized by the run).</summary>
    public Span<float> Start => _ring[0];

    private int Slot(int i) => i % _ring.Length;

    /// <summary>
    /// At most <paramref name="steps"/> steps (and at most P) of Lanczos on <paramref name="a"/> from <see cref="Start"/>; stops early
    /// when beta_j &lt;= <see cref="Breakdown"/> (|alpha_1| + beta_1 + ...).
    /// </summary>
    public LanczosTridiagonal Run(SingleOperator a, int steps)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Lanczos: steps must be >= 1.");
        int m = Math.Min(steps, Dimension);
        double norm0 = Math.Sqrt(SumOfSquares(_ring[0]));
        if (!(norm0 > 0) || !double.IsFinite(norm0)) throw new ArgumentException("Lanczos: the start vector is zero or not finite.");
        _scale[0] = 1 / norm0;
        var alpha = new List<double>(m);
        var beta = new List<double>(m);
        double scale = 0, lastBeta = 0;
        for (int j = 0; j < m; j++)
        {
            a(_ring[Slot(j)], _hv);
            double bPrev = j > 0 ? beta[j - 1] : 0;
            _j = j; _old = Math.Max(0, Math.Min(j - 1, Window));
            _a = _scale[Slot(j)]; _b = j > 0 ? bPrev * _scale[Slot(j - 1)] : 0;
            // pass 1: c = (q_j, q_{j-1}, q_{j-2}, ...)^T w
            Parallelism.For(_blocks, _pass1);
            Sum();
            for (int i = 0; i < _k; i++) _c[i] = i == 1 && j == 0 ? 0 : _c[i] * _scale[VectorSlot(i)];
            double aj = _c[0];
            alpha.Add(aj);
            // pass 2: w -= Q c, ||w||^2, x_{j+1} = fl32(w)
            Parallelism.For(_blocks, _pass2);
            double nrm2 = 0;
            for (int b = 0; b < _blocks; b++) nrm2 += _partial[b * _k];
            double bj = Math.Sqrt(nrm2);
            scale += Math.Abs(aj) + bPrev;
            lastBeta = bj;
            if (!double.IsFinite(aj) || !double.IsFinite(bj)) throw new ArithmeticException($"Lanczos: step {j + 1} produced a non-finite value (alpha = {aj}, beta = {bj}).");
            if (j == m - 1) break;
            if (bj <= Breakdown * scale) { lastBeta = 0; break; }
            beta.Add(bj);
            _scale[Slot(j + 1)] = 1 / bj;
        }
        return new LanczosTridiagonal(alpha.ToArray(), beta.ToArray(), lastBeta);
    }

    // c_i = sum over blocks, in block order; c_0 belongs to x_j, c_1 to x_{j-1}, c_{1+i} to x_{j-1-i}.
    private void Sum()
    {
        Array.Clear(_c);
        for (int b = 0; b < _blocks; b++)
            for (int i = 0; i < _k; i++) _c[i] += _partial[b * _k + i];
    }

    // The slot of the stored vector whose coefficient is c_i.
    private int VectorSlot(int i) => Slot(_j - i + _ring.Length);

    private void Pass1(int part, int parts)
    {
        var (b0, b1) = Parallelism.Range(_blocks, part, parts);
        Span<double> buffer = stackalloc double[Chunk];
        int p = Dimension, terms = 2 + _old;
        for (int b = b0; b < b1; b++)
        {
            var sums = _partial.AsSpan(b * _k, _k);
            sums.Clear();
            for (int c0 = b * Block, end = Math.Min(p, c0 + Block); c0 < end; c0 += Chunk)
            {
                int len = Math.Min(Chunk, end - c0);
                var w = buffer[..len];
                Residual(c0, w);
                for (int i = 0; i < terms; i++)
                    if (i != 1 || _j > 0) sums[i] += Lanczos.Dot(_ring[VectorSlot(i)].AsSpan(c0, len), w);
            }
        }
    }

    private void Pass2(int part, int parts)
    {
        var (b0, b1) = Parallelism.Range(_blocks, part, parts);
        Span<double> buffer = stackalloc double[Chunk];
        int p = Dimension, terms = 2 + _old;
        var next = _ring[Slot(_j + 1)];
        for (int b = b0; b < b1; b++)
        {
            double nrm2 = 0;
            for (int c0 = b * Block, end = Math.Min(p, c0 + Block); c0 < end; c0 += Chunk)
            {
                int len = Math.Min(Chunk, end - c0);
                var w = buffer[..len];
                Residual(c0, w);
                for (int i = 0; i < terms; i++)
                    if (i != 1 || _j > 0) Lanczos.Axpy(-_c[i] * _scale[VectorSlot(i)], _ring[VectorSlot(i)].AsSpan(c0, len), w);
                nrm2 += TensorPrimitives.SumOfSquares<double>(w);
                // NOTE: the oldest vector's slot is the next vector's: its chunk was read just above.
                Round(w, next.AsSpan(c0, len));
            }
            _partial[b * _k] = nrm2;
        }
    }

    /// <summary>w = a hv - b x_{j-1} on the chunk at <paramref name="c0"/> (hv only for the first step).</summary>
    private void Residual(int c0, Span<double> w)
    {
        int len = w.Length;
        ReadOnlySpan<float> hv = _hv.AsSpan(c0, len);
        ReadOnlySpan<float> prev = _j > 0 ? _ring[Slot(_j - 1)].AsSpan(c0, len) : hv;
        double a = _a, b = _j > 0 ? _b : 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            ref float rh = ref MemoryMarshal.GetReference(hv);
            ref float rp = ref MemoryMarshal.GetReference(prev);
            ref double rw = ref MemoryMarshal.GetReference(w);
            for (; i + 8 <= len; i += 8)
            {
                var (hlo, hhi) = Vector256.Widen(Vector256.LoadUnsafe(ref rh, (nuint)i));
                var (plo, phi) = Vector256.Widen(Vector256.LoadUnsafe(ref rp, (nuint)i));
                (va * hlo - vb * plo).StoreUnsafe(ref rw, (nuint)i);
                (va * hhi - vb * phi).StoreUnsafe(ref rw, (nuint)(i + 4));
            }
        }
        for (; i < len; i++) w[i] = a * hv[i] - b * (double)prev[i];
    }

    /// <summary>f = fl32(w).</summary>
    private static void Round(ReadOnlySpan<double> w, Span<float> f)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double rw = ref MemoryMarshal.GetReference(w);
            ref float rf = ref MemoryMarshal.GetReference(f);
            for (; i + 8 <= w.Length; i += 8)
                Vector256.Narrow(Vector256.LoadUnsafe(ref rw, (nuint)i), Vector256.LoadUnsafe(ref rw, (nuint)(i + 4))).StoreUnsafe(ref rf, (nuint)i);
        }
        for (; i < w.Length; i++) f[i] = (float)w[i];
    }

    /// <summary>sum x_i^2 in double.</summary>
    private static double SumOfSquares(ReadOnlySpan<float> x)
    {
        Span<double> buffer = stackalloc double[Chunk];
        double s = 0;
        for (int c0 = 0; c0 < x.Length; c0 += Chunk)
        {
            int len = Math.Min(Chunk, x.Length - c0);
            var chunk = x.Slice(c0, len);
            for (int i = 0; i < len; i++) buffer[i] = chunk[i];
            s += TensorPrimitives.SumOfSquares<double>(buffer[..len]);
        }
        return s;
    }
}
