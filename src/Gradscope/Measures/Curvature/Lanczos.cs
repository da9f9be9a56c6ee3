using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Measures;

/// <summary>y = A x for a symmetric linear operator A (both spans of the operator's dimension).</summary>
public delegate void SymmetricOperator(ReadOnlySpan<double> x, Span<double> y);

/// <summary>
/// The symmetric tridiagonal matrix T_m = Q_m^T A Q_m of m Lanczos steps from a start vector q_1 = v / ||v||:
/// diagonal <paramref name="Alpha"/> (length m) and off-diagonal <paramref name="Beta"/> (length m - 1).
/// </summary>
/// <param name="Alpha">alpha_j = q_j^T A q_j.</param>
/// <param name="Beta">beta_j = ||A q_j - alpha_j q_j - beta_{j-1} q_{j-1}|| (after reorthogonalization), coupling j and j + 1.</param>
/// <param name="LastBeta">beta_m, the norm of the residual after the last step (0 when an invariant subspace was found).</param>
public sealed record LanczosTridiagonal(double[] Alpha, double[] Beta, double LastBeta)
{
    /// <summary>Number of steps m.</summary>
    public int Steps => Alpha.Length;
}

/// <summary>
/// The Lanczos iteration with reorthogonalization (Golub and Van Loan, Matrix Computations, 4th ed., section 10.1;
/// as in PyHessian's SLQ, Yao et al. 2020 / Ghorbani, Krishnan and Xiao 2019): each new residual is orthogonalized
/// against the stored basis vectors, in memory bounded by <see cref="Workspace"/>: every earlier vector (full
/// reorthogonalization) when the whole basis fits in <see cref="FullBasisBytes"/>, else the <see cref="WindowVectors"/>
/// most recent ones (local reorthogonalization), so the memory never grows with the number of steps.
/// </summary>
/// <remarks>
/// Memory: three vectors in double (q_j, q_{j-1}, the residual) plus the stored basis. A run on a net's Hessian with the
/// window keeps 4 float32 vectors: 4 weight copies of an f32 model (100 steps on 1.9M parameters: 30 MB instead of 745 MB).
/// NOTE (accuracy of the window): full reorthogonalization keeps the basis orthogonal, so T_m carries no spurious copies
/// ("ghosts") of converged eigenvalues. With the window the basis stays orthogonal to about sqrt(eps) locally, but loses
/// orthogonality to old vectors once a Ritz value converges (Paige 1976): T_m then holds ghost copies of the converged
/// extreme eigenvalues. For quadrature this costs little: finite-precision Lanczos is exact Lanczos on a nearby matrix whose
/// eigenvalues cluster at those of A, and the Gauss weights of a ghost cluster sum to the weight of the one eigenvalue
/// (Greenbaum 1989; Knizhnerman 1996; Chen, Trogdon and Ubaru 2021 for SLQ), so moments and the smoothed density keep their
/// accuracy and the extreme nodes still converge to lambda_max and lambda_min; what is lost is the multiplicity of a node
/// and the reading of a Ritz value's weight as one eigenvector's (measured in docs/perf/hessian.md).
/// NOTE (float32 storage): the three-term recurrence always runs in double on the current and previous vectors, and those
/// two are orthogonalized against in double; only older vectors are read back rounded to float. Their rounding error
/// (2^-24 relative) perturbs each step by about 6e-8 |w| / sqrt(P) in the directions of the old vectors, far below the
/// semi-orthogonality level sqrt(eps) at which ghost eigenvalues appear (Parlett and Scott 1979).
/// </remarks>
public static class Lanczos
{
    /// <summary>The largest basis kept whole, in double, for full reorthogonalization (16 MiB: small nets).</summary>
    public const long FullBasisBytes = 16L << 20;

    /// <summary>
    /// Vectors kept (the most recent, in float32) when the whole basis exceeds <see cref="FullBasisBytes"/>. NOTE: 4 rather than 8 (the
    /// previous value) saves 4 weight copies of an f32 model; on the bench MLP's Hessian both windows agree with full
    /// reorthogonalization (docs/perf/hessian.md).
    /// </summary>
    public const int WindowVectors = 4;

    /// <summary>
    /// The workspace of a run of at most <paramref name="steps"/> steps on order <paramref name="dimension"/>: the whole basis in
    /// double when m P 8 bytes fit in <see cref="FullBasisBytes"/>, else a window of <see cref="WindowVectors"/> float32 vectors.
    /// </summary>
    public static LanczosWorkspace Workspace(int dimension, int steps) =>
        (long)Math.Min(steps, dimension) * dimension * sizeof(double) <= FullBasisBytes ? new LanczosWorkspace(single: false) : new LanczosWorkspace(single: true, WindowVectors);

    /// <summary>
    /// Runs at most <paramref name="steps"/> steps (and at most <paramref name="dimension"/>) of Lanczos on
    /// <paramref name="a"/> from <paramref name="start"/> (any nonzero vector; normalized here), with the basis of
    /// <see cref="Workspace"/>. Stops early when beta_j &lt;= 1e-12 (|alpha_1| + ... ): the Krylov space is then A-invariant
    /// and T_j's eigenvalues are eigenvalues of A.
    /// </summary>
    public static LanczosTridiagonal Run(SymmetricOperator a, int dimension, ReadOnlySpan<double> start, int steps) =>
        Run(a, dimension, start, steps, Workspace(dimension, steps));

    /// <summary>As <see cref="Run(SymmetricOperator, int, ReadOnlySpan{double}, int)"/> with full reorthogonalization, the basis kept in float32 when <paramref name="singleBasis"/>.</summary>
    public static LanczosTridiagonal Run(SymmetricOperator a, int dimension, ReadOnlySpan<double> start, int steps, bool singleBasis) =>
        Run(a, dimension, start, steps, new LanczosWorkspace(singleBasis));

    /// <summary>
    /// As <see cref="Run(SymmetricOperator, int, ReadOnlySpan{double}, int)"/> with the basis kept in <paramref name="workspace"/>: runs that
    /// share a workspace (the probes of SLQ) reuse its vectors instead of allocating them each; its capacity bounds the vectors
    /// reorthogonalized against (the most recent ones).
    /// </summary>
    public static LanczosTridiagonal Run(SymmetricOperator a, int dimension, ReadOnlySpan<double> start, int steps, LanczosWorkspace workspace)
    {
        if (start.Length != dimension) throw new ArgumentException($"Lanczos: the start vector has {start.Length} entries, the operator dimension is {dimension}.");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Lanczos: steps must be >= 1.");
        double norm0 = TensorPrimitives.Norm(start);
        if (!(norm0 > 0) || !double.IsFinite(norm0)) throw new ArgumentException("Lanczos: the start vector is zero or not finite.");
        int m = Math.Min(steps, dimension), p = dimension;
        var basis = workspace;
        basis.Reset(p);
        // NOTE: the three vectors of the recurrence live in the workspace too, so the probes of SLQ reuse them (no 3 P doubles per run).
        var (q, qPrev, w) = basis.Vectors();
        TensorPrimitives.Divide(start, norm0, q);
        var coefficients = new double[Math.Min(m, basis.Capacity)];
        var alpha = new List<double>(m);
        var beta = new List<double>(m);
        double scale = 0, lastBeta = 0;
        for (int j = 0; j < m; j++)
        {
            a(q, w);
            double aj = TensorPrimitives.Dot<double>(q, w);
            alpha.Add(aj);
            TensorPrimitives.MultiplyAdd(q, -aj, w, w);
            if (j > 0) TensorPrimitives.MultiplyAdd(qPrev, -beta[j - 1], w, w);
            // Reorthogonalization (classical Gram-Schmidt) against the stored q_0..q_{j-2} (all, or the most recent), then the
            // current and previous vectors in double.
            basis.Reorthogonalize(w, coefficients);
            double cq = TensorPrimitives.Dot<double>(q, w);
            TensorPrimitives.MultiplyAdd(q, -cq, w, w);
            if (j > 0)
            {
                double cp = TensorPrimitives.Dot<double>(qPrev, w);
                TensorPrimitives.MultiplyAdd(qPrev, -cp, w, w);
            }
            double bj = TensorPrimitives.Norm<double>(w);
            scale += Math.Abs(aj) + (j > 0 ? beta[j - 1] : 0);
            lastBeta = bj;
            if (!double.IsFinite(aj) || !double.IsFinite(bj)) throw new ArithmeticException($"Lanczos: step {j + 1} produced a non-finite value (alpha = {aj}, beta = {bj}).");
            if (j == m - 1) break;
            if (bj <= 1e-12 * scale) { lastBeta = 0; break; }
            beta.Add(bj);
            if (j > 0) basis.Add(qPrev); // q_{j-1} becomes an old vector for step j + 1
            (qPrev, q) = (q, qPrev);
            TensorPrimitives.Divide(w, bj, q);
        }
        return new LanczosTridiagonal(alpha.ToArray(), beta.ToArray(), lastBeta);
    }

    internal static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<double> b)
    {
        int i = 0;
        double s = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            ref float ra = ref MemoryMarshal.GetReference(a);
            ref double rb = ref MemoryMarshal.GetReference(b);
            for (; i + 8 <= a.Length; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref ra, (nuint)i));
                acc0 += lo * Vector256.LoadUnsafe(ref rb, (nuint)i);
                acc1 += hi * Vector256.LoadUnsafe(ref rb, (nuint)(i + 4));
            }
            s = Vector256.Sum(acc0 + acc1);
        }
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    internal static void Axpy(double c, ReadOnlySpan<float> x, Span<double> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vc = Vector256.Create(c);
            ref float rx = ref MemoryMarshal.GetReference(x);
            ref double ry = ref MemoryMarshal.GetReference(y);
            for (; i + 8 <= x.Length; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref rx, (nuint)i));
                (Vector256.LoadUnsafe(ref ry, (nuint)i) + vc * lo).StoreUnsafe(ref ry, (nuint)i);
                (Vector256.LoadUnsafe(ref ry, (nuint)(i + 4)) + vc * hi).StoreUnsafe(ref ry, (nuint)(i + 4));
            }
        }
        for (; i < x.Length; i++) y[i] += c * x[i];
    }
}

/// <summary>
/// The stored Lanczos vectors (all of them, or the most recent <see cref="Capacity"/> in a ring), in double or float32,
/// reused from one run to the next.
/// </summary>
public sealed class LanczosWorkspace
{
    /// <summary>Chunk of w kept in cache while every basis vector streams past it.</summary>
    private const int Chunk = 2048;

    private readonly List<float[]> _f = [];
    private readonly List<double[]> _d = [];
    private readonly bool _single;
    private int _count, _next, _p;

    /// <summary>A workspace keeping at most <paramref name="capacity"/> vectors (the most recent), in float32 when <paramref name="single"/>.</summary>
    public LanczosWorkspace(bool single, int capacity = int.MaxValue)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "LanczosWorkspace: capacity must be >= 0.");
        _single = single; Capacity = capacity;
    }

    /// <summary>Whether the vectors are kept in float32.</summary>
    public bool Single => _single;

    /// <summary>The most vectors kept (int.MaxValue: every one, full reorthogonalization).</summary>
    public int Capacity { get; }

    /// <summary>Vectors allocated so far (at most <see cref="Capacity"/>): the memory of the workspace in vectors.</summary>
    public int Allocated => _single ? _f.Count : _d.Count;

    private double[]? _q, _qPrev, _w;

    /// <summary>Starts a run on vectors of length <paramref name="p"/> (kept vectors of another length are dropped).</summary>
    internal void Reset(int p)
    {
        if (p != _p) { _f.Clear(); _d.Clear(); _q = _qPrev = _w = null; _p = p; }
        _count = 0; _next = 0;
    }

    /// <summary>The recurrence's q_j, q_{j-1} and residual (length P, double), allocated once per length and zeroed.</summary>
    internal (double[] Q, double[] QPrev, double[] W) Vectors()
    {
        _q ??= new double[_p]; _qPrev ??= new double[_p]; _w ??= new double[_p];
        Array.Clear(_q); Array.Clear(_qPrev); Array.Clear(_w);
        return (_q, _qPrev, _w);
    }

    /// <summary>Stores <paramref name="q"/>, overwriting the oldest stored vector when full.</summary>
    internal void Add(ReadOnlySpan<double> q)
    {
        if (Capacity == 0) return;
        if (_single)
        {
            if (_f.Count == _next) _f.Add(new float[q.Length]);
            var f = _f[_next];
            for (int i = 0; i < q.Length; i++) f[i] = (float)q[i];
        }
        else
        {
            if (_d.Count == _next) _d.Add(new double[q.Length]);
            q.CopyTo(_d[_next]);
        }
        _next = _next + 1 == Capacity ? 0 : _next + 1;
        if (_count < Capacity) _count++;
    }

    /// <summary>
    /// w -= Q c with c = Q^T w over the stored vectors: two passes over them, a chunk of w at a time (w's chunk stays in
    /// cache while the vectors stream past).
    /// NOTE: the sums run in double in a fixed order (slot order), so the result does not depend on timing or threads.
    /// </summary>
    internal void Reorthogonalize(Span<double> w, double[] c)
    {
        int count = _count;
        if (count <= 0) return;
        Array.Clear(c, 0, count);
        int p = w.Length;
        for (int c0 = 0; c0 < p; c0 += Chunk)
        {
            int len = Math.Min(Chunk, p - c0);
            var wc = w.Slice(c0, len);
            for (int i = 0; i < count; i++)
                c[i] += _single ? Lanczos.Dot(_f[i].AsSpan(c0, len), wc) : TensorPrimitives.Dot<double>(_d[i].AsSpan(c0, len), wc);
        }
        for (int c0 = 0; c0 < p; c0 += Chunk)
        {
            int len = Math.Min(Chunk, p - c0);
            var wc = w.Slice(c0, len);
            for (int i = 0; i < count; i++)
                if (_single) Lanczos.Axpy(-c[i], _f[i].AsSpan(c0, len), wc);
                else TensorPrimitives.MultiplyAdd(_d[i].AsSpan(c0, len), -c[i], wc, wc);
        }
    }
}


/// <summary>
/// Gauss quadrature from a Lanczos tridiagonal T_m (Golub and Welsch 1969; Golub and Meurant 2010): with T_m = S diag(theta) S^T,
/// the nodes are the Ritz values theta_i and the weights tau_i = S_{1i}^2 (they sum to 1), and
/// q_1^T f(A) q_1 ~ sum_i tau_i f(theta_i), exactly for polynomials f of degree &lt;= 2m - 1.
/// </summary>
public static class GaussQuadrature
{
    /// <summary>Nodes ascending and their weights.</summary>
    public static (double[] Nodes, double[] Weights) Of(LanczosTridiagonal t)
    {
        int m = t.Steps;
        var evd = Eigen(t);
        var nodes = new double[m];
        var weights = new double[m];
        for (int i = 0; i < m; i++)
        {
            nodes[i] = evd.EigenValues[i].Real;
            double s = evd.EigenVectors[0, i];
            weights[i] = s * s;
        }
        Array.Sort(nodes, weights);
        return (nodes, weights);
    }

    /// <summary>
    /// The Ritz values with their residual bounds |beta_m S_{mi}| (||A y_i - theta_i y_i|| for the Ritz vector y_i; an eigenvalue of A
    /// lies within this distance of theta_i), ascending.
    /// </summary>
    public static (double[] Values, double[] Residuals) Ritz(LanczosTridiagonal t)
    {
        int m = t.Steps;
        var evd = Eigen(t);
        var values = new double[m];
        var residuals = new double[m];
        for (int i = 0; i < m; i++)
        {
            values[i] = evd.EigenValues[i].Real;
            residuals[i] = Math.Abs(t.LastBeta * evd.EigenVectors[m - 1, i]);
        }
        Array.Sort(values, residuals);
        return (values, residuals);
    }

    // The symmetric eigendecomposition T_m = S diag(theta) S^T of the tridiagonal.
    private static MathNet.Numerics.LinearAlgebra.Factorization.Evd<double> Eigen(LanczosTridiagonal t)
    {
        int m = t.Steps;
        var mat = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(m, m);
        for (int i = 0; i < m; i++)
        {
            mat[i, i] = t.Alpha[i];
            if (i + 1 < m) { mat[i, i + 1] = t.Beta[i]; mat[i + 1, i] = t.Beta[i]; }
        }
        return mat.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
    }
}
