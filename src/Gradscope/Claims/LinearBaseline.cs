namespace Gradscope.Claims;

using Gradscope.Data;
using MathNet.Numerics.LinearAlgebra;

/// <summary>
/// The least-squares linear classifier of a binary task: w, b minimizing sum_i (w . x_i + b - y_i)^2 with y = +1/-1
/// (the minimum-norm solution, by the pseudo-inverse of [X 1]), predicting sign(w . x + b). A certificate of how far a
/// target is from a halfspace: its test error is the error of a fitted linear rule.
/// </summary>
public static class LinearBaseline
{
    /// <summary>The coefficients (w_1..w_d, b) fitted on <paramref name="train"/>.</summary>
    /// <exception cref="ArgumentException">The task is not binary.</exception>
    public static double[] Fit(Dataset train)
    {
        if (train.Classes != 2) throw new ArgumentException($"LinearBaseline: a binary task is needed, '{train.Name}' has {train.Classes} classes.");
        int n = train.N, d = train.D;
        var a = Matrix<double>.Build.Dense(n, d + 1, (i, j) => j < d ? train.X[i * d + j] : 1.0);
        var y = Vector<double>.Build.Dense(n, i => train.Y[i] == 1 ? 1.0 : -1.0);
        return (a.PseudoInverse() * y).ToArray();
    }

    /// <summary>The fraction of <paramref name="test"/> that sign(w . x + b) misclassifies (a score of 0 counts as class 0).</summary>
    /// <exception cref="ArgumentException">The coefficients do not match the test set's dimension.</exception>
    public static double Error(double[] coefficients, Dataset test)
    {
        int d = test.D;
        if (coefficients.Length != d + 1) throw new ArgumentException($"LinearBaseline: {coefficients.Length} coefficients for {d} features (+ intercept).");
        int wrong = 0;
        for (int i = 0; i < test.N; i++)
        {
            double s = coefficients[d];
            var x = test.Row(i);
            for (int j = 0; j < d; j++) s += coefficients[j] * x[j];
            if ((s > 0 ? 1 : 0) != test.Y[i]) wrong++;
        }
        return wrong / (double)test.N;
    }
}
