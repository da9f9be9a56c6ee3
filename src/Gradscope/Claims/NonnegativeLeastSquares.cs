namespace Gradscope.Claims;

using MathNet.Numerics.LinearAlgebra;

/// <summary>
/// Nonnegative least squares, min over x &gt;= 0 of ||A x - b||, by the active-set algorithm of Lawson &amp; Hanson
/// (Solving Least Squares Problems, 1974, ch. 23, algorithm NNLS). A (m x n) is first reduced by a thin QR, A = Q R,
/// so every inner least-squares solve works on the small n x n triangle R and never forms A^T A.
/// </summary>
public static class NonnegativeLeastSquares
{
    /// <summary>The minimizer x &gt;= 0 and the residual norm ||A x - b||.</summary>
    /// <param name="a">A, m x n (any m &gt;= 1, n &gt;= 1).</param>
    /// <param name="b">b, length m.</param>
    public static (double[] X, double Residual) Solve(Matrix<double> a, Vector<double> b)
    {
        int m = a.RowCount, n = a.ColumnCount;
        if (b.Count != m) throw new ArgumentException($"NonnegativeLeastSquares: b has {b.Count} entries for a {m} x {n} matrix.");
        if (m == 0 || n == 0) throw new ArgumentException($"NonnegativeLeastSquares: empty {m} x {n} matrix.");
        if (!a.Enumerate().All(double.IsFinite) || !b.All(double.IsFinite))
            throw new ArgumentException("NonnegativeLeastSquares: A and b must be finite.");
        // NOTE: ||A x - b||^2 = ||R x - Q^T b||^2 + ||(I - Q Q^T) b||^2, so the active-set iterations run on (R, Q^T b).
        // With m < n the thin QR is m x m; pad R with zero rows to keep n columns and the same residual.
        Matrix<double> r; Vector<double> d;
        if (m >= n)
        {
            var qr = a.QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin);
            r = qr.R; d = qr.Q.TransposeThisAndMultiply(b);
        }
        else { r = a; d = b; }
        var x = ActiveSet(r, d);
        double residual = (a * Vector<double>.Build.DenseOfArray(x) - b).L2Norm();
        return (x, residual);
    }

    // Lawson-Hanson NNLS on min ||R x - d||, x >= 0.
    private static double[] ActiveSet(Matrix<double> r, Vector<double> d)
    {
        int n = r.ColumnCount;
        var x = new double[n];
        var passive = new bool[n];
        // NOTE: the tolerance of scipy's nnls: 10 eps max(m, n) ||R||_1 decides 'w_j > 0' and 'x_j has reached 0'.
        double tol = 10 * 2.220446049250313e-16 * Math.Max(r.RowCount, n) * r.L1Norm();
        int maxIter = 3 * n + 10;
        for (int outer = 0; outer < maxIter; outer++)
        {
            var w = r.TransposeThisAndMultiply(d - r * Vector<double>.Build.DenseOfArray(x));   // the negative gradient
            int t = -1; double best = tol;
            for (int j = 0; j < n; j++)
                if (!passive[j] && w[j] > best) { best = w[j]; t = j; }
            if (t < 0) break;   // KKT: w_j <= 0 on the zero set
            passive[t] = true;
            for (int inner = 0; inner < maxIter; inner++)
            {
                var z = PassiveSolve(r, d, passive);
                bool feasible = true;
                for (int j = 0; j < n; j++) if (passive[j] && z[j] <= 0) { feasible = false; break; }
                if (feasible) { x = z; break; }
                // Step from x towards z until the first passive entry hits 0, and drop the entries that reach it.
                double alpha = double.PositiveInfinity;
                for (int j = 0; j < n; j++)
                    if (passive[j] && z[j] <= 0) alpha = Math.Min(alpha, x[j] / (x[j] - z[j]));
                for (int j = 0; j < n; j++)
                {
                    x[j] += alpha * (z[j] - x[j]);
                    if (passive[j] && x[j] <= tol) { passive[j] = false; x[j] = 0; }
                }
                if (!passive.Contains(true)) break;
            }
        }
        return x;
    }

    // The unconstrained least-squares solution on the passive columns (zero elsewhere), by SVD of those columns (the
    // minimum-norm solution if they are numerically dependent).
    private static double[] PassiveSolve(Matrix<double> r, Vector<double> d, bool[] passive)
    {
        var cols = Enumerable.Range(0, passive.Length).Where(j => passive[j]).ToArray();
        var sub = Matrix<double>.Build.Dense(r.RowCount, cols.Length, (i, k) => r[i, cols[k]]);
        var z = new double[passive.Length];
        var svd = sub.Svd(true);
        var sv = svd.S;
        double cut = (sv.Count > 0 ? sv[0] : 0) * Math.Max(sub.RowCount, sub.ColumnCount) * 2.220446049250313e-16;
        var ud = svd.U.TransposeThisAndMultiply(d);
        var coef = Vector<double>.Build.Dense(svd.VT.RowCount, i => i < sv.Count && sv[i] > cut ? ud[i] / sv[i] : 0);
        var s = svd.VT.TransposeThisAndMultiply(coef);
        for (int k = 0; k < cols.Length; k++) z[cols[k]] = s[k];
        return z;
    }
}
