using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Data;

/// <summary>
/// An underdetermined least-squares problem min_w 1/2 ||A w - b||^2 with A (n x d), n &lt; d (for NMGD and
/// implicit-bias experiments). <see cref="Dataset"/> holds class labels only, so regression problems are plain arrays.
/// </summary>
/// <param name="N">Equations n.</param>
/// <param name="D">Unknowns d (&gt; n).</param>
/// <param name="A">A, n x d row-major, entries N(0, 1/d) (rows have norm about 1).</param>
/// <param name="B">b = A w* + noise * N(0, I_n).</param>
/// <param name="WStar">The planted w* ~ N(0, I_d).</param>
/// <param name="MinNormSolution">w+ = A^T (A A^T)^{-1} b = A^+ b: the minimum-norm interpolating solution, which gradient descent from w = 0 converges to.</param>
public sealed record LeastSquaresProblem(int N, int D, double[] A, double[] B, double[] WStar, double[] MinNormSolution)
{
    /// <summary>Residual r = A w - b.</summary>
    public double[] Residual(ReadOnlySpan<double> w)
    {
        if (w.Length != D) throw new ArgumentException($"LeastSquaresProblem: w has {w.Length} values, expected d = {D}.");
        var r = new double[N];
        for (int i = 0; i < N; i++)
        {
            double s = -B[i];
            for (int j = 0; j < D; j++) s += A[i * D + j] * w[j];
            r[i] = s;
        }
        return r;
    }
}

/// <summary>Generator of <see cref="LeastSquaresProblem"/>s.</summary>
public static class SyntheticLeastSquares
{
    /// <summary>A random problem with n &lt; d; the min-norm solution is computed by a Cholesky solve of A A^T (full rank with probability 1).</summary>
    public static LeastSquaresProblem Generate(int n, int d, ulong seed, double noise = 0)
    {
        if (n < 1 || d <= n) throw new ArgumentException($"SyntheticLeastSquares: need 1 <= n < d (underdetermined), got n={n}, d={d}.");
        var rng = new Rng(seed);
        var a = new double[MemoryLimit.Elements("n x d", sizeof(double), n, d)];
        double s = 1 / Math.Sqrt(d);
        for (int k = 0; k < a.Length; k++) a[k] = s * rng.NextNormal();
        var wStar = new double[d];
        for (int j = 0; j < d; j++) wStar[j] = rng.NextNormal();
        var b = new double[n];
        for (int i = 0; i < n; i++)
        {
            double t = 0;
            for (int j = 0; j < d; j++) t += a[i * d + j] * wStar[j];
            b[i] = t + noise * rng.NextNormal();
        }
        var am = Matrix<double>.Build.Dense(n, d, (i, j) => a[i * d + j]);
        var z = (am * am.Transpose()).Cholesky().Solve(Vector<double>.Build.DenseOfArray(b));
        var wPlus = (am.Transpose() * z).ToArray();
        return new LeastSquaresProblem(n, d, a, b, wStar, wPlus);
    }
}
