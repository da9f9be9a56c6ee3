using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Measures;

using Gradscope.Tensors;

/// <summary>
/// ||T||_2 of a <see cref="LayerOperator"/> with the operator's forward and adjoint maps, never forming T:
/// <see cref="Top"/> by Lanczos on T^T T (the default of the measures), <see cref="PowerIteration"/> by power iteration.
/// </summary>
/// <remarks>
/// Why Lanczos: the spectra of conv operators are near-continuous at the top (s_2/s_1 = 1 - 4e-4 on a 7 x 9 input), so power
/// iteration converges at (s_2/s_1)^2 per step: measured, it stopped 1e-12 to 4e-12 short of ||T||_2 after 3000-9900 steps,
/// where its steps reach the rounding level. Lanczos on the same start vector resolves these in tens of steps.
///
/// Power iteration (<see cref="PowerIteration"/>):
/// Start: <c>start</c> when given (a previous right singular vector: a warm start for probes), else a Gaussian vector
/// from <see cref="Rng"/> with a fixed seed, so results are deterministic.
/// Stopping: every s_t = ||T v_t|| with ||v_t|| = 1 is a lower bound of ||T||_2, and the s_t increase to it, roughly
/// geometrically at a rate r = (s_2/s_1)^2 per step once the start's other components have decayed. From the last
/// two increments d_t = s_t - s_{t-1} the remaining error is estimated as d_t r / (1 - r) with r = d_t / d_{t-1}, and
/// the iteration stops when that estimate is at most tolerance * s_t (a plain |d_t| &lt;= tol s_t test would stop far
/// from the limit when s_2 is close to s_1, as it is for the near-continuous spectra of conv operators).
/// NOTE: it also stops when d_t is at the rounding level (8 eps s_t, nothing more can be resolved) or after
/// <c>maxIterations</c> (the value is then still a lower bound of ||T||_2).
/// </remarks>
public static class OperatorNorm
{
    /// <summary>Default relative tolerance: of s_1^2 for <see cref="Top"/>, of the estimated error of s_1 for <see cref="PowerIteration"/>.</summary>
    public const double DefaultTolerance = 1e-13;

    /// <summary>Default iteration cap.</summary>
    public const int DefaultMaxIterations = 20000;

    /// <summary>Default cap on Lanczos steps (the Krylov dimension; vectors of that many columns are kept).</summary>
    public const int DefaultMaxLanczosSteps = 400;

    /// <summary>
    /// The top singular triple (s_1, u_1, v_1) of <paramref name="op"/> by Lanczos on A = T^T T (or T T^T when T has fewer
    /// rows) with full reorthogonalization, from <paramref name="start"/> (a right singular vector of an earlier call: a warm
    /// start) or the seeded Gaussian start of <see cref="PowerIteration"/>. After step j the tridiagonal T_j's top eigenpair
    /// (theta_1, y) gives the Ritz vector; its residual ||A x - theta_1 x|| = beta_j |y_j| = r. It stops when
    /// r &lt;= <paramref name="tolerance"/> theta_1, or when r^2 / (theta_1 - theta_2) &lt;= tolerance theta_1 (an estimate of the
    /// eigenvalue error with theta_2 the next Ritz value) and theta_1 moved by at most tolerance theta_1 since the last check, when the Krylov space is invariant (beta_j at the rounding level
    /// or j = dimension), or after <paramref name="maxSteps"/> steps in all (a basis is at most <paramref name="maxBasisDoubles"/>
    /// values; a longer run restarts from its Ritz vector). s_1 = ||T v|| for the unit Ritz vector v: a lower bound of
    /// ||T||_2 whatever the stop, and its relative error is at most that of theta_1.
    /// </summary>
    public static TopSingular Top(LayerOperator op, double tolerance = DefaultTolerance, int maxSteps = DefaultMaxLanczosSteps,
        ulong seed = 0x5EC7, double[]? start = null, long maxBasisDoubles = DefaultMaxBasisDoubles)
    {
        if (!(tolerance > 0)) throw new ArgumentException($"OperatorNorm: tolerance must be positive, got {tolerance}.");
        if (maxSteps < 1) throw new ArgumentException($"OperatorNorm: maxSteps must be >= 1, got {maxSteps}.");
        bool right = op.Cols <= op.Rows; // Lanczos on T^T T (vectors of length Cols) or T T^T (length Rows)
        int n = right ? op.Cols : op.Rows;
        var u = new double[op.Rows];
        var v = new double[op.Cols];
        if (start is not null && start.Length == op.Cols && TensorPrimitives.Norm<double>(start) > 0) start.CopyTo(v, 0);
        else
        {
            var rng = new Rng(seed);
            for (int j = 0; j < op.Cols; j++) v[j] = rng.NextNormal();
        }
        var q = right ? (double[])v.Clone() : new double[n];
        if (!right) op.Apply(v, q);
        if (TensorPrimitives.Norm<double>(q) == 0)
        {
            // A start in the null space (or a zero operator): fall back to the seeded Gaussian start once.
            if (start is not null) return Top(op, tolerance, maxSteps, seed, null, maxBasisDoubles);
            return new TopSingular(0, u, v, 0);
        }
        Normalize(q);
        int total = 0;
        while (true)
        {
            // NOTE: the basis is capped at maxBasisDoubles values; a longer run restarts from the cycle's Ritz vector.
            int cycle = (int)Math.Min(Math.Min(maxSteps - total, n), Math.Max(2, maxBasisDoubles / n));
            var (ritz, done, k) = Cycle(op, right, q, cycle, tolerance);
            total += k;
            if (done || total >= maxSteps) return Finish(op, ritz, right, u, v, total);
            q = ritz;
        }
    }

    /// <summary>Default most values kept in one Lanczos basis (2^24 doubles, 128 MB); longer runs restart.</summary>
    public const long DefaultMaxBasisDoubles = 1L << 24;

    // One Lanczos run of at most `steps` steps from the unit vector q; returns the unit Ritz vector of the top Ritz value,
    // whether it converged (or the Krylov space is invariant), and the steps taken.
    private static (double[] Ritz, bool Done, int Steps) Cycle(LayerOperator op, bool right, double[] q, int steps, double tolerance)
    {
        int n = q.Length;
        var basis = new List<double[]>();
        var alpha = new List<double>(); var beta = new List<double>();
        var w = new double[n];
        var tmp = new double[right ? op.Rows : op.Cols];
        double lastTheta = double.NaN, maxAlpha = 0;
        int nextCheck = 1;
        for (int j = 0; j < steps; j++)
        {
            basis.Add(q);
            // w = A q
            if (right) { op.Apply(q, tmp); op.ApplyTranspose(tmp, w); }
            else { op.ApplyTranspose(q, tmp); op.Apply(tmp, w); }
            double a = TensorPrimitives.Dot<double>(q, w);
            alpha.Add(a);
            maxAlpha = Math.Max(maxAlpha, Math.Abs(a));
            // NOTE: full reorthogonalization, twice (Gram-Schmidt "twice is enough"): keeps the Ritz values free of ghost copies.
            for (int pass = 0; pass < 2; pass++)
                foreach (var b in basis) TensorPrimitives.MultiplyAdd(b, -TensorPrimitives.Dot<double>(b, w), w, w);
            double bj = TensorPrimitives.Norm<double>(w);
            int k = j + 1;
            bool invariant = k == n || bj <= 64 * SymmetricEigenvalues.MachineEpsilon * maxAlpha;
            // NOTE: the tridiagonal eigenproblem costs O(k^3); checked at every step up to 8, then after every k/4 more steps.
            if (invariant || k == steps || k >= nextCheck)
            {
                nextCheck = k < 8 ? k + 1 : k + Math.Max(1, k / 4);
                var (theta1, theta2, y) = TopEigenpair(alpha, beta, k);
                double residual = bj * Math.Abs(y[k - 1]);
                double gap = theta1 - theta2;
                // NOTE: theta_2 lies below lambda_2, so the gap estimate is trusted only once theta_1 has also stopped moving.
                bool converged = residual <= tolerance * theta1
                    || (k >= 2 && gap > 0 && residual * residual / gap <= tolerance * theta1 && Math.Abs(theta1 - lastTheta) <= tolerance * theta1);
                lastTheta = theta1;
                if (invariant || converged || k == steps)
                {
                    var ritz = new double[n];
                    for (int i = 0; i < k; i++) TensorPrimitives.MultiplyAdd(basis[i], y[i], ritz, ritz);
                    Normalize(ritz);
                    return (ritz, invariant || converged, k);
                }
            }
            beta.Add(bj);
            q = new double[n];
            TensorPrimitives.Divide(w, bj, q);
        }
        return (q, false, steps); // not reached: the last step always returns
    }

    // The unit Ritz vector x of A gives v (right) and u (left) and s = ||T v||.
    private static TopSingular Finish(LayerOperator op, double[] x, bool right, double[] u, double[] v, int steps)
    {
        if (right) x.CopyTo(v, 0);
        else { op.ApplyTranspose(x, v); Normalize(v); }
        op.Apply(v, u);
        double s = TensorPrimitives.Norm<double>(u);
        if (s > 0) TensorPrimitives.Divide(u, s, u);
        return new TopSingular(s, u, v, steps);
    }

    // Largest and second largest eigenvalue of the k x k tridiagonal (alpha, beta) and the unit eigenvector of the largest.
    private static (double Theta1, double Theta2, double[] Y) TopEigenpair(List<double> alpha, List<double> beta, int k)
    {
        var t = Matrix<double>.Build.Dense(k, k);
        for (int i = 0; i < k; i++)
        {
            t[i, i] = alpha[i];
            if (i + 1 < k) { t[i, i + 1] = beta[i]; t[i + 1, i] = beta[i]; }
        }
        var evd = t.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(c => c.Real).ToArray();
        int top = 0;
        for (int i = 1; i < k; i++) if (values[i] > values[top]) top = i;
        double second = double.NegativeInfinity;
        for (int i = 0; i < k; i++) if (i != top && values[i] > second) second = values[i];
        return (values[top], second, evd.EigenVectors.Column(top).ToArray());
    }

    /// <summary>The top singular triple (s_1, u_1, v_1) of <paramref name="op"/> by power iteration: T v_1 = s_1 u_1.</summary>
    public static TopSingular PowerIteration(LayerOperator op, double tolerance = DefaultTolerance, int maxIterations = DefaultMaxIterations,
        ulong seed = 0x5EC7, double[]? start = null)
    {
        if (!(tolerance > 0)) throw new ArgumentException($"OperatorNorm: tolerance must be positive, got {tolerance}.");
        int m = op.Rows, n = op.Cols;
        var v = SpectralNorm.StartVector(n, seed, start);
        var u = new double[m];
        double s = 0, lastStep = double.NaN;
        int it = 0;
        while (it < maxIterations)
        {
            it++;
            op.Apply(v, u);
            double sNew = TensorPrimitives.Norm<double>(u);
            if (sNew == 0) return new TopSingular(0, u, v, it);
            op.ApplyTranspose(u, v);
            Normalize(v);
            double step = Math.Abs(sNew - s);
            s = sNew;
            if (it >= 2 && Converged(step, lastStep, s, tolerance)) break;
            lastStep = step;
        }
        op.Apply(v, u);
        s = TensorPrimitives.Norm<double>(u);
        if (s > 0) TensorPrimitives.Divide(u, s, u);
        return new TopSingular(s, u, v, it);
    }

    // Remaining error d r / (1 - r), r = d / dPrev; or the step is at the rounding level.
    private static bool Converged(double step, double lastStep, double s, double tolerance)
    {
        if (step <= 8 * SymmetricEigenvalues.MachineEpsilon * s) return true;
        if (!(lastStep > 0)) return false;
        double r = step / lastStep;
        return r < 1 && step * r / (1 - r) <= tolerance * s;
    }

    private static void Normalize(double[] x) => SpectralNorm.Normalize(x);
}
