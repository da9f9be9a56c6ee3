namespace Gradscope.Measures.PacBayes;

/// <summary>
/// The discrete grid of prior variances lambda_j = c exp(-j / b), j = 1, 2, ... (Dziugaite &amp; Roy 2017,
/// section 3). A union bound over the grid with weights 6 / (pi^2 j^2) (which sum to 1) costs
/// ln(pi^2 j^2 / 6) in the numerator of the PAC-Bayes bound (THEORY.md section 5).
/// </summary>
public sealed class LambdaGrid
{
    /// <summary>The grid lambda_j = c exp(-j/b) for j in [1, maxJ]; c &gt; 0, b &gt; 0, maxJ &gt;= 1 or the grid is empty.</summary>
    public LambdaGrid(double c, double b, int maxJ = int.MaxValue)
    {
        if (!(c > 0) || double.IsInfinity(c)) throw new ArgumentOutOfRangeException(nameof(c), c, "PAC-Bayes lambda grid: the scale c must be positive and finite (lambda = c exp(-j/b)).");
        if (!(b > 0) || double.IsInfinity(b)) throw new ArgumentOutOfRangeException(nameof(b), b, "PAC-Bayes lambda grid: the resolution b must be positive and finite (lambda = c exp(-j/b)).");
        if (maxJ < 1) throw new ArgumentOutOfRangeException(nameof(maxJ), maxJ, "PAC-Bayes lambda grid: the grid is empty (it needs j = 1 .. maxJ with maxJ >= 1).");
        C = c; B = b; MaxJ = maxJ;
    }

    /// <summary>Scale c: the grid's largest variance is c exp(-1/b).</summary>
    public double C { get; }
    /// <summary>Resolution b: points per e-fold of lambda.</summary>
    public double B { get; }
    /// <summary>Largest index j on the grid.</summary>
    public int MaxJ { get; }

    /// <summary>lambda_j = c exp(-j/b).</summary>
    public double Lambda(int j)
    {
        if (j < 1 || j > MaxJ) throw new ArgumentOutOfRangeException(nameof(j), j, $"PAC-Bayes lambda grid: j must lie in [1, {MaxJ}].");
        return C * Math.Exp(-j / B);
    }

    /// <summary>The continuous index j(lambda) = b ln(c / lambda) (the inverse of <see cref="Lambda"/>).</summary>
    public double ContinuousIndex(double lambda) => B * Math.Log(C / lambda);

    /// <summary>The grid indices next to lambda (floor and ceiling of j(lambda)), clamped to [1, MaxJ], distinct.</summary>
    public int[] Neighbours(double lambda)
    {
        if (!(lambda > 0)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "PAC-Bayes lambda grid: lambda must be positive.");
        double j = ContinuousIndex(lambda);
        int lo = (int)Math.Clamp(Math.Floor(j), 1, MaxJ), hi = (int)Math.Clamp(Math.Ceiling(j), 1, MaxJ);
        return lo == hi ? [lo] : [lo, hi];
    }

    /// <summary>The union-bound cost of index j: ln(pi^2 j^2 / 6).</summary>
    public static double UnionCost(int j)
    {
        if (j < 1) throw new ArgumentOutOfRangeException(nameof(j), j, "PAC-Bayes lambda grid: j must be >= 1.");
        return Math.Log(Math.PI * Math.PI * (double)j * j / 6);
    }

    /// <summary>The same cost at a continuous index (used by the differentiable surrogate): ln(pi^2 max(j,1)^2 / 6).</summary>
    public static double UnionCost(double j) => Math.Log(Math.PI * Math.PI * Math.Max(j, 1) * Math.Max(j, 1) / 6);
}
