namespace Gradscope.Measures.PacBayes;

/// <summary>
/// The sample-convergence bound of Langford &amp; Caruana (2001): if the stochastic classifier's training
/// error is estimated from m independent trials with mean error e_hat (each trial a [0,1]-valued
/// variable whose expectation is the posterior's training error), then with probability 1 - delta'
/// err_hat(Q) &lt;= kl^-1(e_hat, ln(2/delta') / m) (a Chernoff bound in kl form; THEORY.md section 5).
/// </summary>
public static class SampleConvergence
{
    /// <summary>kl^-1(meanError, ln(2/delta') / m).</summary>
    public static double Bound(double meanError, long m, double deltaPrime)
    {
        if (m < 1) throw new ArgumentOutOfRangeException(nameof(m), m, "Monte Carlo error bound: at least one sample is needed (m >= 1).");
        if (!(deltaPrime > 0 && deltaPrime < 1)) throw new ArgumentOutOfRangeException(nameof(deltaPrime), deltaPrime, "Monte Carlo error bound: delta' must lie in (0, 1).");
        if (!(meanError >= 0 && meanError <= 1)) throw new ArgumentOutOfRangeException(nameof(meanError), meanError, "Monte Carlo error bound: the mean error must lie in [0, 1].");
        return BernoulliKl.Inverse(meanError, Math.Log(2 / deltaPrime) / m);
    }
}
