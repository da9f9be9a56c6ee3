namespace Gradscope.Claims;

/// <summary>Sampling error of test-error rates measured on a finite test set.</summary>
public static class ErrorRates
{
    /// <summary>
    /// The standard error of the difference of two error rates p1, p2 measured on <paramref name="n"/> test points each,
    /// treating them as independent binomial proportions: sqrt((p1 (1 - p1) + p2 (1 - p2)) / n).
    /// NOTE: on one shared test set the two are positively correlated, so this overstates the paired standard error
    /// (the comparison it enters is conservative for "no increase").
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate outside [0, 1] or n &lt; 1.</exception>
    public static double DifferenceStandardError(double p1, double p2, int n)
    {
        if (p1 is < 0 or > 1 || double.IsNaN(p1)) throw new ArgumentOutOfRangeException(nameof(p1), p1, "an error rate lies in [0, 1].");
        if (p2 is < 0 or > 1 || double.IsNaN(p2)) throw new ArgumentOutOfRangeException(nameof(p2), p2, "an error rate lies in [0, 1].");
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "the test set needs at least one point.");
        return Math.Sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n);
    }
}
