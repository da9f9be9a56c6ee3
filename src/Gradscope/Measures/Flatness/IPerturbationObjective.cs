namespace Gradscope.Measures.Flatness;

/// <summary>
/// What the flatness searches perturb: a criterion of the flat parameter vector (for a network, its training error on
/// the measured samples, the quantity Jiang et al. 2020 hold to a set deviation) and a differentiable surrogate whose
/// gradient drives the worst-case (sharpness) ascent (the training loss).
/// </summary>
public interface IPerturbationObjective
{
    /// <summary>Number of parameters p.</summary>
    int Dimension { get; }

    /// <summary>The criterion at parameters <paramref name="w"/> (e.g. the training error).</summary>
    double Criterion(ReadOnlySpan<double> w);

    /// <summary>The surrogate loss at <paramref name="w"/>; writes its gradient into <paramref name="gradient"/>.</summary>
    double LossAndGradient(ReadOnlySpan<double> w, Span<double> gradient);
}

/// <summary>
/// The quadratic L(w) = 0.5 (w - c)^T H (w - c) with a diagonal H, as both criterion and surrogate: the objective whose
/// flatness and sharpness have closed forms (E[L(c + u)] = sigma^2 tr(H) / 2 for u ~ N(0, sigma^2 I);
/// max over the box |u_i| &lt;= r_i of L(c + u) = 0.5 sum_i h_i r_i^2).
/// </summary>
public sealed class DiagonalQuadratic(double[] diagonal, double[] center) : IPerturbationObjective
{
    /// <inheritdoc/>
    public int Dimension => diagonal.Length;

    /// <inheritdoc/>
    public double Criterion(ReadOnlySpan<double> w)
    {
        double s = 0;
        for (int i = 0; i < w.Length; i++) { double d = w[i] - center[i]; s += diagonal[i] * d * d; }
        return 0.5 * s;
    }

    /// <inheritdoc/>
    public double LossAndGradient(ReadOnlySpan<double> w, Span<double> gradient)
    {
        for (int i = 0; i < w.Length; i++) gradient[i] = diagonal[i] * (w[i] - center[i]);
        return Criterion(w);
    }
}
