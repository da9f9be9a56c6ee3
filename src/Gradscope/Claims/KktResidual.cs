namespace Gradscope.Claims;

using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

/// <summary>
/// The approximate-KKT residual of the max-margin problem min ||theta||^2 s.t. q_i(theta) &gt;= 1 (Lyu &amp; Li 2020,
/// "Gradient descent maximizes the margin of homogeneous neural networks": a feasible theta is (eps, delta)-KKT if some
/// lambda &gt;= 0 has ||theta - sum_i lambda_i grad q_i(theta)|| &lt;= eps and sum_i lambda_i (q_i(theta) - 1) &lt;= delta),
/// with the multipliers chosen optimally. For q_i homogeneous of degree L the point is first scaled onto the feasible
/// set, theta~ = theta / q_min(theta)^(1/L), and
/// r = min over lambda &gt;= 0 of sqrt(eps^2 + delta^2), eps = ||theta~ - sum_i lambda_i grad q_i(theta~)|| / ||theta~||,
/// delta = sum_i lambda_i (q_i(theta~) - 1) / ||theta~||^2: a nonnegative least-squares problem, 0 exactly at a KKT
/// point, invariant to the scale of theta, and a function of the point only (not of how a loss weights the points).
/// </summary>
public static class KktResidual
{
    /// <summary>The residual r and its two parts at the optimal multipliers (lambda in theta~'s units).</summary>
    public readonly record struct Result(double Residual, double Epsilon, double Delta, double[] Multipliers);

    /// <summary>
    /// r at <paramref name="theta"/> from the constraint values q_i(theta) and their gradients (row i of
    /// <paramref name="gradients"/>, n x P row-major, is grad q_i(theta)), for q_i homogeneous of degree
    /// <paramref name="degree"/>. NaN in every part when q_min(theta) &lt;= 0 (no scaling makes theta feasible).
    /// </summary>
    public static Result Of(ReadOnlySpan<double> theta, ReadOnlySpan<double> margins, ReadOnlySpan<double> gradients, int degree)
    {
        int p = theta.Length, n = margins.Length;
        if (n == 0 || p == 0) throw new ArgumentException($"KktResidual: need at least one constraint and one parameter, got n = {n}, P = {p}.");
        if (gradients.Length != (long)n * p) throw new ArgumentException($"KktResidual: {gradients.Length} gradient entries for n = {n} constraints of P = {p} parameters.");
        if (degree < 1) throw new ArgumentException($"KktResidual: the homogeneity degree must be >= 1, got {degree}.");
        double qMin = double.PositiveInfinity;
        foreach (double q in margins) qMin = Math.Min(qMin, q);
        if (!(qMin > 0) || !double.IsFinite(qMin)) return new Result(double.NaN, double.NaN, double.NaN, []);
        // theta~ = theta / c, c = q_min^(1/L): q_i(theta~) = q_i / q_min and grad q_i(theta~) = grad q_i(theta) / c^(L-1).
        double c = Math.Pow(qMin, 1.0 / degree);
        double thetaNorm2 = 0;
        foreach (double v in theta) thetaNorm2 += v * v;
        double tNorm = Math.Sqrt(thetaNorm2) / c;
        if (!(tNorm > 0)) throw new ArgumentException("KktResidual: theta is zero.");
        double gScale = 1 / (Math.Pow(c, degree - 1) * tNorm);
        // Rows 0..P-1: eps (columns grad q_i(theta~) / ||theta~||, target theta~ / ||theta~||); row P: delta, target 0.
        var a = Matrix<double>.Build.Dense(p + 1, n);
        var b = Vector<double>.Build.Dense(p + 1);
        for (int j = 0; j < p; j++) b[j] = theta[j] / c / tNorm;
        for (int i = 0; i < n; i++)
        {
            var g = gradients.Slice(i * p, p);
            for (int j = 0; j < p; j++) a[j, i] = g[j] * gScale;
            a[p, i] = (margins[i] / qMin - 1) / (tNorm * tNorm);
        }
        var (lambda, residual) = NonnegativeLeastSquares.Solve(a, b);
        double delta = 0;
        for (int i = 0; i < n; i++) delta += a[p, i] * lambda[i];
        double eps2 = 0;
        for (int j = 0; j < p; j++)
        {
            double s = b[j];
            for (int i = 0; i < n; i++) s -= a[j, i] * lambda[i];
            eps2 += s * s;
        }
        return new Result(residual, Math.Sqrt(eps2), delta, lambda);
    }

    /// <summary>
    /// r at the unit-norm directions V of a bias-free, binary (one-output) homogeneous net: every weight matrix scaled to
    /// ||V_k||_F = 1 (degree L = number of weight matrices), constraints q_i = y_i f(x_i; V) on <paramref name="data"/>.
    /// The model's parameters are restored before returning.
    /// </summary>
    public static Result OfDirections(Sequential<double> model, Dataset data)
    {
        if (!model.IsHomogeneous) throw new ArgumentException("KktResidual: the net must be homogeneous (bias-free, no batch norm) for q_i(theta / c) = q_i(theta) / c^L.");
        if (model.Outputs != 1) throw new ArgumentException($"KktResidual: binary nets (one output) only, this one has {model.Outputs} outputs.");
        var segments = WeightSegment.Of(model, out var isWeight);
        if (isWeight.Contains(false)) throw new ArgumentException("KktResidual: every parameter must belong to a weight matrix.");
        var saved = (double[])model.Flat.Clone();
        try
        {
            var flat = model.Flat.AsSpan();
            foreach (var s in segments)
            {
                var w = flat.Slice(s.Offset, s.Length);
                double norm = System.Numerics.Tensors.TensorPrimitives.Norm<double>(w);
                if (!(norm > 0)) throw new ArgumentException($"KktResidual: weight matrix at offset {s.Offset} is zero; V = W / ||W|| is undefined.");
                System.Numerics.Tensors.TensorPrimitives.Multiply<double>(w, 1 / norm, w);
            }
            var margins = Margins.Raw(model, data);
            var j = JacobianNtk.Jacobian(model, data.X, data.N);
            int p = model.ParameterCount;
            for (int i = 0; i < data.N; i++)
                if (data.Y[i] != 1) System.Numerics.Tensors.TensorPrimitives.Negate<double>(j.AsSpan(i * p, p), j.AsSpan(i * p, p));
            return Of(model.Flat, margins, j, segments.Length);
        }
        finally { saved.CopyTo(model.Flat, 0); }
    }
}
