using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Claims;

/// <summary>
/// Statistics over repeated draws that the verdict rules share: the mean with its standard error, and a
/// least-squares polynomial fit (e.g. a quadratic in the init scale).
/// </summary>
public static class SampleStatistics
{
    /// <summary>
    /// The mean of <paramref name="values"/> and its standard error sqrt(sum (x - mean)^2 / (n (n - 1))),
    /// i.e. the unbiased standard deviation over sqrt(n).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two values.</exception>
    public static (double Mean, double StandardError) MeanWithStandardError(IReadOnlyList<double> values)
    {
        int n = values.Count;
        if (n < 2) throw new ArgumentException($"a standard error needs >= 2 values, got {n}.");
        double mean = values.Average(), ss = 0;
        foreach (double v in values) ss += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(ss / ((double)n * (n - 1))));
    }

    /// <summary>
    /// Least-squares polynomial y = c_0 + c_1 x + ... + c_degree x^degree (coefficients in that order),
    /// solved by QR of the Vandermonde matrix.
    /// </summary>
    /// <exception cref="ArgumentException">Unequal lengths, or fewer distinct points than coefficients.</exception>
    public static double[] PolynomialFit(IReadOnlyList<double> x, IReadOnlyList<double> y, int degree)
    {
        if (x.Count != y.Count) throw new ArgumentException($"PolynomialFit: {x.Count} x values and {y.Count} y values.");
        if (degree < 0 || x.Distinct().Count() < degree + 1)
            throw new ArgumentException($"PolynomialFit of degree {degree} needs >= {degree + 1} distinct x values, got {x.Distinct().Count()}.");
        var a = Matrix<double>.Build.Dense(x.Count, degree + 1, (i, j) => Math.Pow(x[i], j));
        var b = Vector<double>.Build.Dense(y.Count, i => y[i]);
        return a.QR().Solve(b).ToArray();
    }
}
