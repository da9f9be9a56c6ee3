namespace Gradscope.Tensors.Linalg;

/// <summary>
/// Eigenvalues of a symmetric tridiagonal matrix T (diagonal d, off-diagonal e, e[i] coupling i and i+1) by Sturm sequences
/// and bisection (Barth, Martin and Wilkinson 1967; the scheme of LAPACK's stebz): the number of negative pivots of the
/// LDL^T factorization of T - x I is the number of eigenvalues below x (Sylvester's law of inertia). Each count costs O(n),
/// so the eigenvalues near one point (e.g. a rank threshold) are refined without computing the others.
/// </summary>
/// <remarks>
/// NOTE: the computed count is the exact count of a matrix T + dT with |dT_ij| &lt;= 2.5 eps |T_ij| componentwise (Kahan 1966;
/// Demmel, Dhillon and Ren 1995): every eigenvalue it places is within about 2.5 eps ||T||_2 of an eigenvalue of T, whatever
/// n is. A zero pivot is replaced by -pivmin (pivmin = eps^2 max e_i^2 or the smallest normal number), as stebz does.
/// </remarks>
public static class TridiagonalBisection
{
    private const double Eps = 2.220446049250313e-16;

    /// <summary>#{i : lambda_i(T) &lt; x}.</summary>
    public static int CountBelow(ReadOnlySpan<double> d, ReadOnlySpan<double> e, double x)
    {
        Check(d, e);
        return Count(d, e, x, PivotMin(d.Length, e));
    }

    /// <summary>A bound on the absolute error of each eigenvalue these counts place: 2.5 eps ||T||_inf (+ the pivot floor).</summary>
    public static double ErrorBound(ReadOnlySpan<double> d, ReadOnlySpan<double> e)
    {
        Check(d, e);
        return 2.5 * Eps * Gershgorin(d, e).Radius + 2 * PivotMin(d.Length, e);
    }

    /// <summary>
    /// The k-th smallest eigenvalue (k = 0 .. n-1) by bisection on the Gershgorin interval until its width is at most
    /// <paramref name="tolerance"/> (at least 4 eps ||T|| is used): returns the interval's midpoint.
    /// </summary>
    public static double Eigenvalue(ReadOnlySpan<double> d, ReadOnlySpan<double> e, int k, double tolerance = 0)
    {
        Check(d, e);
        int n = d.Length;
        if (k < 0 || k >= n) throw new ArgumentOutOfRangeException(nameof(k), k, $"TridiagonalBisection: the matrix has {n} eigenvalues.");
        var (center, radius) = Gershgorin(d, e);
        double pivmin = PivotMin(d.Length, e);
        double lo = center - radius - 2 * pivmin, hi = center + radius + 2 * pivmin;
        double tol = Math.Max(tolerance, 4 * Eps * Math.Max(radius, Math.Abs(center)) + 2 * pivmin);
        // invariant: Count(lo) <= k < Count(hi)
        for (int it = 0; it < 2200 && hi - lo > tol; it++)
        {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            if (Count(d, e, mid, pivmin) <= k) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>Every eigenvalue in [lo, hi), ascending, each by bisection to <paramref name="tolerance"/>.</summary>
    public static double[] EigenvaluesIn(ReadOnlySpan<double> d, ReadOnlySpan<double> e, double lo, double hi, double tolerance = 0)
    {
        Check(d, e);
        double pivmin = PivotMin(d.Length, e);
        int a = Count(d, e, lo, pivmin), b = Count(d, e, hi, pivmin);
        var result = new double[Math.Max(0, b - a)];
        for (int k = a; k < b; k++) result[k - a] = Eigenvalue(d, e, k, tolerance);
        return result;
    }

    private static int Count(ReadOnlySpan<double> d, ReadOnlySpan<double> e, double x, double pivmin)
    {
        int n = d.Length, count = 0;
        double q = d[0] - x;
        if (Math.Abs(q) <= pivmin) q = -pivmin;
        if (q < 0) count++;
        for (int i = 1; i < n; i++)
        {
            q = d[i] - x - e[i - 1] * e[i - 1] / q;
            if (Math.Abs(q) <= pivmin) q = -pivmin;
            if (q < 0) count++;
        }
        return count;
    }

    private static double PivotMin(int n, ReadOnlySpan<double> e)
    {
        double m = 0;
        for (int i = 0; i < n - 1; i++) m = Math.Max(m, e[i] * e[i]);
        return Math.Max(double.Epsilon * (1L << 52), Eps * Eps * m);
    }

    private static (double Center, double Radius) Gershgorin(ReadOnlySpan<double> d, ReadOnlySpan<double> e)
    {
        int n = d.Length;
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            double r = (i > 0 ? Math.Abs(e[i - 1]) : 0) + (i + 1 < n ? Math.Abs(e[i]) : 0);
            lo = Math.Min(lo, d[i] - r);
            hi = Math.Max(hi, d[i] + r);
        }
        return (0.5 * (lo + hi), Math.Max(0.5 * (hi - lo), Math.Max(Math.Abs(lo), Math.Abs(hi))));
    }

    private static void Check(ReadOnlySpan<double> d, ReadOnlySpan<double> e)
    {
        if (d.Length == 0) throw new ArgumentException("TridiagonalBisection: the matrix is empty.");
        if (e.Length < d.Length - 1) throw new ArgumentException($"TridiagonalBisection: {d.Length} diagonal entries need {d.Length - 1} off-diagonal ones, got {e.Length}.");
        foreach (double x in d) if (!double.IsFinite(x)) throw new ArgumentException("TridiagonalBisection: a diagonal entry is not finite.");
        for (int i = 0; i < d.Length - 1; i++) if (!double.IsFinite(e[i])) throw new ArgumentException("TridiagonalBisection: an off-diagonal entry is not finite.");
    }
}
