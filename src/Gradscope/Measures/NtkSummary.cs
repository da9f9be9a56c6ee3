namespace Gradscope.Measures;

/// <summary>
/// Scalar summaries of an empirical NTK Gram matrix K (m x m, symmetric positive semi-definite; m = n C for C outputs):
/// trace(K), ||K||_F, and the extreme eigenvalues lambda_max(K), lambda_min(K) with condition number
/// lambda_max / lambda_min (infinite when lambda_min &lt;= 0 numerically).
/// </summary>
public sealed record NtkSummary(int Size, double Trace, double Frobenius, double LambdaMax, double LambdaMin)
{
    /// <summary>lambda_max / lambda_min, or +infinity when lambda_min is not positive.</summary>
    public double Condition => LambdaMin > 0 ? LambdaMax / LambdaMin : double.PositiveInfinity;

    /// <summary>
    /// Summarizes K given row-major; throws unless it is square. Eigenvalues only of (K + K^T)/2 (Householder tridiagonalization and
    /// root-free QL, <see cref="SymmetricSpectrum"/>): no eigenvectors, (4/3) m^3 flops, half of them in GEMM.
    /// </summary>
    public static NtkSummary Of(ReadOnlySpan<double> k)
    {
        int m = (int)Math.Round(Math.Sqrt(k.Length));
        if (m == 0 || (long)m * m != k.Length) throw new ArgumentException($"NtkSummary: {k.Length} entries do not make a square matrix.");
        var a = k.ToArray();
        double trace = 0;
        for (int i = 0; i < m; i++) trace += a[i * m + i];
        double fro = System.Numerics.Tensors.TensorPrimitives.Norm<double>(a);
        var sym = new double[a.Length];
        for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) sym[i * m + j] = 0.5 * (a[i * m + j] + a[j * m + i]);
        var eig = SymmetricSpectrum.Ascending(sym, m);
        return new NtkSummary(m, trace, fro, eig[^1], eig[0]);
    }
}
