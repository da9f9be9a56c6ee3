namespace Gradscope.Measures.PacBayes;

/// <summary>s = softplus(rho) = ln(1 + e^rho), the positive parameterization of the posterior standard deviations.</summary>
public static class Softplus
{
    /// <summary>ln(1 + e^rho), stable for large |rho|.</summary>
    public static double Of(double rho) => rho > 36 ? rho : Log1P(Math.Exp(rho));

    /// <summary>d softplus / d rho = sigmoid(rho).</summary>
    public static double Derivative(double rho) => 1 / (1 + Math.Exp(-rho));

    /// <summary>The inverse ln(e^s - 1) for s &gt; 0.</summary>
    public static double Inverse(double s)
    {
        if (s > 36) return s;
        return Math.Log(ExpM1(s));
    }

    // NOTE: ln(1 + x) and e^x - 1 for small x lose about -log10(x) digits when written directly; the
    // corrections below (Goldberg 1991, "What every computer scientist should know ...", thm 4) are exact to ~1 ulp.
    private static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    private static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1) return x;
        double um1 = u - 1;
        return um1 == -1 ? -1 : um1 * x / Math.Log(u);
    }
}
