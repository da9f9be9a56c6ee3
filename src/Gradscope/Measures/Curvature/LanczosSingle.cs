using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Measures;

/// <summary>y = A x in float32 for a symmetric linear operator A (both spans of the operator's dimension, not overlapping).</summary>
public delegate void SingleOperator(ReadOnlySpan<float> x, Span<float> y);

/// <summary>
/// The Lanczos iteration of <see cref="Lanczos"/> with local reorthogonalization, for an operator that computes in float32 (the
/// Hessian of an f32 model, <see cref="HessianVectorProduct.ApplySingle"/>), in memory that does not grow with the steps and in
/// three passes over memory per step. The vectors of a run live here and are reused by every run (the probes of SLQ).
/// </summary>
/// <remarks>
/// Each step j, with q_j = <c>Q</c> and q_{j-1} in double and the operator applied to fl32(q_j):
/// pass 1 forms w = A q_j - beta_{j-1} q_{j-1} and, chunk by chunk while w is in cache, its inner products with q_j, q_{j-1}
/// and the <see cref="Window"/> older vectors q_{j-2}, q_{j-3}, ... (kept in float32); alpha_j = q_j^T w (Paige's modified
/// form, equal to q_j^T A q_j as q_j is orthogonal to q_{j-1}); pass 2 subtracts the projection on all of them (classical
/// Gram-Schmidt: the recurrence and the reorthogonalization in one) and sums ||w||^2; pass 3 writes q_{j+1} = w / beta_j
/// in double and in float32 (the operator's input, and the copy kept for later reorthogonalization).
/// Memory: three vectors in double, <see cref="Window"/> + 2 in float32 (the float32 copies of q_j and q_{j-1} are the
/// operator's inputs) and A q_j in float32: with the window of 4, 6 + 6 + 1 = 13 copies of an f32 model's weights.
/// NOTE: the inner products and the recurrence run in double; the float32 vectors carry a relative rounding of 2^-24, as the
/// stored vectors of <see cref="LanczosWorkspace"/> do (accuracy of the window: see <see cref="Lanczos"/>). The sums run in a
/// fixed order (chunk by chunk, vector by vector) on one thread, so a run is deterministic.
/// </remarks>
public sealed class SingleLanczos
{
    private const int Chunk = 2048;

    /// <summary>
    /// beta_j &lt;= this x (|alpha_1| + beta_1 + ... ) ends a run (an invariant Krylov space). NOTE: 1e-6 (about 8 float32 epsilons)
    /// rather than the 1e-12 of <see cref="Lanczos"/>: the operator sees fl32(q_j), whose rounding alone leaves a residual of
    /// about 6e-8 |A| outside any invariant space, so a smaller beta is below what float32 products can resolve.
    /// </summary>
    public const double Breakdown = 1e-6;

    private readonly double[][] _d;   // q_j, q_{j-1}, w (rotated each step)
    private readonly float[][] _ring; // fl32(q_i) for i = j - window - 1 .. j, slot i % (window + 2)
    private readonly float[] _hv;
    private readonly double[] _c;

    /// <summary>A run's vectors for order <paramref name="dimension"/>, reorthogonalizing against <paramref name="window"/> older vectors.</summary>
    public SingleLanczos(int dimension, int window)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "SingleLanczos: the dimension must be >= 1.");
        if (window < 0) throw new ArgumentOutOfRangeException(nameof(window), window, "SingleLanczos: the window must be >= 0.");
        Dimension = dimension; Window = window;
        _d = [new double[dimension], new double[dimension], new double[dimension]];
        _ring = new float[window + 2][];
        for (int i = 0; i < _ring.Length; i++) _ring[i] = new float[dimension];
        _hv = new float[dimension];
        _c = new double[window + 2];
    }

    /// <summary>Order P of the operator.</summary>
    public int Dimension { get; }

    /// <summary>Older vectors (beyond q_j and q_{j-1}) each residual is reorthogonalized against.</summary>
    public int Window { get; }

    /// <summary>The start vector of the next <see cref="Run"/> (length P): fill it in place (any nonzero vector; normalized by the run).</summary>
    public Span<double> Start => _d[0];

    /// <summary>
    /// At most <paramref name="steps"/> steps (and at most P) of Lanczos on <paramref name="a"/> from <see cref="Start"/>; stops early,
    /// when beta_j &lt;= <see cref="Breakdown"/> (|alpha_1| + beta_1 + ...).
    /// </summary>
    public LanczosTridiagonal Run(SingleOperator a, int steps)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Lanczos: steps must be >= 1.");
        int p = Dimension, r = _ring.Length, m = Math.Min(steps, p);
        double[] q = _d[0], qPrev = _d[1], w = _d[2];
        double norm0 = TensorPrimitives.Norm<double>(q);
        if (!(norm0 > 0) || !double.IsFinite(norm0)) throw new ArgumentException("Lanczos: the start vector is zero or not finite.");
        Array.Clear(qPrev);
        DivideAndRound(q, norm0, _ring[0]);
        var alpha = new List<double>(m);
        var beta = new List<double>(m);
        double scale = 0, lastBeta = 0;
        for (int j = 0; j < m; j++)
        {
            a(_ring[j % r], _hv);
            double bPrev = j > 0 ? beta[j - 1] : 0;
            int old = Math.Max(0, Math.Min(j - 1, Window));
            // pass 1: w = A q_j - beta_{j-1} q_{j-1}; c = (q_j, q_{j-1}, q_{j-2}, ...)^T w
            Array.Clear(_c);
            for (int c0 = 0; c0 < p; c0 += Chunk)
            {
                int len = Math.Min(Chunk, p - c0);
                var wc = w.AsSpan(c0, len);
                WidenMinusScaled(_hv.AsSpan(c0, len), bPrev, qPrev.AsSpan(c0, len), wc);
                _c[0] += TensorPrimitives.Dot<double>(q.AsSpan(c0, len), wc);
                if (j > 0) _c[1] += TensorPrimitives.Dot<double>(qPrev.AsSpan(c0, len), wc);
                for (int i = 0; i < old; i++) _c[2 + i] += Lanczos.Dot(_ring[(j - 2 - i) % r].AsSpan(c0, len), wc);
            }
            double aj = _c[0];
            alpha.Add(aj);
            // pass 2: w -= Q c; ||w||^2
            double nrm2 = 0;
            for (int c0 = 0; c0 < p; c0 += Chunk)
            {
                int len = Math.Min(Chunk, p - c0);
                var wc = w.AsSpan(c0, len);
                TensorPrimitives.MultiplyAdd(q.AsSpan(c0, len), -_c[0], wc, wc);
                if (j > 0) TensorPrimitives.MultiplyAdd(qPrev.AsSpan(c0, len), -_c[1], wc, wc);
                for (int i = 0; i < old; i++) Lanczos.Axpy(-_c[2 + i], _ring[(j - 2 - i) % r].AsSpan(c0, len), wc);
                nrm2 += TensorPrimitives.SumOfSquares<double>(wc);
            }
            double bj = Math.Sqrt(nrm2);
            scale += Math.Abs(aj) + bPrev;
            lastBeta = bj;
            if (!double.IsFinite(aj) || !double.IsFinite(bj)) throw new ArithmeticException($"Lanczos: step {j + 1} produced a non-finite value (alpha = {aj}, beta = {bj}).");
            if (j == m - 1) break;
            if (bj <= Breakdown * scale) { lastBeta = 0; break; }
            beta.Add(bj);
            // pass 3: q_{j+1} = w / beta_j, in double and float32
            DivideAndRound(w, bj, _ring[(j + 1) % r]);
            (qPrev, q, w) = (q, w, qPrev);
        }
        // the next run's start vector goes into _d[0]
        _d[0] = q; _d[1] = qPrev; _d[2] = w;
        return new LanczosTridiagonal(alpha.ToArray(), beta.ToArray(), lastBeta);
    }

    /// <summary>w = (double) hv - b x.</summary>
    private static void WidenMinusScaled(ReadOnlySpan<float> hv, double b, ReadOnlySpan<double> x, Span<double> w)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vb = Vector256.Create(b);
            ref float rh = ref MemoryMarshal.GetReference(hv);
            ref double rx = ref MemoryMarshal.GetReference(x);
            ref double rw = ref MemoryMarshal.GetReference(w);
            for (; i + 8 <= hv.Length; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref rh, (nuint)i));
                (lo - vb * Vector256.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref rw, (nuint)i);
                (hi - vb * Vector256.LoadUnsafe(ref rx, (nuint)(i + 4))).StoreUnsafe(ref rw, (nuint)(i + 4));
            }
        }
        for (; i < hv.Length; i++) w[i] = hv[i] - b * x[i];
    }

    /// <summary>x /= d in place, and f = fl32(x).</summary>
    private static void DivideAndRound(Span<double> x, double d, Span<float> f)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vd = Vector256.Create(d);
            ref double rx = ref MemoryMarshal.GetReference(x);
            ref float rf = ref MemoryMarshal.GetReference(f);
            for (; i + 8 <= x.Length; i += 8)
            {
                var lo = Vector256.LoadUnsafe(ref rx, (nuint)i) / vd;
                var hi = Vector256.LoadUnsafe(ref rx, (nuint)(i + 4)) / vd;
                lo.StoreUnsafe(ref rx, (nuint)i);
                hi.StoreUnsafe(ref rx, (nuint)(i + 4));
                Vector256.Narrow(lo, hi).StoreUnsafe(ref rf, (nuint)i);
            }
        }
        for (; i < x.Length; i++) { x[i] /= d; f[i] = (float)x[i]; }
    }
}
