namespace Gradscope.Measures.Flatness;

using Gradscope.Tensors;

/// <summary>The result of a scale search: the largest scale whose deviation stays within the target, and that deviation.</summary>
/// <param name="Scale">sigma' (PAC-Bayes flatness) or alpha' (sharpness); 0 when even the smallest scale tried deviates too much.</param>
/// <param name="Deviation">The deviation measured at <paramref name="Scale"/>.</param>
/// <param name="Evaluations">How many scales were evaluated (bracketing plus bisection).</param>
public readonly record struct ScaleSearch(double Scale, double Deviation, int Evaluations)
{
    /// <summary>Whether a positive scale was found.</summary>
    public bool Found => Scale > 0;

    /// <summary>
    /// The Monte Carlo estimate that decided the search at <see cref="Scale"/>: the mean criterion over the draws,
    /// (1/S) sum_s crit(w + u_s), with its standard error s / sqrt(S) (s the sample standard deviation of the S criteria,
    /// with S - 1; NaN for S = 1). Null for the sharpness search, whose deviation is a maximum along one seeded ascent, not a mean.
    /// </summary>
    public Estimate? AtScale { get; init; }
}

/// <summary>
/// The flatness and sharpness scales of Jiang et al. 2020 (appendix C, eq. 48-61): the largest sigma (or alpha) such that
/// the criterion (training error) moves by at most <see cref="FlatnessOptions.Deviation"/> under
/// <list type="bullet">
/// <item>PAC-Bayes flatness: Gaussian weight noise u ~ N(0, sigma^2 I), or magnitude-aware N(0, diag(sigma^2 w_i^2 + eps^2)),
/// the deviation |E_u[crit(w + u)] - crit(w)| estimated from seeded Monte Carlo draws;</item>
/// <item>sharpness: the worst case over the box |u_i| &lt;= alpha (magnitude-aware |u_i| &lt;= alpha |w_i| + eps), approximated
/// by projected sign-gradient ascent on the surrogate loss from a seeded random start, the deviation being the largest
/// criterion change met along the ascent.</item>
/// </list>
/// The scale is bracketed by doubling/halving from 1 and then bisected.
/// </summary>
public static class FlatnessSearch
{
    private const int MaxBracketSteps = 60;

    /// <summary>
    /// sigma' of the PAC-Bayes flatness (isotropic, or magnitude-aware with <paramref name="magnitudeAware"/>), with the Monte
    /// Carlo estimate of E_u crit(w + u) that decided it and its standard error (<see cref="ScaleSearch.AtScale"/>).
    /// </summary>
    public static ScaleSearch PacBayesSigma(IPerturbationObjective f, double[] w, FlatnessOptions o, bool magnitudeAware)
    {
        o.Validate();
        double baseline = f.Criterion(w);
        var x = new double[w.Length];
        var criteria = new double[o.MonteCarloSamples];
        var estimates = new Dictionary<double, Estimate>();
        double Deviation(double sigma)
        {
            // NOTE: common random numbers: every sigma reuses the same standard normal draws (the generator restarts from
            // the seed), so the estimated deviation is a deterministic function of sigma and bisection compares like with like.
            var rng = new Rng(o.Seed);
            for (int s = 0; s < o.MonteCarloSamples; s++)
            {
                for (int i = 0; i < w.Length; i++)
                {
                    double sd = magnitudeAware ? Math.Sqrt(sigma * sigma * w[i] * w[i] + o.MagnitudeEpsilon * o.MagnitudeEpsilon) : sigma;
                    x[i] = w[i] + sd * rng.NextNormal();
                }
                criteria[s] = f.Criterion(x);
            }
            // The mean is summed in draw order, as the deviation always was; its standard error comes from the same S criteria.
            var e = StochasticHessian.Summarize(criteria);
            estimates[sigma] = e;
            return Math.Abs(e.Mean - baseline);
        }
        var found = Search(Deviation, o);
        return estimates.TryGetValue(found.Scale, out var at) ? found with { AtScale = at } : found;
    }

    /// <summary>alpha' of the sharpness (box |u_i| &lt;= alpha, or magnitude-aware |u_i| &lt;= alpha |w_i| + eps).</summary>
    public static ScaleSearch SharpnessAlpha(IPerturbationObjective f, double[] w, FlatnessOptions o, bool magnitudeAware)
    {
        o.Validate();
        double baseline = f.Criterion(w);
        int p = w.Length;
        var u = new double[p];
        var r = new double[p];
        var x = new double[p];
        var g = new double[p];
        double Deviation(double alpha)
        {
            for (int i = 0; i < p; i++) r[i] = magnitudeAware ? alpha * Math.Abs(w[i]) + o.MagnitudeEpsilon : alpha;
            var rng = new Rng(o.Seed);
            for (int i = 0; i < p; i++) u[i] = r[i] * (2 * rng.NextDouble() - 1);
            double worst = 0;
            for (int t = 0; t <= o.AscentSteps; t++)
            {
                for (int i = 0; i < p; i++) x[i] = w[i] + u[i];
                worst = Math.Max(worst, Math.Abs(f.Criterion(x) - baseline));
                if (t == o.AscentSteps) break;
                f.LossAndGradient(x, g);
                // NOTE: sign-gradient steps of half the box radius (the L-infinity steepest ascent), clipped back into the box:
                // a step moves each coordinate by r_i / 2, so any start reaches a corner of the box within 4 steps when the
                // gradient's signs hold (as for a convex quadratic).
                for (int i = 0; i < p; i++) u[i] = Math.Clamp(u[i] + 0.5 * r[i] * Math.Sign(g[i]), -r[i], r[i]);
            }
            return worst;
        }
        return Search(Deviation, o);
    }

    /// <summary>
    /// The largest scale s with deviation(s) &lt;= target (deviation assumed nondecreasing in s): brackets [lo, hi] by doubling
    /// or halving from 1, then bisects <see cref="FlatnessOptions.BisectionSteps"/> times and returns lo.
    /// </summary>
    public static ScaleSearch Search(Func<double, double> deviation, FlatnessOptions o)
    {
        double target = o.Deviation;
        int evals = 0;
        double Dev(double s) { evals++; double d = deviation(s); return double.IsNaN(d) ? double.PositiveInfinity : d; }
        double lo, hi, dLo;
        double d1 = Dev(1.0);
        if (d1 <= target)
        {
            lo = 1; dLo = d1; hi = 2;
            int k = 0;
            double dHi;
            while ((dHi = Dev(hi)) <= target)
            {
                lo = hi; dLo = dHi; hi *= 2;
                if (++k >= MaxBracketSteps) return new ScaleSearch(lo, dLo, evals); // flat out to 2^60: report the largest tried
            }
        }
        else
        {
            hi = 1; lo = 0.5;
            int k = 0;
            while ((dLo = Dev(lo)) > target)
            {
                hi = lo; lo *= 0.5;
                if (++k >= MaxBracketSteps) return new ScaleSearch(0, dLo, evals);
            }
        }
        for (int i = 0; i < o.BisectionSteps; i++)
        {
            double mid = 0.5 * (lo + hi);
            double d = Dev(mid);
            if (d <= target) { lo = mid; dLo = d; } else hi = mid;
        }
        return new ScaleSearch(lo, dLo, evals);
    }
}
