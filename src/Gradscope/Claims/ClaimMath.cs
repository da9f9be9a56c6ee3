namespace Gradscope.Claims;

/// <summary>Small statistics the verdict rules share.</summary>
public static class ClaimMath
{
    /// <summary>The angle (radians, in [0, pi]) between vectors a and b; NaN when either is zero (<see cref="Measures.EndToEnd.AngleOrNaN"/>, the registry's angle).</summary>
    public static double Angle(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => Measures.EndToEnd.AngleOrNaN(a, b, out _);

    /// <summary>Least-squares line y = intercept + slope x with its coefficient of determination R^2.</summary>
    public static (double Slope, double Intercept, double R2) LinearFit(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count || x.Count < 2) throw new ArgumentException($"LinearFit needs two equal-length series of >= 2 points, got {x.Count} and {y.Count}.");
        double mx = x.Average(), my = y.Average(), sxx = 0, sxy = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxx += (x[i] - mx) * (x[i] - mx); sxy += (x[i] - mx) * (y[i] - my); syy += (y[i] - my) * (y[i] - my);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        double r2 = syy == 0 ? 1 : sxy * sxy / (sxx * syy);
        return (slope, my - slope * mx, r2);
    }

    /// <summary>Fraction of consecutive pairs with y[i+1] &lt;= y[i] (1 = non-increasing).</summary>
    public static double FractionNonIncreasing(IReadOnlyList<double> y, double slack = 0)
    {
        if (y.Count < 2) return 1;
        int ok = 0;
        for (int i = 1; i < y.Count; i++) if (y[i] <= y[i - 1] + slack) ok++;
        return (double)ok / (y.Count - 1);
    }

    /// <summary>Fraction of consecutive pairs with y[i+1] &gt;= y[i] (1 = non-decreasing).</summary>
    public static double FractionNonDecreasing(IReadOnlyList<double> y, double slack = 0)
    {
        if (y.Count < 2) return 1;
        int ok = 0;
        for (int i = 1; i < y.Count; i++) if (y[i] >= y[i - 1] - slack) ok++;
        return (double)ok / (y.Count - 1);
    }

    /// <summary>Kendall's tau-b between two series (ties handled as in tau-b).</summary>
    public static double KendallTau(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException("KendallTau: series differ in length.");
        long concordant = 0, discordant = 0, tx = 0, ty = 0;
        for (int i = 0; i < x.Count; i++)
            for (int j = i + 1; j < x.Count; j++)
            {
                double dx = Math.Sign(x[i] - x[j]), dy = Math.Sign(y[i] - y[j]);
                if (dx == 0 && dy == 0) continue;
                if (dx == 0) tx++;
                else if (dy == 0) ty++;
                else if (dx == dy) concordant++;
                else discordant++;
            }
        double denom = Math.Sqrt((double)(concordant + discordant + tx) * (concordant + discordant + ty));
        return denom == 0 ? double.NaN : (concordant - discordant) / denom;
    }
}
