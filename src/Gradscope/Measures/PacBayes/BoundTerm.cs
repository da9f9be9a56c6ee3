namespace Gradscope.Measures.PacBayes;

/// <summary>
/// The complexity part of the PAC-Bayes surrogate (Dziugaite &amp; Roy 2017, section 3) as a function of the
/// optimized variables (w, rho, log lambda) with s = softplus(rho):
/// R = sqrt( (KL(N(w, diag s^2) || N(w0, lambda I)) + ln(pi^2 max(j,1)^2 / 6) + conf) / (2 n) ), j = b ln(c / lambda),
/// and its gradient: dKL/dw = (w - w0)/lambda, dKL/ds = s/lambda - 1/s, dKL/dlog lambda = (d - sum(s^2 + (w-w0)^2)/lambda)/2,
/// d ln(pi^2 j^2/6)/dlog lambda = -2b/j for j &gt; 1.
/// </summary>
public static class BoundTerm
{
    /// <summary>R, its KL, and (when the gradient spans are non-empty) dR/dw, dR/drho and dR/dlog lambda.</summary>
    public static (double Value, double Kl) Evaluate(ReadOnlySpan<double> w, ReadOnlySpan<double> rho, double logLambda,
        ReadOnlySpan<double> w0, LambdaGrid grid, int n, double conf, Span<double> gradW, Span<double> gradRho, out double gradLogLambda)
    {
        int d = w.Length;
        double lambda = Math.Exp(logLambda), quad = 0, logs = 0;
        for (int i = 0; i < d; i++)
        {
            double s = Softplus.Of(rho[i]), dw = w[i] - w0[i];
            quad += s * s + dw * dw; logs += Math.Log(s * s);
        }
        double kl = 0.5 * (quad / lambda - d + d * logLambda - logs);
        double jc = grid.ContinuousIndex(lambda);
        double numerator = kl + LambdaGrid.UnionCost(jc) + conf;
        double value = Math.Sqrt(Math.Max(numerator, 0) / (2.0 * n));
        double coef = value > 0 ? 1 / (4 * value * n) : 0;   // dR / d numerator
        if (!gradW.IsEmpty)
            for (int i = 0; i < d; i++)
            {
                double s = Softplus.Of(rho[i]);
                gradW[i] = coef * (w[i] - w0[i]) / lambda;
                gradRho[i] = coef * (s / lambda - 1 / s) * Softplus.Derivative(rho[i]);
            }
        double dUnion = jc > 1 ? -2 * grid.B / jc : 0;
        gradLogLambda = coef * (0.5 * (d - quad / lambda) + dUnion);
        return (value, kl);
    }
}
