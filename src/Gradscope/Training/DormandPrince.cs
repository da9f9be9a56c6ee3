using System.Numerics;

namespace Gradscope.Training;

/// <summary>A vector field dy/dt = F(t, y) on flat vectors: writes F(t, y) into <paramref name="dydt"/>.</summary>
public delegate void VectorField<T>(double t, ReadOnlySpan<T> y, Span<T> dydt) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>Tolerances and step-size controller settings of <see cref="DormandPrince{T}"/>.</summary>
/// <param name="AbsoluteTolerance">atol in the error scale atol + rtol max(|y|, |y_new|).</param>
/// <param name="RelativeTolerance">rtol in the same scale.</param>
/// <param name="Safety">Safety factor of the controller dt_new = dt clamp(safety err^(-1/5), min, max).</param>
/// <param name="MinFactor">Smallest factor by which one step may shrink dt.</param>
/// <param name="MaxFactor">Largest factor by which one accepted step may grow dt.</param>
/// <param name="InitialDt">First step size; 0 selects it automatically (Hairer, Norsett and Wanner, section II.4).</param>
/// <param name="MaxDt">Upper bound on dt (infinity = none).</param>
/// <param name="MinDt">Step size below which the integrator gives up (throws).</param>
public sealed record OdeTolerances(
    double AbsoluteTolerance = 1e-8, double RelativeTolerance = 1e-8, double Safety = 0.9,
    double MinFactor = 0.2, double MaxFactor = 10.0, double InitialDt = 0, double MaxDt = double.PositiveInfinity, double MinDt = 1e-300);

/// <summary>
/// Adaptive Dormand-Prince RK5(4) integrator (THEORY.md section 4, gradient flow): 7 stages with FSAL
/// (the last stage's derivative is the next step's first), the embedded 4th-order solution as error
/// estimate, RMS error norm err = sqrt(mean((e_i / (atol + rtol max(|y_i|, |y_new,i|)))^2)), a step
/// accepted iff err &lt;= 1 and the controller dt &lt;- dt clamp(safety err^(-1/5), minFactor, maxFactor)
/// (no growth right after a rejection). All buffers are allocated once; <see cref="Step"/> allocates nothing.
/// </summary>
public sealed class DormandPrince<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Butcher tableau (Dormand & Prince 1980).
    private const double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9;
    private const double A21 = 1.0 / 5;
    private const double A31 = 3.0 / 40, A32 = 9.0 / 40;
    private const double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
    private const double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561, A54 = -212.0 / 729;
    private const double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247, A64 = 49.0 / 176, A65 = -5103.0 / 18656;
    private const double A71 = 35.0 / 384, A73 = 500.0 / 1113, A74 = 125.0 / 192, A75 = -2187.0 / 6784, A76 = 11.0 / 84;
    // e = b5 - b4: the difference between the 5th-order solution and the embedded 4th-order one.
    private const double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920, E5 = -17253.0 / 339200, E6 = 22.0 / 525, E7 = -1.0 / 40;

    // Dense output (Hairer, Norsett and Wanner, section II.6; dopri5.f's contd5): a 4th-order continuous extension.
    private const double D1 = -12715105075.0 / 11282082432, D3 = 87487479700.0 / 32700410799, D4 = -10690763975.0 / 1880347072,
        D5 = 701980252875.0 / 199316789632, D6 = -1453857185.0 / 822651844, D7 = 69997945.0 / 29380423;

    private readonly T[] _k2, _k3, _k4, _k5, _k6, _stage, _yNew, _yOld;
    private T[] _k1, _k7;             // swapped on acceptance (FSAL): after a step _k7 holds the step's first stage
    private bool _rejectedLast;
    private double _lastH;            // size of the last accepted step (0: none, or rolled back)

    /// <summary>Creates an integrator for vectors of length <paramref name="dimension"/>; throws on non-positive tolerances or factors.</summary>
    public DormandPrince(int dimension, OdeTolerances tolerances)
    {
        if (dimension < 0) throw new ArgumentException($"DormandPrince: dimension must be >= 0, got {dimension}.");
        if (!(tolerances.AbsoluteTolerance >= 0) || !(tolerances.RelativeTolerance >= 0) || tolerances.AbsoluteTolerance + tolerances.RelativeTolerance <= 0)
            throw new ArgumentException($"DormandPrince: tolerances must be >= 0 and not both 0, got atol={tolerances.AbsoluteTolerance}, rtol={tolerances.RelativeTolerance}.");
        if (!(tolerances.Safety > 0 && tolerances.Safety <= 1) || !(tolerances.MinFactor > 0 && tolerances.MinFactor < 1) || !(tolerances.MaxFactor > 1))
            throw new ArgumentException($"DormandPrince: need 0 < safety <= 1, 0 < min_factor < 1 < max_factor, got {tolerances.Safety}, {tolerances.MinFactor}, {tolerances.MaxFactor}.");
        Dimension = dimension;
        Tolerances = tolerances;
        _k1 = new T[dimension]; _k2 = new T[dimension]; _k3 = new T[dimension]; _k4 = new T[dimension];
        _k5 = new T[dimension]; _k6 = new T[dimension]; _k7 = new T[dimension]; _stage = new T[dimension]; _yNew = new T[dimension]; _yOld = new T[dimension];
        Dt = tolerances.InitialDt;
    }

    /// <summary>Length of the state vector.</summary>
    public int Dimension { get; }
    /// <summary>The tolerances and controller settings.</summary>
    public OdeTolerances Tolerances { get; }
    /// <summary>The step size the next step will try (0 = not chosen yet).</summary>
    public double Dt { get; set; }
    /// <summary>Whether <see cref="Derivative"/> holds F(t, y) at the current point (FSAL).</summary>
    public bool HasDerivative { get; private set; }
    /// <summary>F(t, y) at the current point: the FSAL derivative reused as the next step's first stage.</summary>
    public Span<T> Derivative => _k1;
    /// <summary>Error norm of the last accepted step (&lt;= 1).</summary>
    public double LastError { get; private set; }
    /// <summary>Largest error norm of any accepted step so far (&lt;= 1; in units of the tolerance).</summary>
    public double MaxError { get; set; }
    /// <summary>Size of the last accepted step (0 when there is none or it was rolled back); <see cref="DenseOutput"/> interpolates over it.</summary>
    public double LastStepSize => _lastH;
    /// <summary>Rejected trial steps so far.</summary>
    public long Rejections { get; private set; }
    /// <summary>Vector-field evaluations so far.</summary>
    public long Evaluations { get; private set; }

    /// <summary>Marks the FSAL derivative stale (call when y changed outside <see cref="Step"/> or the field changed).</summary>
    public void Invalidate() { HasDerivative = false; _lastH = 0; }

    /// <summary>
    /// The continuous extension of the last accepted step at t0 + theta h (0 &lt;= theta &lt;= 1), written into
    /// <paramref name="y"/>: y(theta) = y0 + theta (r2 + (1 - theta) (r3 + theta (r4 + (1 - theta) r5))) with
    /// r2 = y1 - y0, r3 = h k1 - r2, r4 = r2 - h k7 - r3, r5 = h sum_j d_j k_j (dopri5's contd5); 4th order,
    /// exact at both ends. Throws when there is no accepted step to interpolate.
    /// </summary>
    public void DenseOutput(double theta, Span<T> y)
    {
        if (!(_lastH > 0)) throw new InvalidOperationException("DormandPrince.DenseOutput: no accepted step to interpolate.");
        if (y.Length != Dimension) throw new ArgumentException($"DormandPrince.DenseOutput: y has {y.Length} values, expected {Dimension}.");
        double h = _lastH, th = theta, th1 = 1 - theta;
        // After acceptance _k7 holds the step's k1 (the swap) and _k1 its k7 (FSAL); _yNew still holds y1.
        T[] k1 = _k7, k7 = _k1;
        for (int i = 0; i < y.Length; i++)
        {
            double y0 = double.CreateChecked(_yOld[i]), y1 = double.CreateChecked(_yNew[i]);
            double f1 = double.CreateChecked(k1[i]), f7 = double.CreateChecked(k7[i]);
            double r2 = y1 - y0, r3 = h * f1 - r2, r4 = r2 - h * f7 - r3;
            double r5 = h * (D1 * f1 + D3 * double.CreateChecked(_k3[i]) + D4 * double.CreateChecked(_k4[i])
                           + D5 * double.CreateChecked(_k5[i]) + D6 * double.CreateChecked(_k6[i]) + D7 * f7);
            y[i] = T.CreateChecked(y0 + th * (r2 + th1 * (r3 + th * (r4 + th1 * r5))));
        }
    }

    /// <summary>
    /// Undoes the last accepted step: <paramref name="y"/> gets its starting point back and the FSAL derivative
    /// its first stage, so the caller can retake a shorter step (to an event). Throws when there is no step to undo.
    /// </summary>
    public void Rollback(Span<T> y)
    {
        if (!(_lastH > 0)) throw new InvalidOperationException("DormandPrince.Rollback: no accepted step to undo.");
        _yOld.CopyTo(y);
        (_k1, _k7) = (_k7, _k1);
        HasDerivative = true;
        _lastH = 0;
    }

    /// <summary>Evaluates the FSAL derivative F(t, y) unless it is already valid.</summary>
    public void EnsureDerivative(VectorField<T> field, double t, ReadOnlySpan<T> y)
    {
        if (HasDerivative) return;
        field(t, y, _k1); Evaluations++; HasDerivative = true;
    }

    /// <summary>Sets the FSAL derivative from saved state (resume); <paramref name="derivative"/> must be F(t, y) at the current y.</summary>
    public void SetDerivative(ReadOnlySpan<T> derivative)
    {
        if (derivative.Length != Dimension) throw new ArgumentException($"DormandPrince.SetDerivative: {derivative.Length} values, expected {Dimension}.");
        derivative.CopyTo(_k1);
        HasDerivative = true;
    }

    /// <summary>
    /// Takes one accepted step of dy/dt = F(t, y) from (t, y), overwriting <paramref name="y"/> with y(t + dt)
    /// and returning the dt taken; rejected trials are retried with a smaller dt. When
    /// <paramref name="tEnd"/> is finite the step does not pass it. Throws when dt falls below MinDt or the
    /// field returns non-finite values at every trial.
    /// </summary>
    public double Step(VectorField<T> field, double t, Span<T> y, double tEnd = double.PositiveInfinity)
    {
        if (y.Length != Dimension) throw new ArgumentException($"DormandPrince.Step: y has {y.Length} values, expected {Dimension}.");
        EnsureDerivative(field, t, y);
        if (!(Dt > 0)) Dt = InitialStep(field, t, y);
        var tol = Tolerances;
        double dt = Math.Min(Dt, tol.MaxDt);
        while (true)
        {
            bool clipped = false;
            if (t + dt > tEnd) { dt = tEnd - t; clipped = true; }
            if (!(dt >= tol.MinDt))
                throw new InvalidOperationException($"DormandPrince: step size {dt:g3} at t={t:g6} fell below the minimum {tol.MinDt:g3} (stiff or non-finite vector field).");
            Stage(y, dt, _stage, A21, _k1); Eval(field, t + C2 * dt, _stage, _k2);
            Stage(y, dt, _stage, A31, _k1, A32, _k2); Eval(field, t + C3 * dt, _stage, _k3);
            Stage(y, dt, _stage, A41, _k1, A42, _k2, A43, _k3); Eval(field, t + C4 * dt, _stage, _k4);
            Stage(y, dt, _stage, A51, _k1, A52, _k2, A53, _k3, A54, _k4); Eval(field, t + C5 * dt, _stage, _k5);
            Stage(y, dt, _stage, A61, _k1, A62, _k2, A63, _k3, A64, _k4, A65, _k5); Eval(field, t + dt, _stage, _k6);
            Stage(y, dt, _yNew, A71, _k1, 0, _k2, A73, _k3, A74, _k4, A75, _k5, A76, _k6); Eval(field, t + dt, _yNew, _k7);
            double err = ErrorNorm(y, dt);
            if (err <= 1)
            {
                double factor = err == 0 ? tol.MaxFactor : Math.Clamp(tol.Safety * Math.Pow(err, -0.2), tol.MinFactor, tol.MaxFactor);
                if (_rejectedLast) factor = Math.Min(factor, 1);
                _rejectedLast = false;
                LastError = err;
                if (err > MaxError) MaxError = err;
                y.CopyTo(_yOld);
                _yNew.CopyTo(y);
                (_k1, _k7) = (_k7, _k1);   // FSAL: the last stage is the next step's first; _k7 keeps this step's k1 for dense output
                _lastH = dt;
                // NOTE: a step clipped at tEnd keeps the controller's previous dt for the next step.
                Dt = clipped ? Math.Max(Dt, dt) : Math.Min(dt * factor, tol.MaxDt);
                return dt;
            }
            // Rejected (err > 1, or NaN: treat as a failed step and shrink hard).
            Rejections++;
            _rejectedLast = true;
            double shrink = double.IsFinite(err) ? Math.Max(tol.MinFactor, tol.Safety * Math.Pow(err, -0.2)) : tol.MinFactor;
            dt *= shrink;
            Dt = dt;
        }
    }

    private void Eval(VectorField<T> field, double t, T[] point, Span<T> k) { field(t, point, k); Evaluations++; }

    // out = y + dt * sum_j a_j k_j (unused trailing pairs have a = 0).
    private static void Stage(ReadOnlySpan<T> y, double dt, Span<T> output,
        double a1, T[] k1, double a2 = 0, T[]? k2 = null, double a3 = 0, T[]? k3 = null,
        double a4 = 0, T[]? k4 = null, double a5 = 0, T[]? k5 = null, double a6 = 0, T[]? k6 = null)
    {
        T b1 = T.CreateChecked(a1 * dt), b2 = T.CreateChecked(a2 * dt), b3 = T.CreateChecked(a3 * dt),
          b4 = T.CreateChecked(a4 * dt), b5 = T.CreateChecked(a5 * dt), b6 = T.CreateChecked(a6 * dt);
        for (int i = 0; i < y.Length; i++)
        {
            T s = b1 * k1[i];
            if (k2 is not null) s += b2 * k2[i];
            if (k3 is not null) s += b3 * k3[i];
            if (k4 is not null) s += b4 * k4[i];
            if (k5 is not null) s += b5 * k5[i];
            if (k6 is not null) s += b6 * k6[i];
            output[i] = y[i] + s;
        }
    }

    private double ErrorNorm(ReadOnlySpan<T> y, double dt)
    {
        if (y.Length == 0) return 0;
        var tol = Tolerances;
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double e = dt * (E1 * double.CreateChecked(_k1[i]) + E3 * double.CreateChecked(_k3[i]) + E4 * double.CreateChecked(_k4[i])
                           + E5 * double.CreateChecked(_k5[i]) + E6 * double.CreateChecked(_k6[i]) + E7 * double.CreateChecked(_k7[i]));
            double scale = tol.AbsoluteTolerance + tol.RelativeTolerance * Math.Max(Math.Abs(double.CreateChecked(y[i])), Math.Abs(double.CreateChecked(_yNew[i])));
            double r = e / scale;
            sum += r * r;
        }
        return Math.Sqrt(sum / y.Length);
    }

    // Hairer-Norsett-Wanner's starting step: h0 = 0.01 |y|/|f|, one Euler trial, h1 = (0.01 / max(|f|, |f'| h0))^(1/5).
    private double InitialStep(VectorField<T> field, double t, ReadOnlySpan<T> y)
    {
        var tol = Tolerances;
        double d0 = 0, d1 = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double sc = tol.AbsoluteTolerance + tol.RelativeTolerance * Math.Abs(double.CreateChecked(y[i]));
            double a = double.CreateChecked(y[i]) / sc, b = double.CreateChecked(_k1[i]) / sc;
            d0 += a * a; d1 += b * b;
        }
        int n = Math.Max(1, y.Length);
        d0 = Math.Sqrt(d0 / n); d1 = Math.Sqrt(d1 / n);
        double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        T th0 = T.CreateChecked(h0);
        for (int i = 0; i < y.Length; i++) _stage[i] = y[i] + th0 * _k1[i];
        field(t + h0, _stage, _k2); Evaluations++;
        double d2 = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double sc = tol.AbsoluteTolerance + tol.RelativeTolerance * Math.Abs(double.CreateChecked(y[i]));
            double c = (double.CreateChecked(_k2[i]) - double.CreateChecked(_k1[i])) / sc;
            d2 += c * c;
        }
        d2 = Math.Sqrt(d2 / n) / h0;
        double h1 = Math.Max(d1, d2) <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : Math.Pow(0.01 / Math.Max(d1, d2), 0.2);
        return Math.Min(Math.Min(100 * h0, h1), tol.MaxDt);
    }
}
