using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Training;

/// <summary>
/// Ends a full-batch run with a loss target (<see cref="StoppingRules.Loss"/>) where the training loss crosses the
/// target, not a whole step past it. A step of GD or loss-scaled GD is a straight segment from W_k to W_k+1, so a
/// shorter step s eta (0 &lt; s &lt;= 1) lands at W_k + s (W_k+1 - W_k); the landing bisects s on the segment whose
/// start is above the target and whose end is at or below it, until the loss is at most the target and within
/// <see cref="RelativeTolerance"/> (relative) of it. The run then counts the shortened step as its last one and
/// advances time by s times that step's time.
/// </summary>
/// <remarks>
/// NOTE: without it the loss rule fires on the loss L(W_k) the step computed before moving, so the run ended at
/// W_k+1, one step past the first iterate below the target; loss-scaled GD moves by eta grad L / L, and near
/// separation one such step lowers log L by several units, so runs "at equal training loss" ended up to hundreds
/// of times below the target.
/// </remarks>
internal sealed class LossTargetLanding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The landing stops when log(target) - log L &lt;= this (exponential-type losses), or target - L &lt;= this x target: L within 0.01% below the target.</summary>
    public const double RelativeTolerance = 1e-4;
    /// <summary>At most this many halvings of the step (each one full forward pass).</summary>
    public const int MaxHalvings = 60;

    private T[] _before;     // W_k, copied before the current step
    private T[] _previous;   // W_k-1
    private readonly T[] _end;
    private double _tBefore, _tPrevious;
    private bool _hasBefore, _hasPrevious;

    public LossTargetLanding(int parameters)
    {
        _before = new T[parameters]; _previous = new T[parameters]; _end = new T[parameters];
    }

    /// <summary>Records W_k and t_k before the step from them (keeps the iterate before it too).</summary>
    public void BeforeStep(ReadOnlySpan<T> weights, double time)
    {
        (_before, _previous) = (_previous, _before);
        (_hasPrevious, _tPrevious) = (_hasBefore, _tBefore);
        weights.CopyTo(_before);
        _tBefore = time; _hasBefore = true;
    }

    /// <summary>
    /// The step from W_k found L(W_k) at or below the target (the weights are now W_k+1): lands on the segment from
    /// W_k-1 (above the target) to W_k; without W_k-1 (the first step, or the first after a resume) restores W_k.
    /// Returns the fraction of the last step (NaN when W_k was restored) and the time of the landing point.
    /// </summary>
    public (double Fraction, double Time) LandBeforeStep(T[] flat, Func<double> measure, double target, double tolerance)
    {
        if (!_hasPrevious)
        {
            _before.CopyTo(flat, 0);
            return (double.NaN, _tBefore);
        }
        _before.CopyTo(_end, 0);
        double s = Bisect(flat, _previous, _end, measure, target, tolerance);
        return (s, _tPrevious + s * (_tBefore - _tPrevious));
    }

    /// <summary>
    /// A probe after the step found L(W_k+1) at or below the target: lands on the segment from W_k (above it) to
    /// the current weights W_k+1, taken at <paramref name="time"/>.
    /// </summary>
    public (double Fraction, double Time) LandAfterStep(T[] flat, Func<double> measure, double target, double tolerance, double time)
    {
        flat.CopyTo(_end, 0);
        double s = Bisect(flat, _before, _end, measure, target, tolerance);
        return (s, _tBefore + s * (time - _tBefore));
    }

    /// <summary>
    /// Bisection on s in (0, 1] for a point W(s) = a + s (b - a) with target - tolerance &lt;= measure(W(s)) &lt;= target,
    /// given measure(a) &gt; target &gt;= measure(b) (measure: log L for exponential-type losses, L otherwise, with
    /// <paramref name="target"/> on the same scale); the loss is continuous in s, so the bracket [lo, hi] always holds
    /// a crossing. Stops after <see cref="MaxHalvings"/> halvings. Leaves <paramref name="flat"/> at the returned point.
    /// </summary>
    public static double Bisect(T[] flat, T[] a, T[] b, Func<double> measure, double target, double tolerance)
    {
        double lo = 0, hi = 1;
        b.CopyTo(flat, 0);
        double qHi = measure();
        for (int i = 0; i < MaxHalvings && target - qHi > tolerance; i++)
        {
            double mid = 0.5 * (lo + hi);
            At(flat, a, b, mid);
            double q = measure();
            if (q <= target) { hi = mid; qHi = q; } else lo = mid;
        }
        if (hi == 1) b.CopyTo(flat, 0); else At(flat, a, b, hi);
        return hi;
    }

    // flat = a + s (b - a)
    private static void At(T[] flat, T[] a, T[] b, double s)
    {
        TensorPrimitives.Subtract(b, a, flat);
        TensorPrimitives.MultiplyAdd(flat, T.CreateChecked(s), a, flat);
    }
}
