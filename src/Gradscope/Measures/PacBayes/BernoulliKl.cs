namespace Gradscope.Measures.PacBayes;

/// <summary>
/// The KL divergence between two Bernoulli distributions, kl(q||p) = q ln(q/p) + (1-q) ln((1-q)/(1-p)),
/// and its upper inverse kl^-1(q, c) = sup { p in [q, 1] : kl(q||p) &lt;= c } (THEORY.md section 5;
/// Seeger 2002, Maurer 2004; used for the PAC-Bayes-kl bound of Dziugaite &amp; Roy 2017, appendix B).
/// </summary>
public static class BernoulliKl
{
    /// <summary>Absolute tolerance of the bisection in <see cref="Inverse"/> on p.</summary>
    public const double Tolerance = 1e-12;

    /// <summary>kl(q||p) with the conventions 0 ln 0 = 0 and x ln(x/0) = +infinity for x &gt; 0.</summary>
    public static double Of(double q, double p)
    {
        Check(q, nameof(q));
        Check(p, nameof(p));
        return Term(q, p) + Term(1 - q, 1 - p);
    }

    /// <summary>
    /// kl^-1(q, c) = sup { p in [q, 1] : kl(q||p) &lt;= c }, by bisection on [q, 1] to <see cref="Tolerance"/>;
    /// returns the right end of the final bracket, so the result never undershoots the true value.
    /// </summary>
    public static double Inverse(double q, double c)
    {
        Check(q, nameof(q));
        if (double.IsNaN(c) || c < 0) throw new ArgumentOutOfRangeException(nameof(c), c, "kl^-1: the budget c must be a non-negative number.");
        if (q >= 1 || c == 0) return q;
        // NOTE: kl(q||p) is increasing in p on [q, 1] and reaches +infinity at p = 1 (q < 1), so the
        // set {p : kl(q||p) <= c} is an interval [q, p*) and bisection keeps lo inside it, hi outside.
        double lo = q, hi = 1;
        if (Of(q, hi) <= c) return 1;
        while (hi - lo > Tolerance)
        {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            if (Of(q, mid) <= c) lo = mid; else hi = mid;
        }
        return hi;
    }

    private static double Term(double a, double b)
    {
        if (a == 0) return 0;
        if (b == 0) return double.PositiveInfinity;
        return a * Math.Log(a / b);
    }

    private static void Check(double v, string name)
    {
        if (!(v >= 0 && v <= 1)) throw new ArgumentOutOfRangeException(name, v, "kl: a Bernoulli parameter must lie in [0, 1].");
    }
}
