namespace Gradscope.Measures;

using Gradscope.Losses;

/// <summary>
/// The per-sample second derivative d^2 l / dz^2 (C x C) of the losses of THEORY.md section 2 with
/// respect to the outputs z; ReLU-like kinks (hinge) have second derivative 0 almost everywhere.
/// </summary>
internal static class LossHessian
{
    /// <summary>Writes d^2 l / dz^2 of one sample into <paramref name="h"/> (C x C row-major).</summary>
    internal static void Sample(LossKind kind, ReadOnlySpan<double> z, int label, Span<double> h)
    {
        int c = z.Length;
        h.Clear();
        if (c == 1)
        {
            double y = label == 1 ? 1 : -1, u = y * z[0];
            h[0] = kind switch
            {
                LossKind.Exponential => Math.Exp(-u),
                LossKind.Logistic or LossKind.CrossEntropy => Sigmoid(u) * Sigmoid(-u),
                LossKind.Square => 2,
                _ => 0,
            };
            return;
        }
        switch (kind)
        {
            case LossKind.Exponential:
                // l = sum_{j != y} e_j, e_j = exp(z_j - z_y).
                for (int j = 0; j < c; j++)
                {
                    if (j == label) continue;
                    double e = Math.Exp(z[j] - z[label]);
                    h[j * c + j] = e;
                    h[label * c + label] += e;
                    h[j * c + label] = -e;
                    h[label * c + j] = -e;
                }
                break;
            case LossKind.Logistic:
            case LossKind.CrossEntropy:
                {
                    // l = -log softmax(z)_y: H = diag(p) - p p^T.
                    double mx = double.NegativeInfinity;
                    for (int j = 0; j < c; j++) mx = Math.Max(mx, z[j]);
                    Span<double> p = c <= 256 ? stackalloc double[c] : new double[c];
                    double s = 0;
                    for (int j = 0; j < c; j++) { p[j] = Math.Exp(z[j] - mx); s += p[j]; }
                    for (int j = 0; j < c; j++) p[j] /= s;
                    for (int a = 0; a < c; a++)
                        for (int b = 0; b < c; b++) h[a * c + b] = (a == b ? p[a] : 0) - p[a] * p[b];
                    break;
                }
            case LossKind.Square:
                for (int j = 0; j < c; j++) h[j * c + j] = 2;
                break;
        }
    }

    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
