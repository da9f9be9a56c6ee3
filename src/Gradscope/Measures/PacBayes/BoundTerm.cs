namespace Gradscope.Measures.PacBayes;

/// <summary>
/// The complexity part of the PAC-Bayes surrogate of Dziugaite &amp; Roy 2017 (section 3, eq. for B_RE) as a
/// function of the optimized variables (w, log s, log lambda), posterior standard deviations s = exp(log s)
/// (the released code's parameterization, log_post_std):
/// R = sqrt( B_RE / 2 ),  B_RE = (KL(N(w, diag s^2) || N(w0, lambda I)) + 2 ln(b ln(c / lambda)) + ln(pi^2 n / (6 delta))) / (n - 1),
/// with b ln(c/lambda) = j(lambda) the continuous grid index (clamped at 1, where its log is 0).
/// Gradient: dKL/dw = (w - w0)/lambda, dKL/dlog s = s^2/lambda - 1, dKL/dlog lambda = (d - sum(s^2 + (w-w0)^2)/lambda)/2,
/// d 2 ln j / dlog lambda = -2b/j for j &gt; 1.
/// </summary>
public static class BoundTerm
{
    /// <summary>The paper's confidence constant ln(pi^2 n / (6 delta)) of B_RE.</summary>
    public static double Confidence(int n, double delta) => Math.Log(Math.PI * Math.PI * n / (6 * delta));

    /// <summary>R, its KL, and (when the gradient spans are non-empty) dR/dw, dR/dlog s and dR/dlog lambda; <paramref name="conf"/> is <see cref="Confidence"/>.</summary>
    public static (double Value, double Kl) Evaluate(ReadOnlySpan<double> w, ReadOnlySpan<double> logS, double logLambda,
        ReadOnlySpan<double> w0, LambdaGrid grid, int n, double conf, Span<double> gradW, Span<double> gradLogS, out double gradLogLambda)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "PAC-Bayes surrogate: B_RE divides by n - 1; n must be >= 2.");
        int d = w.Length;
        double lambda = Math.Exp(logLambda), quad = 0, logs = 0;
        for (int i = 0; i < d; i++)
        {
            double s2 = Math.Exp(2 * logS[i]), dw = w[i] - w0[i];
            quad += s2 + dw * dw; logs += 2 * logS[i];
        }
        double kl = 0.5 * (quad / lambda - d + d * logLambda - logs);
        double jc = grid.ContinuousIndex(lambda);
        double numerator = kl + 2 * Math.Log(Math.Max(jc, 1)) + conf;
        double value = Math.Sqrt(Math.Max(numerator, 0) / (2.0 * (n - 1)));
        double coef = value > 0 ? 1 / (4 * value * (n - 1)) : 0;   // dR / d numerator
        if (!gradW.IsEmpty)
        {
            double invLambda = 1 / lambda;
            for (int i = 0; i < d; i++)
            {
                gradW[i] = coef * (w[i] - w0[i]) * invLambda;
                gradLogS[i] = coef * (Math.Exp(2 * logS[i]) * invLambda - 1);
            }
        }
        double dUnion = jc > 1 ? -2 * grid.B / jc : 0;
        gradLogLambda = coef * (0.5 * (d - quad / lambda) + dUnion);
        return (value, kl);
    }
}
