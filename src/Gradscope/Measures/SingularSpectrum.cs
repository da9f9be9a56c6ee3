namespace Gradscope.Measures;

/// <summary>The singular values s_1 &gt;= s_2 &gt;= ... &gt;= 0 of a weight matrix, by a full SVD (MathNet.Numerics).</summary>
public static class SingularSpectrum
{
    /// <summary>All min(rows, cols) singular values in descending order.</summary>
    public static double[] Of(WeightMatrix w)
    {
        var svd = w.ToMathNet().Svd(computeVectors: false);
        var s = svd.S.ToArray();
        Array.Sort(s, (a, b) => b.CompareTo(a));
        return s;
    }
}

/// <summary>Stable rank ||W||_F^2 / ||W||_2^2 (THEORY.md section 5); 1 for rank-one W, n for an n x n orthogonal W.</summary>
public static class StableRank
{
    /// <summary>||W||_F^2 / s_1^2 with s_1 by power iteration.</summary>
    public static double Of(WeightMatrix w) => From(FrobeniusNorm.Of(w), SpectralNorm.Of(w));

    /// <summary>||W||_F^2 / s_1^2 from given norms; throws if s_1 is 0.</summary>
    public static double From(double frobenius, double spectral) =>
        spectral > 0 ? frobenius * frobenius / (spectral * spectral) : throw new ArgumentException("StableRank: the matrix is zero (spectral norm 0).");
}

/// <summary>Effective rank exp(H(p)), p_i = s_i / sum_j s_j, H(p) = -sum_i p_i ln p_i (THEORY.md section 5).</summary>
public static class EffectiveRank
{
    /// <summary>exp(H(p)) for singular values <paramref name="s"/>; zero singular values contribute 0 (0 ln 0 = 0).</summary>
    public static double FromSpectrum(ReadOnlySpan<double> s)
    {
        double sum = 0;
        foreach (double x in s) sum += x;
        if (sum <= 0) throw new ArgumentException("EffectiveRank: all singular values are 0.");
        double h = 0;
        foreach (double x in s)
            if (x > 0) { double p = x / sum; h -= p * Math.Log(p); }
        return Math.Exp(h);
    }

    /// <summary>exp(H(p)) of <paramref name="w"/> (full SVD).</summary>
    public static double Of(WeightMatrix w) => FromSpectrum(SingularSpectrum.Of(w));
}

/// <summary>Numerical rank #{i : s_i &gt; tol * s_1} (THEORY.md section 5).</summary>
public static class NumericalRank
{
    /// <summary>Default relative tolerance.</summary>
    public const double DefaultTolerance = 1e-6;

    /// <summary>#{s_i &gt; tol s_1} for singular values in any order.</summary>
    public static int FromSpectrum(ReadOnlySpan<double> s, double tolerance = DefaultTolerance)
    {
        double s1 = 0;
        foreach (double x in s) s1 = Math.Max(s1, x);
        int k = 0;
        foreach (double x in s) if (x > tolerance * s1) k++;
        return k;
    }

    /// <summary>#{s_i &gt; tol s_1} of <paramref name="w"/> (full SVD).</summary>
    public static int Of(WeightMatrix w, double tolerance = DefaultTolerance) => FromSpectrum(SingularSpectrum.Of(w), tolerance);
}
