namespace Gradscope.Measures.PacBayes;

/// <summary>
/// KL(Q||P) for the posterior Q = N(w, diag(s^2)) and the prior P = N(w0, lambda I) over d parameters
/// (Dziugaite &amp; Roy 2017, section 3):
/// KL = 1/2 [ sum_i (s_i^2 + (w_i - w0_i)^2) / lambda - d + d ln lambda - sum_i ln s_i^2 ].
/// </summary>
public static class GaussianKl
{
    /// <summary>KL(N(w, diag s^2) || N(w0, lambda I)); s holds standard deviations (all &gt; 0), lambda is the prior variance.</summary>
    public static double Of(ReadOnlySpan<double> w, ReadOnlySpan<double> s, ReadOnlySpan<double> w0, double lambda)
    {
        if (w.Length != s.Length || w.Length != w0.Length)
            throw new ArgumentException($"Gaussian KL: w ({w.Length}), s ({s.Length}) and w0 ({w0.Length}) must have one entry per parameter.");
        if (!(lambda > 0) || double.IsInfinity(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "Gaussian KL: the prior variance lambda must be positive and finite.");
        double quad = 0, logs = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double si = s[i];
            if (!(si > 0) || double.IsInfinity(si)) throw new ArgumentOutOfRangeException(nameof(s), si, $"Gaussian KL: posterior standard deviation {i} must be positive and finite.");
            double dw = w[i] - w0[i];
            quad += si * si + dw * dw;
            logs += Math.Log(si * si);
        }
        int d = w.Length;
        return 0.5 * (quad / lambda - d + d * Math.Log(lambda) - logs);
    }
}
