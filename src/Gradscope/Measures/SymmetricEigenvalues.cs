using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Measures;

using Gradscope.Tensors;

/// <summary>
/// All eigenvalues of a real symmetric n x n matrix, without eigenvectors: Householder reduction to a
/// symmetric tridiagonal matrix T = Q^T A Q, then the root-free implicit QL iteration with Wilkinson shifts on T.
/// Both steps are backward stable: each computed eigenvalue is within a small multiple of n eps ||A||_2 of
/// an exact one. This is the fast route to a layer's full singular spectrum (eigenvalues of W W^T); it
/// costs (4/3) n^3 flops, half of them in GEMM.
/// </summary>
/// <remarks>
/// The reduction works on the upper triangle of a row-major matrix, a panel of columns at a time (see
/// Tridiagonalize). Rows of each product A' x are split between <see cref="Parallelism.Threads"/> workers at
/// fixed row boundaries, each with its own partial product, summed in a fixed order: results depend only on
/// the matrix and the thread count.
/// </remarks>
public static unsafe class SymmetricEigenvalues
{
    /// <summary>Below this trailing size a step runs on one thread (a dispatch costs more than the work).</summary>
    private const int ParallelThreshold = 192;

    /// <summary>Columns reduced per panel (the depth of the trailing update is twice this).</summary>
    private const int Panel = 32;

    /// <summary>2^-52, the spacing of doubles at 1.</summary>
    internal const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>
    /// The eigenvalues of the symmetric matrix stored row-major in <paramref name="a"/> (n x n; only the upper
    /// triangle is read), ascending.
    /// Throws ArgumentException when the span is not n x n, or when a value is not finite.
    /// </summary>
    public static double[] Of(ReadOnlySpan<double> a, int n)
    {
        if (n < 0 || a.Length != (long)n * n) throw new ArgumentException($"SymmetricEigenvalues: {a.Length} values do not make a {n} x {n} matrix.");
        if (n == 0) return [];
        int ld = PaddedStride(n);
        var work = new double[(long)ld * n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
            {
                double z = a[i * n + j];
                if (!double.IsFinite(z)) throw new ArgumentException($"SymmetricEigenvalues: entry ({i}, {j}) is {z}.");
                work[(long)i * ld + j] = z;
            }
        fixed (double* pa = work) return InPlace(pa, n, ld);
    }

    /// <summary>
    /// A row stride for an n x n work matrix: n rounded up to whole 64-byte lines, made an odd number of lines.
    /// NOTE: a stride of an even number of lines (n = 1024: 8 KiB) maps the entries of a column to few cache sets.
    /// </summary>
    internal static int PaddedStride(int n)
    {
        int ld = (n + 7) / 8 * 8;
        return ld / 8 % 2 == 0 ? ld + 8 : ld;
    }

    /// <summary>
    /// The eigenvalues, ascending, of the symmetric matrix whose upper triangle is stored row-major at
    /// <paramref name="a"/> with row stride <paramref name="ld"/> (finite values; the triangle is destroyed).
    /// </summary>
    internal static double[] InPlace(double* a, int n, int ld) => InPlace(a, n, ld, out _, out _);

    /// <summary>As <see cref="InPlace(double*, int, int)"/>, also returning the tridiagonal matrix T = Q^T A Q (diagonal, off-diagonal) the QL iteration started from.</summary>
    internal static double[] InPlace(double* a, int n, int ld, out double[] diagonal, out double[] offDiagonal)
    {
        var d = new double[n];
        var e = new double[n];
        diagonal = d; offDiagonal = e;
        if (n == 0) return d;
        using (MeasureProfile.Time("eigen.tridiagonalize")) Tridiagonalize(a, n, ld, d, e);
        diagonal = (double[])d.Clone();
        offDiagonal = (double[])e.Clone();
        using (MeasureProfile.Time("eigen.ql")) Tridiagonal(d, e);
        Array.Sort(d);
        return d;
    }

    /// <summary>
    /// Eigenvalues of the symmetric tridiagonal matrix with diagonal <paramref name="d"/> and off-diagonal
    /// <paramref name="e"/> (e[i] couples i and i+1; e[n-1] is ignored), in place into d (unsorted); e is destroyed.
    /// The root-free QL iteration of Pal, Walker and Kahan with Wilkinson shifts (the scheme of LAPACK's sterf):
    /// it runs on the squares e_i^2, so the inner loop has no square root. The matrix is first scaled by its largest
    /// entry so that the squares neither overflow nor underflow; an off-diagonal is deflated when
    /// e_m^2 &lt;= eps^2 |d_m d_{m+1}|. Throws InvalidOperationException if 30 n sweeps do not converge.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tridiagonal(Span<double> d, Span<double> e)
    {
        int n = d.Length;
        if (e.Length != n) throw new ArgumentException($"SymmetricEigenvalues: the off-diagonal has {e.Length} values, the diagonal {n}.");
        if (n == 0) return;
        e[n - 1] = 0;
        double scale = 0;
        for (int i = 0; i < n; i++) scale = Math.Max(scale, Math.Max(Math.Abs(d[i]), Math.Abs(e[i])));
        if (scale == 0) return;
        for (int i = 0; i < n; i++) { d[i] /= scale; double z = e[i] / scale; e[i] = z * z; }
        const double eps2 = MachineEpsilon * MachineEpsilon;
        int sweeps = 0;
        for (int l = 0; l < n;)
        {
            int m = l;
            for (; m < n - 1; m++)
                if (e[m] <= eps2 * Math.Abs(d[m] * d[m + 1])) break;
            if (m < n - 1) e[m] = 0;
            if (m == l) { l++; continue; }
            if (m == l + 1)
            {
                (d[l], d[l + 1]) = Eigenvalues2x2(d[l], Math.Sqrt(e[l]), d[l + 1]);
                e[l] = 0;
                l += 2;
                continue;
            }
            if (++sweeps > 30 * n) throw new InvalidOperationException($"SymmetricEigenvalues: the QL iteration did not converge for eigenvalue {l} of {n}.");
            // Wilkinson shift from the leading 2 x 2 block, then one root-free implicit QL sweep from m up to l.
            double rte = Math.Sqrt(e[l]);
            double sigma = (d[l + 1] - d[l]) / (2 * rte);
            double r = double.Hypot(sigma, 1);
            sigma = d[l] - rte / (sigma + (sigma >= 0 ? r : -r));
            double c = 1, s = 0, gamma = d[m] - sigma, p = gamma * gamma;
            for (int i = m - 1; i >= l; i--)
            {
                double bb = e[i];
                r = p + bb;
                if (i != m - 1) e[i + 1] = s * r;
                double oldc = c;
                c = p / r;
                s = bb / r;
                // NOTE: 1 / c = r / p is divided out beside c, so the next p = gamma^2 / c costs a multiply on the
                // iteration's dependency chain instead of a second division (the loop is latency-bound); where r / p
                // overflows (p subnormal) the division is kept.
                double q = r / p;
                double oldgam = gamma, alpha = d[i];
                gamma = c * (alpha - sigma) - s * oldgam;
                d[i + 1] = oldgam + (alpha - gamma);
                p = c == 0 ? oldc * bb : double.IsFinite(q) ? gamma * gamma * q : gamma * gamma / c;
            }
            e[l] = s * p;
            d[l] = sigma + gamma;
        }
        for (int i = 0; i < n; i++) d[i] *= scale;
    }

    /// <summary>The eigenvalues of [[a, b], [b, c]], larger magnitude first (the cancellation-free form of LAPACK's lae2).</summary>
    private static (double, double) Eigenvalues2x2(double a, double b, double c)
    {
        double sm = a + c, adf = Math.Abs(a - c), ab = Math.Abs(2 * b);
        double acmx = Math.Abs(a) > Math.Abs(c) ? a : c, acmn = Math.Abs(a) > Math.Abs(c) ? c : a;
        double rt = adf > ab ? adf * Math.Sqrt(1 + (ab / adf) * (ab / adf))
            : adf < ab ? ab * Math.Sqrt(1 + (adf / ab) * (adf / ab))
            : ab * Math.Sqrt(2);
        if (sm == 0) return (0.5 * rt, -0.5 * rt);
        double rt1 = sm < 0 ? 0.5 * (sm - rt) : 0.5 * (sm + rt);
        // NOTE: the smaller root from the product of the roots (ac - b^2) avoids cancellation in sm -+ rt.
        return (rt1, acmx / rt1 * acmn - b / rt1 * b);
    }

    /// <summary>The state of one symmetric product p = A' x over the trailing triangle, shared by its parts.</summary>
    private struct Product
    {
        public double* A;          // n x n row-major (row stride Ld), upper triangle
        public int N, Ld, Row0;    // rows and columns Row0..N-1 of A
        public double* X;          // the vector (absolute indices)
        public double* P0, P1;     // partial products of part 0 and part 1
        public int Split;          // first row of part 1
    }

    /// <summary>
    /// Blocked Householder reduction (the panel scheme of LAPACK's sytrd) on the upper triangle, where column k
    /// below the diagonal is row k right of it (contiguous). Reflectors are made Panel columns at a time; within
    /// a panel the trailing matrix is left as it was and each product A' x is corrected by the panel's earlier
    /// rank-2 updates, which are applied to the trailing triangle together at the end of the panel by GEMM.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tridiagonalize(double* a, int n, int ld, double[] dOut, double[] eOut)
    {
        // V and W hold the panel's vectors as rows of stride ld (absolute indices): the panel's update is
        // A - V^T W - W^T V on rows and columns past the panel. A third block receives a copy of V (TrailingUpdate).
        // NOTE: kept per thread between calls (a probe reduces every layer's Gram matrix): 0.8 MB at n = 1024, zeroed per call.
        int size = 3 * Panel * ld + 3 * n;
        if (_panelBuffers is null || _panelBuffers.Length < size) _panelBuffers = new double[size];
        var buffers = _panelBuffers;
        buffers.AsSpan(0, size).Clear();
        fixed (double* pb = buffers)
        {
            double* vs = pb, ws = pb + Panel * ld, x = pb + 3 * Panel * ld, p0 = x + n, p1 = p0 + n;
            for (int k0 = 0; k0 < n - 2; k0 += Panel)
            {
                int panel = Math.Min(Panel, n - 2 - k0);
                for (int t = 0; t < panel; t++)
                {
                    int k = k0 + t;
                    double* row = a + (long)k * ld;
                    // 1. Row k (columns k..n-1) with the panel's earlier updates.
                    var rowK = new Span<double>(row + k, n - k);
                    for (int s = 0; s < t; s++)
                    {
                        double* v = vs + s * ld, w = ws + s * ld;
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<double>(w + k, n - k), -v[k], rowK, rowK);
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<double>(v + k, n - k), -w[k], rowK, rowK);
                    }
                    dOut[k] = row[k];

                    // 2. Householder reflector H = I - tau x x^T with H a[k, k+1..] = (alpha, 0, ..., 0).
                    double x0 = row[k + 1], sigma = TensorPrimitives.SumOfSquares(new ReadOnlySpan<double>(row + k + 2, n - k - 2));
                    double tau = 0;
                    new Span<double>(x, n).Clear();
                    if (sigma == 0) eOut[k] = x0;
                    else
                    {
                        double norm = Math.Sqrt(x0 * x0 + sigma);
                        double alpha = x0 >= 0 ? -norm : norm;
                        double x0v = x0 - alpha;
                        tau = 2 / (x0v * x0v + sigma);
                        eOut[k] = alpha;
                        x[k + 1] = x0v;
                        new ReadOnlySpan<double>(row + k + 2, n - k - 2).CopyTo(new Span<double>(x + k + 2, n - k - 2));
                    }

                    // 3. p = A' x on the current trailing matrix: the stored triangle, minus the panel's updates.
                    double* vt = vs + t * ld, wt = ws + t * ld;
                    new Span<double>(vt, n).Clear();
                    new Span<double>(wt, n).Clear();
                    if (tau == 0) continue;
                    using (MeasureProfile.Time("eigen.symmetric_product")) SymmetricProduct(a, n, ld, k + 1, x, p0, p1);
                    int m = n - k - 1;
                    var xs = new ReadOnlySpan<double>(x + k + 1, m);
                    var ps = new Span<double>(p0 + k + 1, m);
                    for (int s = 0; s < t; s++)
                    {
                        var v = new ReadOnlySpan<double>(vs + s * ld + k + 1, m);
                        var w = new ReadOnlySpan<double>(ws + s * ld + k + 1, m);
                        double wx = TensorPrimitives.Dot(w, xs), vx = TensorPrimitives.Dot(v, xs);
                        TensorPrimitives.MultiplyAdd(v, -wx, ps, ps);
                        TensorPrimitives.MultiplyAdd(w, -vx, ps, ps);
                    }

                    // 4. w = tau p - (tau^2 / 2)(x^T p) x: this column's update A' - x w^T - w x^T.
                    double half = 0.5 * tau * tau * TensorPrimitives.Dot(xs, ps);
                    var wts = new Span<double>(wt + k + 1, m);
                    xs.CopyTo(new Span<double>(vt + k + 1, m));
                    TensorPrimitives.Multiply(xs, -half, wts);
                    TensorPrimitives.MultiplyAdd(ps, tau, wts, wts);
                }
                using (MeasureProfile.Time("eigen.trailing_update")) TrailingUpdate(a, n, ld, k0 + panel, panel, vs);
            }
            // The last 2 x 2 block is up to date (the last panel's update covered it).
            if (n >= 2) { eOut[n - 2] = a[(long)(n - 2) * ld + n - 1]; dOut[n - 2] = a[(long)(n - 2) * ld + n - 2]; }
            dOut[n - 1] = a[(long)(n - 1) * ld + n - 1];
        }
    }

    [ThreadStatic] private static double[]? _panelBuffers;

    /// <summary>
    /// The upper triangle of A[k1.., k1..] -= V^T W + W^T V = [V; W]^T [W; V], with the panel's rows stored as
    /// V (rows 0..panel-1), W (rows Panel..Panel+panel-1) and a copy of V after W (row stride ld): one GEMM of depth
    /// 2 panel per block row, starting at the diagonal block.
    /// </summary>
    private static void TrailingUpdate(double* a, int n, int ld, int k1, int panel, double* vs)
    {
        const int Block = 128;
        if (k1 >= n) return;
        if (panel < Panel)
        {
            // a short last panel: close the gap so that [V; W] and [W; V] are contiguous
            Buffer.MemoryCopy(vs + Panel * ld, vs + panel * ld, (long)panel * ld * sizeof(double), (long)panel * ld * sizeof(double));
        }
        Buffer.MemoryCopy(vs, vs + 2 * panel * ld, (long)panel * ld * sizeof(double), (long)panel * ld * sizeof(double));
        var vw = new ReadOnlySpan<double>(vs, 2 * panel * ld);
        var wv = new ReadOnlySpan<double>(vs + panel * ld, 2 * panel * ld);
        for (int i0 = k1; i0 < n; i0 += Block)
        {
            int rows = Math.Min(Block, n - i0), width = n - i0;
            var c = new Span<double>(a + (long)i0 * ld + i0, (rows - 1) * ld + width);
            // rows i0.. of [V; W]^T are columns i0.. of the stored (2 panel x n) [V; W]
            Gemm.Multiply(true, false, rows, width, 2 * panel, -1.0, vw[i0..], ld, wv[i0..], ld, 1.0, c, ld);
        }
    }

    /// <summary>p0[row0..] = A[row0.., row0..] x from the upper triangle, split between two threads when large.</summary>
    private static void SymmetricProduct(double* a, int n, int ld, int row0, double* x, double* p0, double* p1)
    {
        int m = n - row0;
        new Span<double>(p0 + row0, m).Clear();
        var product = new Product { A = a, N = n, Ld = ld, Row0 = row0, X = x, P0 = p0, P1 = p1, Split = n };
        if (m >= ParallelThreshold && Parallelism.Threads >= 2)
        {
            // Row i costs n - i; put the split where the two parts hold equal areas (an even offset keeps the pairs).
            product.Split = row0 + (int)(m * (1 - 1 / Math.Sqrt(2))) / 2 * 2;
            new Span<double>(p1 + row0, m).Clear();
            Parallelism.For(2, &ProductPart, &product);
            for (int i = row0; i < n; i++) p0[i] += p1[i];
        }
        else ProductPart(&product, 0, 1);
    }

    private static void ProductPart(void* state, int part, int parts)
    {
        var s = (Product*)state;
        int first = part == 0 ? s->Row0 : s->Split, last = parts == 1 || part == 1 ? s->N : s->Split;
        double* p = part == 0 ? s->P0 : s->P1;
        long ld = s->Ld;
        int n = s->N, i = first;
        for (; i + 2 <= last; i += 2) RowPair(s->A + i * ld, ld, i, n, s->X, p);
        if (i < last) RowPair(s->A + i * ld, 0, i, n, s->X, p);
    }

    /// <summary>
    /// Rows i and i+1 of the trailing triangle (columns i..n-1 and i+1..n-1; row i alone when
    /// <paramref name="stride"/> is 0): p_i += sum_{j &gt;= i} a_ij x_j and p_j += a_ij x_i for j &gt; i (the
    /// symmetric product from one triangle). Two rows share the loads and stores of x and p.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowPair(double* r0, long stride, int i, int n, double* x, double* p)
    {
        bool pair = stride != 0;
        double* r1 = r0 + stride;
        int i1 = i + 1;
        double x0 = x[i], x1 = pair ? x[i1] : 0;
        double dot0 = 0, dot1 = 0;
        int j = pair ? i + 2 : i + 1;
        // NOTE: 256-bit vectors: the loop is bound by reading the triangle (512-bit ones measured no faster).
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> vx0 = Vector256.Create(x0), vx1 = Vector256.Create(x1), acc0 = Vector256<double>.Zero, acc1 = Vector256<double>.Zero;
            for (; j + 4 <= n; j += 4)
            {
                Vector256<double> xj = Vector256.Load(x + j), a0 = Vector256.Load(r0 + j);
                acc0 += a0 * xj;
                var pj = Vector256.Load(p + j) + a0 * vx0;
                if (pair)
                {
                    var a1 = Vector256.Load(r1 + j);
                    acc1 += a1 * xj;
                    pj += a1 * vx1;
                }
                pj.Store(p + j);
            }
            dot0 = Vector256.Sum(acc0);
            dot1 = Vector256.Sum(acc1);
        }
        for (; j < n; j++)
        {
            dot0 += r0[j] * x[j];
            double pj = p[j] + r0[j] * x0;
            if (pair)
            {
                dot1 += r1[j] * x[j];
                pj += r1[j] * x1;
            }
            p[j] = pj;
        }
        if (!pair)
        {
            p[i] += dot0 + r0[i] * x0;
            return;
        }
        // row i has two more entries than row i+1 in the loop's range: its diagonal and column i+1
        p[i] += dot0 + r0[i] * x0 + r0[i1] * x1;
        p[i1] += dot1 + r0[i1] * x0 + r1[i1] * x1;
    }
}
