using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Measures;

/// <summary>
/// Layer balance (THEORY.md section 5): b_k = ||W_{k+1}||_F^2 - ||W_k||_F^2 (constant under gradient
/// flow for homogeneous ReLU nets) and, for linear nets, the matrix B_k = W_{k+1}^T W_{k+1} - W_k W_k^T.
/// Index k runs over adjacent weight pairs (0-based: k = 0 compares W_1 and W_2).
/// </summary>
public static class LayerBalance
{
    /// <summary>b_k for k = 0..L-2.</summary>
    public static double[] Scalars(IReadOnlyList<WeightMatrix> weights)
    {
        var b = new double[Math.Max(0, weights.Count - 1)];
        for (int k = 0; k < b.Length; k++) b[k] = FrobeniusNorm.Squared(weights[k + 1]) - FrobeniusNorm.Squared(weights[k]);
        return b;
    }

    /// <summary>B_k = W_{k+1}^T W_{k+1} - W_k W_k^T; throws unless W_{k+1} has as many columns as W_k has rows.</summary>
    public static Matrix<double> Matrix(WeightMatrix wk, WeightMatrix wNext)
    {
        if (wNext.Cols != wk.Rows)
            throw new ArgumentException($"LayerBalance: {wNext.Name} has {wNext.Cols} columns but {wk.Name} has {wk.Rows} rows.");
        var a = wk.ToMathNet();
        var c = wNext.ToMathNet();
        return c.TransposeThisAndMultiply(c) - a.TransposeAndMultiply(a);
    }
}

/// <summary>
/// Alignment of adjacent layers |&lt;v_1(W_{k+1}), u_1(W_k)&gt;| (THEORY.md section 5): the top right
/// singular vector of the next layer against the top left singular vector of this one; 1 = aligned.
/// </summary>
public static class Alignment
{
    /// <summary>
    /// |&lt;v_1(W_{k+1}), u_1(W_k)&gt;| with singular vectors by power iteration to <paramref name="tolerance"/>, started from
    /// <paramref name="startK"/> and <paramref name="startNext"/> when given (the registry's warm starts), else from the seeded default.
    /// </summary>
    public static double Of(WeightMatrix wk, WeightMatrix wNext, double tolerance = SpectralNorm.DefaultTolerance, double[]? startK = null, double[]? startNext = null)
    {
        if (wNext.Cols != wk.Rows)
            throw new ArgumentException($"Alignment: {wNext.Name} has {wNext.Cols} columns but {wk.Name} has {wk.Rows} rows.");
        var u = SpectralNorm.PowerIteration(wk, tolerance, start: startK).Left;
        var v = SpectralNorm.PowerIteration(wNext, tolerance, start: startNext).Right;
        return Math.Abs(System.Numerics.Tensors.TensorPrimitives.Dot<double>(u, v));
    }

    /// <summary>The alignments of all adjacent pairs that fit (k = 0..L-2).</summary>
    public static double[] All(IReadOnlyList<WeightMatrix> weights)
    {
        var a = new double[Math.Max(0, weights.Count - 1)];
        for (int k = 0; k < a.Length; k++) a[k] = Of(weights[k], weights[k + 1]);
        return a;
    }
}
