using Gradscope.Measures;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>Seeded Gaussian matrices and conversions between MathNet matrices and row-major data, for norm and spectrum tests.</summary>
internal static class TestMatrices
{
    /// <summary>An r x c matrix of N(0, 1) entries from a seeded generator.</summary>
    public static Matrix<double> Gaussian(int r, int c, ulong seed)
    {
        var rng = new Rng(seed);
        return Matrix<double>.Build.Dense(r, c, (_, _) => rng.NextNormal());
    }

    /// <summary>The entries of <paramref name="m"/> row-major.</summary>
    public static double[] RowMajor(Matrix<double> m)
    {
        var d = new double[m.RowCount * m.ColumnCount];
        for (int i = 0; i < m.RowCount; i++) for (int j = 0; j < m.ColumnCount; j++) d[i * m.ColumnCount + j] = m[i, j];
        return d;
    }

    /// <summary><paramref name="m"/> as a weight matrix named <paramref name="name"/>.</summary>
    public static WeightMatrix Weight(Matrix<double> m, string name = "w") => new(name, 0, m.RowCount, m.ColumnCount, RowMajor(m));
}
