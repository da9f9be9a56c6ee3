using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Tensors;

/// <summary>Orthogonal initialization (Saxe et al. 2014): orthonormal rows (or columns, whichever is fewer) from the QR of a Gaussian matrix, with signs fixed by diag(R).</summary>
public static class OrthogonalInit
{
    /// <summary>Fills W (rows = shape[0], cols = the rest) with gain times a random (semi-)orthogonal matrix.</summary>
    public static void Fill<T>(Tensor<T> w, Rng rng, double gain) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = w.Shape[0], cols = w.Length / Math.Max(1, rows);
        var q = Matrix(rows, cols, rng);
        var span = w.Span;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) span[i * cols + j] = T.CreateChecked(gain * q[i, j]);
    }

    /// <summary>A rows x cols matrix with orthonormal rows (rows &lt;= cols) or orthonormal columns (rows &gt; cols).</summary>
    public static double[,] Matrix(int rows, int cols, Rng rng)
    {
        bool transpose = rows < cols;
        int m = transpose ? cols : rows, n = transpose ? rows : cols; // m >= n: orthonormal columns of an m x n matrix
        var a = new double[m, n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) a[i, j] = rng.NextNormal();
        // Modified Gram-Schmidt on the columns; sign convention of diag(R) >= 0.
        for (int j = 0; j < n; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double dot = 0; for (int i = 0; i < m; i++) dot += a[i, k] * a[i, j];
                for (int i = 0; i < m; i++) a[i, j] -= dot * a[i, k];
            }
            double norm = 0; for (int i = 0; i < m; i++) norm += a[i, j] * a[i, j];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < m; i++) a[i, j] /= norm;
        }
        if (!transpose) return a;
        var t = new double[rows, cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[i, j] = a[j, i];
        return t;
    }
}
