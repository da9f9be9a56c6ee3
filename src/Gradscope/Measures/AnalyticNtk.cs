namespace Gradscope.Measures;

/// <summary>The infinite-width kernels of a bias-free ReLU MLP with <c>L</c> hidden layers: NNGP Sigma^L and NTK Theta^L (n x n row-major).</summary>
public sealed record InfiniteWidthKernels(double[] Nngp, double[] Ntk, int N);

/// <summary>
/// Analytic NTK and NNGP of infinitely wide bias-free ReLU MLPs (THEORY.md section 5; Arora et al. 2019,
/// "exact computation"): NTK parameterization, weights N(0, 1), z^1 = W^1 x / sqrt(d),
/// z^{h+1} = W^{h+1} s(z^h) / sqrt(n_h), s(u) = sqrt(2) max(u, 0), f = z^{L+1}.
/// Sigma^0 = x.x'/d; with q, q' the diagonal entries of Sigma^{h-1} and t = arccos(Sigma^{h-1}(x,x') / sqrt(q q')):
/// Sigma^h = sqrt(q q') (sin t + (pi - t) cos t) / pi, dSigma^h = (pi - t) / pi,
/// Theta^0 = Sigma^0, Theta^h = Theta^{h-1} dSigma^h + Sigma^h; NNGP = Sigma^L, NTK = Theta^L.
/// </summary>
public static class AnalyticNtk
{
    /// <summary>Sigma^L and Theta^L on inputs <paramref name="x"/> (n, d) for <paramref name="hiddenLayers"/> = L &gt;= 0.</summary>
    public static InfiniteWidthKernels Compute(ReadOnlySpan<double> x, int n, int hiddenLayers)
    {
        if (n <= 0 || x.Length % n != 0) throw new ArgumentException($"AnalyticNtk: {x.Length} values for n = {n} inputs.");
        if (hiddenLayers < 0) throw new ArgumentOutOfRangeException(nameof(hiddenLayers), hiddenLayers, "AnalyticNtk: hidden layers must be >= 0.");
        int d = x.Length / n;
        var sigma = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += x[i * d + k] * x[j * d + k];
                sigma[i * n + j] = s / d;
            }
        var theta = (double[])sigma.Clone();
        var diag = new double[n];
        for (int h = 1; h <= hiddenLayers; h++)
        {
            for (int i = 0; i < n; i++) diag[i] = sigma[i * n + i];
            var next = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double qq = Math.Sqrt(diag[i] * diag[j]);
                    if (qq == 0) { next[i * n + j] = 0; theta[i * n + j] = 0; continue; }
                    double t = Math.Acos(Math.Clamp(sigma[i * n + j] / qq, -1, 1));
                    next[i * n + j] = qq * (Math.Sin(t) + (Math.PI - t) * Math.Cos(t)) / Math.PI;
                    theta[i * n + j] = theta[i * n + j] * (Math.PI - t) / Math.PI + next[i * n + j];
                }
            sigma = next;
        }
        return new InfiniteWidthKernels(sigma, theta, n);
    }
}
