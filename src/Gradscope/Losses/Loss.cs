using System.Numerics;

namespace Gradscope.Losses;

/// <summary>The losses of THEORY.md section 2.</summary>
public enum LossKind
{
    /// <summary>l = exp(-u); multiclass l = sum_{j != y} exp(-(z_y - z_j)).</summary>
    Exponential,
    /// <summary>l = log(1 + exp(-u)).</summary>
    Logistic,
    /// <summary>l = -log softmax(z)_y.</summary>
    CrossEntropy,
    /// <summary>l = sum_j (z_j - t_j)^2, t = target_scale onehot(y); binary (f - target_scale y)^2.</summary>
    Square,
    /// <summary>l = max(0, 1 - u) with u the (multiclass) margin.</summary>
    Hinge,
}

/// <summary>
/// Per-sample losses, their logs and gradients for outputs z (n, C) and labels y.
/// Binary nets (C = 1) use labels 0/1 as y = -1/+1 and u = y f(x).
/// </summary>
public static class Loss
{
    /// <summary>Whether the loss is of exponential type (goes to 0 as margins grow; log L is the natural quantity).</summary>
    public static bool IsExponentialType(LossKind kind) => kind is LossKind.Exponential or LossKind.Logistic or LossKind.CrossEntropy;

    /// <summary>Parses a loss name as written in configs ("exponential", "logistic", "cross_entropy", "square", "hinge").</summary>
    public static LossKind Parse(string name) => name.Trim().ToLowerInvariant().Replace("-", "_") switch
    {
        "exponential" or "exp" => LossKind.Exponential,
        "logistic" => LossKind.Logistic,
        "cross_entropy" or "crossentropy" or "ce" => LossKind.CrossEntropy,
        "square" or "mse" => LossKind.Square,
        "hinge" => LossKind.Hinge,
        _ => throw new ArgumentException($"Unknown loss '{name}'; expected exponential, logistic, cross_entropy, square or hinge."),
    };

    /// <summary>The config name of a loss.</summary>
    public static string Name(LossKind kind) => kind switch
    {
        LossKind.CrossEntropy => "cross_entropy",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Computes, for one sample with outputs <paramref name="z"/> and label <paramref name="label"/>,
    /// l, log l and d log l / dz (written to <paramref name="dlogl"/>; d l / dz = l * dlogl).
    /// log l is computed without forming l when l could underflow (log-sum-exp).
    /// For square and hinge losses, dlogl holds dl/dz and the return flag is false.
    /// </summary>
    /// <returns>true when <paramref name="dlogl"/> holds d log l / dz, false when it holds dl / dz.</returns>
    public static bool Sample(LossKind kind, ReadOnlySpan<double> z, int label, double targetScale, Span<double> dlogl, out double l, out double logl)
    {
        int c = z.Length;
        dlogl.Clear();
        if (c == 1)
        {
            double y = label == 1 ? 1.0 : label == 0 ? -1.0 : throw new ArgumentException($"Binary label must be 0 or 1, got {label}.");
            double u = y * z[0];
            switch (kind)
            {
                case LossKind.Exponential:
                    logl = -u; l = Math.Exp(-u); dlogl[0] = -y; return true;
                case LossKind.Logistic:
                case LossKind.CrossEntropy: // binary CE with one logit is the logistic loss
                    {
                        double x = -u;
                        SoftplusParts(x, out l, out logl, out double r);
                        dlogl[0] = -y * r; return true;
                    }
                case LossKind.Square:
                    {
                        double d = z[0] - targetScale * y; l = d * d; logl = Math.Log(l); dlogl[0] = 2 * d; return false;
                    }
                case LossKind.Hinge:
                    l = Math.Max(0, 1 - u); logl = Math.Log(l); dlogl[0] = u < 1 ? -y : 0; return false;
            }
        }
        if ((uint)label >= (uint)c) throw new ArgumentException($"Label {label} is out of range for {c} classes.");
        switch (kind)
        {
            case LossKind.Exponential:
                {
                    // log l = LSE_{j != y} (z_j - z_y); d log l / dz_j = p_j (softmax over j != y), d / dz_y = -1.
                    double m = double.NegativeInfinity;
                    for (int j = 0; j < c; j++) if (j != label) m = Math.Max(m, z[j] - z[label]);
                    double s = 0;
                    for (int j = 0; j < c; j++) if (j != label) s += Math.Exp(z[j] - z[label] - m);
                    logl = m + Math.Log(s); l = Math.Exp(logl);
                    for (int j = 0; j < c; j++) dlogl[j] = j == label ? -1 : Math.Exp(z[j] - z[label] - logl);
                    return true;
                }
            case LossKind.Logistic:
            case LossKind.CrossEntropy:
                {
                    // l = softplus(x) with x = LSE_{j != y}(z_j - z_y); dl/dz = softmax(z) - onehot(y).
                    // d log l / dz = (dl/dx / l) dx/dz = (sigmoid(x)/softplus(x)) (q - onehot(y)), q = softmax over j != y.
                    double m = double.NegativeInfinity;
                    for (int j = 0; j < c; j++) if (j != label) m = Math.Max(m, z[j] - z[label]);
                    double s = 0;
                    for (int j = 0; j < c; j++) if (j != label) s += Math.Exp(z[j] - z[label] - m);
                    double x = m + Math.Log(s);
                    SoftplusParts(x, out l, out logl, out double r);
                    for (int j = 0; j < c; j++) dlogl[j] = j == label ? -r : r * Math.Exp(z[j] - z[label] - x);
                    return true;
                }
            case LossKind.Square:
                {
                    double sum = 0;
                    for (int j = 0; j < c; j++)
                    {
                        double d = z[j] - (j == label ? targetScale : 0);
                        sum += d * d; dlogl[j] = 2 * d;
                    }
                    l = sum; logl = Math.Log(sum); return false;
                }
            case LossKind.Hinge:
                {
                    int best = -1; double mx = double.NegativeInfinity;
                    for (int j = 0; j < c; j++) if (j != label && z[j] > mx) { mx = z[j]; best = j; }
                    double u = z[label] - mx;
                    l = Math.Max(0, 1 - u); logl = Math.Log(l);
                    if (u < 1) { dlogl[label] = -1; dlogl[best] = 1; }
                    return false;
                }
        }
        throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown loss.");
    }

    /// <summary>
    /// The empirical risk L = (1/n) sum_i l_i and log L (THEORY.md section 2) from the per-sample losses
    /// <paramref name="l"/> and their logs <paramref name="logl"/>: log L = LSE_i(log l_i) - log n, never log of L, so it
    /// stays finite where L underflows. The one reduction the training loss node and the registry's loss entries share.
    /// </summary>
    public static (double L, double LogL) Mean(ReadOnlySpan<double> l, ReadOnlySpan<double> logl)
    {
        int n = l.Length;
        // log L = LSE_i(log l_i) - log n
        double m = double.NegativeInfinity;
        for (int i = 0; i < n; i++) m = Math.Max(m, logl[i]);
        double s = 0;
        if (!double.IsNegativeInfinity(m)) for (int i = 0; i < n; i++) s += Math.Exp(logl[i] - m);
        double logL = double.IsNegativeInfinity(m) ? m : m + Math.Log(s) - Math.Log(n);
        double sum = 0; for (int i = 0; i < n; i++) sum += l[i];
        return (sum / n, logL);
    }

    /// <summary>
    /// L and log L of outputs <paramref name="z"/> (n, C, row-major) against <paramref name="labels"/>: the per-sample losses of
    /// <see cref="Sample"/> reduced by <see cref="Mean"/>, the same arithmetic as the training loss node (so a float64 net's values
    /// agree with its training probe bit for bit).
    /// </summary>
    /// <exception cref="ArgumentException">No samples, z not n x C, or a label out of range.</exception>
    public static (double L, double LogL) Risk(LossKind kind, ReadOnlySpan<double> z, ReadOnlySpan<int> labels, double targetScale)
    {
        int n = labels.Length;
        if (n == 0) throw new ArgumentException("the loss of an empty set is undefined.", nameof(labels));
        if (z.Length % n != 0) throw new ArgumentException($"{z.Length} outputs do not split into {n} samples.", nameof(z));
        int c = z.Length / n;
        var l = new double[n];
        var logl = new double[n];
        var d = new double[c];
        for (int i = 0; i < n; i++) Sample(kind, z.Slice(i * c, c), labels[i], targetScale, d, out l[i], out logl[i]);
        return Mean(l, logl);
    }

    /// <summary>softplus(x) = log(1 + e^x), stable for all x.</summary>
    public static double Softplus(double x) => x > 0 ? x + Log1p(Math.Exp(-x)) : Log1p(Math.Exp(x));

    // NOTE: Goldberg's trick: log(1 + x) accurate to a few ulps even when 1 + x rounds (x tiny).
    /// <summary>log(1 + x), accurate for small x.</summary>
    public static double Log1p(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    // NOTE: for x < -37, log1p(e^x) rounds to e^x (1 - e^x/2) and log of it to x - e^x/2; computing
    // log(log1p(exp(x))) there would underflow to log(0) once x < -745.
    /// <summary>log softplus(x), finite for every finite x.</summary>
    public static double LogSoftplus(double x) => x < -37 ? x - Math.Exp(x) / 2 : Math.Log(Softplus(x));

    /// <summary>
    /// <see cref="Softplus"/>, <see cref="LogSoftplus"/> and <see cref="SigmoidOverSoftplus"/> of one x from a single
    /// exponential, bit for bit equal to the three calls (each of them evaluates e^(-|x|) and softplus(x) the same way).
    /// </summary>
    internal static void SoftplusParts(double x, out double softplus, out double logSoftplus, out double sigmoidOverSoftplus)
    {
        double e = Math.Exp(x > 0 ? -x : x);   // at x = 0 both forms are exp(0)
        softplus = x > 0 ? x + Log1p(e) : Log1p(e);
        if (x < -37) { logSoftplus = x - e / 2; sigmoidOverSoftplus = 1 - e / 2; return; }
        logSoftplus = Math.Log(softplus);
        sigmoidOverSoftplus = (x >= 0 ? 1 / (1 + e) : e / (1 + e)) / softplus;
    }

    /// <summary>sigmoid(x) / softplus(x) = d log softplus(x) / dx, finite for every finite x (tends to 1 as x -> -inf).</summary>
    public static double SigmoidOverSoftplus(double x)
    {
        if (x < -37) return 1 - Math.Exp(x) / 2;
        double sig = x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
        return sig / Softplus(x);
    }
}
