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
/// The Lanczos iteration with full reorthogonalization (Golub and Van Loan, Matrix Computations, 4th ed., section 10.1;
/// as in PyHessian's SLQ, Yao et al. 2020 / Ghorbani, Krishnan and Xiao 2019): each new residual is orthogonalized
/// against every earlier basis vector, so the Ritz values carry no spurious copies ("ghosts") of converged eigenvalues.
/// </summary>
/// <remarks>
/// The basis Q_m is the memory of the method: m P values. It is kept in double when m P 8 bytes fit in
/// <see cref="DoubleBasisBytes"/>, else in float32 (100 steps on 1.9M parameters: 0.74 GB instead of 1.5 GB).
/// NOTE: the three-term recurrence always runs in double on the current and previous vectors, and those two are
/// orthogonalized against in double; only older vectors are read back rounded to float. Their rounding error (2^-24
/// relative) perturbs each step by about 6e-8 |w| / sqrt(P) in the directions of the old vectors: the basis stays
/// orthogonal to about 1e-7, far below the semi-orthogonality level sqrt(eps) at which ghost eigenvalues appear
/// (Parlett and Scott 1979), and Ritz values and quadrature moments move by about 1e-7 relative at most.
/// </remarks>
public static class Lanczos
{
    /// <summary>
    /// Runs at most <paramref name="steps"/> steps (and at most <paramref name="dimension"/>) of Lanczos on
    /// <paramref name="a"/> from <paramref name="start"/> (any nonzero vector; normalized here). Stops early when
    /// beta_j &lt;= 1e-12 (|alpha_1| + ... ): the Krylov space is then A-invariant and T_j's eigenvalues are eigenvalues of A.
    /// </summary>
    public static LanczosTridiagonal Run(SymmetricOperator a, int dimension, ReadOnlySpan<double> start, int steps) =>
        Run(a, dimension, start, steps, SingleBasis(dimension, steps));

    /// <summary>Whether a basis of min(steps, dimension) vectors is kept in float32 (it would exceed <see cref="DoubleBasisBytes"/> in double).</summary>
    public static bool SingleBasis(int dimension, int steps) => (long)Math.Min(steps, dimension) * dimension * sizeof(double) > DoubleBasisBytes;

    /// <summary>The largest basis kept in double (512 MiB); larger ones are kept in float32.</summary>
    public const long DoubleBasisBytes = 512L << 20;

    /// <summary>As <see cref="Run(SymmetricOperator, int, ReadOnlySpan{double}, int)"/> with the basis precision chosen by <paramref name="singleBasis"/>.</summary>
    public static LanczosTridiagonal Run(SymmetricOperator a, int dimension, ReadOnlySpan<double> start, int steps, bool singleBasis) =>
        Run(a, dimension, start, steps, new LanczosWorkspace(singleBasis));

    /// <summary>
    /// As <see cref="Run(SymmetricOperator, int, ReadOnlySpan{double}, int)"/> with the basis kept in <paramref name="workspace"/>: runs that
    /// share a workspace (the probes of SLQ) reuse its vectors instead of allocating m P values each.
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
        var q = new double[p];
        var qPrev = new double[p];
        var w = new double[p];
        TensorPrimitives.Divide(start, norm0, q);
        var coefficients = new double[m];
        var alpha = new List<double>(m);
        var beta = new List<double>(m);
        double scale = 0, lastBeta = 0;
        for (int j = 0; j < m; j++)
        {
            basis.Add(q);
            a(q, w);
            double aj = TensorPrimitives.Dot<double>(q, w);
            alpha.Add(aj);
            TensorPrimitives.MultiplyAdd(q, -aj, w, w);
            if (j > 0) TensorPrimitives.MultiplyAdd(qPrev, -beta[j - 1], w, w);
            // Full reorthogonalization (classical Gram-Schmidt against the stored basis; the current and previous vectors in double).
            basis.Reorthogonalize(j - 1, w, coefficients);
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

/// <summary>The stored Lanczos vectors q_1..q_j, in double or float32, reused from one run to the next.</summary>
public sealed class LanczosWorkspace(bool single)
{
    /// <summary>Chunk of w kept in cache while every basis vector streams past it.</summary>
    private const int Chunk = 2048;

    private readonly List<float[]> _f = [];
    private readonly List<double[]> _d = [];
    private int _count, _p;

    /// <summary>Whether the vectors are kept in float32.</summary>
    public bool Single => single;

    /// <summary>Starts a run on vectors of length <paramref name="p"/> (kept vectors of another length are dropped).</summary>
    internal void Reset(int p)
    {
        if (p != _p) { _f.Clear(); _d.Clear(); _p = p; }
        _count = 0;
    }

    internal void Add(ReadOnlySpan<double> q)
    {
        if (single)
        {
            if (_f.Count == _count) _f.Add(new float[q.Length]);
            var f = _f[_count++];
            for (int i = 0; i < q.Length; i++) f[i] = (float)q[i];
        }
        else
        {
            if (_d.Count == _count) _d.Add(new double[q.Length]);
            q.CopyTo(_d[_count++]);
        }
    }

    /// <summary>
    /// w -= Q c with c = Q^T w over the first <paramref name="count"/> stored vectors: two passes over them, a chunk of
    /// w at a time (w's chunk stays in cache while the vectors stream past).
    /// NOTE: the sums run in double in a fixed order, so the result does not depend on timing or threads.
    /// </summary>
    internal void Reorthogonalize(int count, Span<double> w, double[] c)
    {
        if (count <= 0) return;
        Array.Clear(c, 0, count);
        int p = w.Length;
        for (int c0 = 0; c0 < p; c0 += Chunk)
        {
            int len = Math.Min(Chunk, p - c0);
            var wc = w.Slice(c0, len);
            for (int i = 0; i < count; i++)
                c[i] += single ? Lanczos.Dot(_f[i].AsSpan(c0, len), wc) : TensorPrimitives.Dot<double>(_d[i].AsSpan(c0, len), wc);
        }
        for (int c0 = 0; c0 < p; c0 += Chunk)
        {
            int len = Math.Min(Chunk, p - c0);
            var wc = w.Slice(c0, len);
            for (int i = 0; i < count; i++)
                if (single) Lanczos.Axpy(-c[i], _f[i].AsSpan(c0, len), wc);
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
