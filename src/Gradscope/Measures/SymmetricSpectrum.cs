namespace Gradscope.Measures;

/// <summary>Every eigenvalue of a symmetric matrix, ascending: <see cref="SymmetricEigenvalues"/>, with MathNet's decomposition as the fallback.</summary>
public static class SymmetricSpectrum
{
    /// <summary>
    /// The eigenvalues of the symmetric n x n matrix <paramref name="a"/> (row-major), ascending.
    /// NOTE: SymmetricEigenvalues' implicit QL iteration was seen to stop without converging on the Hessian of a trained
    /// ReLU net (P = 1040, many zero rows from dead units and a cluster of eigenvalues near 0); MathNet's symmetric
    /// decomposition (Householder tridiagonalization + QL with a larger iteration budget) is the fallback then.
    /// </summary>
    public static double[] Ascending(double[] a, int n)
    {
        try { return SymmetricEigenvalues.Of(a, n); }
        catch (InvalidOperationException)
        {
            var m = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, n, (i, j) => a[i * n + j]);
            var ev = m.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric).EigenValues.Select(z => z.Real).ToArray();
            Array.Sort(ev);
            return ev;
        }
    }
}
