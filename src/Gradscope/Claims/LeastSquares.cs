namespace Gradscope.Claims;

using Gradscope.Data;
using MathNet.Numerics.LinearAlgebra;

/// <summary>
/// Closed forms for the square loss of a linear model on a binary dataset (targets y = +1/-1):
/// the minimum-norm interpolant X^+ y (pseudo-inverse, computed by SVD; independent of Gradscope's
/// training code) and the limit of GD from w0, w* + (I - X^+ X) w0.
/// </summary>
public static class LeastSquares
{
    /// <summary>The design matrix X (n x d) and targets y = +1/-1 of a binary dataset.</summary>
    public static (Matrix<double> X, Vector<double> Y) Design(Dataset data)
    {
        var x = Matrix<double>.Build.Dense(data.N, data.D, (i, j) => data.X[i * data.D + j]);
        var y = Vector<double>.Build.Dense(data.N, i => data.Y[i] == 1 ? 1.0 : -1.0);
        return (x, y);
    }

    /// <summary>The minimum-norm least-squares solution X^+ y.</summary>
    public static double[] MinNorm(Dataset data)
    {
        var (x, y) = Design(data);
        return (x.PseudoInverse() * y).ToArray();
    }

    /// <summary>The limit of GD on the square loss from <paramref name="w0"/>: X^+ y + (I - X^+ X) w0.</summary>
    public static double[] GdLimit(Dataset data, double[] w0)
    {
        var (x, y) = Design(data);
        var pinv = x.PseudoInverse();
        var w = Vector<double>.Build.DenseOfArray(w0);
        return (pinv * y + w - pinv * (x * w)).ToArray();
    }

    /// <summary>||a - b|| / ||b||.</summary>
    public static double RelativeDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
        return Math.Sqrt(num / den);
    }
}
