namespace Gradscope.Measures.PacBayes;

/// <summary>Every term of a PAC-Bayes-kl bound (see <see cref="PacBayesKlBound"/>).</summary>
/// <param name="Bound">kl^-1(TrainErrorBound, Budget): the bound on the stochastic classifier's error.</param>
/// <param name="Kl">KL(Q||P_j).</param>
/// <param name="J">Grid index of the prior variance.</param>
/// <param name="Lambda">The prior variance lambda_j.</param>
/// <param name="UnionCost">ln(pi^2 j^2 / 6).</param>
/// <param name="ConfidenceTerm">ln(2 sqrt(n) / delta).</param>
/// <param name="Budget">(KL + union cost + confidence term) / n.</param>
/// <param name="TrainErrorBound">The bound on the posterior's training error entering kl^-1.</param>
/// <param name="N">Training set size n.</param>
/// <param name="Delta">Confidence of the PAC-Bayes step.</param>
public readonly record struct PacBayesTerms(double Bound, double Kl, int J, double Lambda, double UnionCost,
    double ConfidenceTerm, double Budget, double TrainErrorBound, int N, double Delta);

/// <summary>
/// The PAC-Bayes-kl bound (Seeger 2002; Maurer 2004) with a union bound over the prior-variance grid
/// (Dziugaite &amp; Roy 2017; THEORY.md section 5): with probability 1 - delta over the sample,
/// for every posterior Q and every grid index j,
/// err(Q) &lt;= kl^-1( err_hat(Q), (KL(Q||P_j) + ln(pi^2 j^2 / 6) + ln(2 sqrt(n) / delta)) / n ).
/// kl^-1(., c) is increasing in its first argument, so any upper bound on err_hat(Q) may stand in for it.
/// </summary>
public static class PacBayesKlBound
{
    /// <summary>The bound and its terms.</summary>
    public static PacBayesTerms Compute(double trainErrorBound, double kl, int j, LambdaGrid grid, int n, double delta)
    {
        if (!(delta > 0 && delta < 1)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "PAC-Bayes bound: delta must lie in (0, 1).");
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "PAC-Bayes bound: the training set is empty.");
        if (!(kl >= 0) || double.IsInfinity(kl)) throw new ArgumentOutOfRangeException(nameof(kl), kl, "PAC-Bayes bound: KL(Q||P) must be a finite non-negative number.");
        if (!(trainErrorBound >= 0 && trainErrorBound <= 1)) throw new ArgumentOutOfRangeException(nameof(trainErrorBound), trainErrorBound, "PAC-Bayes bound: the training error bound must lie in [0, 1].");
        double lambda = grid.Lambda(j);
        double union = LambdaGrid.UnionCost(j);
        double conf = Math.Log(2 * Math.Sqrt(n) / delta);
        double budget = (kl + union + conf) / n;
        return new PacBayesTerms(BernoulliKl.Inverse(trainErrorBound, budget), kl, j, lambda, union, conf, budget, trainErrorBound, n, delta);
    }
}
