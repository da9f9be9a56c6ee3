using Gradscope.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Claims;

/// <summary>
/// Leave-one-out predictions of the GD-limit interpolants of a linear least-squares problem (targets +1/-1):
/// the rule that, from init w0, returns X^+ y + (I - X^+ X) w0 predicts at a left-out x_i, when fitted to
/// S\i, c_i + q_i^T w0 with c_i = x_i^T X_{S\i}^+ y_{S\i} and q_i = (I - X_{S\i}^+ X_{S\i}) x_i (the
/// projector is symmetric). Precomputing (c_i, q_i) once makes every init an O(n d) evaluation.
/// </summary>
public sealed class LeaveOneOut
{
    private readonly double[] _c;
    private readonly double[][] _q;
    private readonly double[] _y;

    /// <summary>Precomputes the leave-one-out terms of <paramref name="data"/> (one pseudo-inverse of S\i per i).</summary>
    public LeaveOneOut(Dataset data)
    {
        int n = data.N;
        _c = new double[n]; _q = new double[n][]; _y = new double[n];
        for (int i = 0; i < n; i++)
        {
            var keep = Enumerable.Range(0, n).Where(j => j != i).ToArray();
            var (x, y) = LeastSquares.Design(data.Subset(keep));
            var pinv = x.PseudoInverse();
            var xi = Vector<double>.Build.DenseOfArray(data.Row(i).ToArray());
            _c[i] = xi.DotProduct(pinv * y);
            _q[i] = (xi - pinv * (x * xi)).ToArray();
            _y[i] = data.Y[i] == 1 ? 1 : -1;
        }
    }

    /// <summary>Number of points.</summary>
    public int N => _c.Length;

    /// <summary>f_{S\i}(x_i) for the interpolant reached from <paramref name="w0"/>.</summary>
    public double Prediction(int i, ReadOnlySpan<double> w0)
    {
        double p = _c[i];
        var q = _q[i];
        for (int j = 0; j < q.Length; j++) p += q[j] * w0[j];
        return p;
    }

    /// <summary>Leave-one-out instability (1/n) sum_i (f_{S\i}(x_i) - y_i)^2 of the rule started from <paramref name="w0"/>.</summary>
    public double Instability(ReadOnlySpan<double> w0)
    {
        double s = 0;
        for (int i = 0; i < N; i++) { double r = Prediction(i, w0) - _y[i]; s += r * r; }
        return s / N;
    }
}
