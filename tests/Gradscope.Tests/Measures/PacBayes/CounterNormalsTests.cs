using Gradscope.Measures.PacBayes;

namespace Gradscope.Tests.Measures.PacBayes;

public class CounterNormalsTests
{
    /// <summary>Standard normal CDF by the Abramowitz-Stegun 7.1.26 erf approximation (|error| &lt; 1.5e-7).</summary>
    private static double Phi(double x)
    {
        double z = Math.Abs(x) / Math.Sqrt(2), t = 1 / (1 + 0.3275911 * z);
        double erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-z * z);
        return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }

    [Fact]
    public void ValuesFollowTheStandardNormal()
    {
        const int n = 1 << 20;
        var z = new float[n];
        CounterNormals.Fill(12345, 0, z);
        double m1 = z.Average(v => (double)v), m2 = z.Average(v => (double)v * v), m4 = z.Average(v => Math.Pow(v, 4));
        Assert.InRange(m1, -5.0 / Math.Sqrt(n), 5.0 / Math.Sqrt(n));
        Assert.InRange(m2, 1 - 5 * Math.Sqrt(2.0 / n), 1 + 5 * Math.Sqrt(2.0 / n));
        Assert.InRange(m4, 3 - 5 * Math.Sqrt(96.0 / n), 3 + 5 * Math.Sqrt(96.0 / n));
        // Kolmogorov-Smirnov distance to Phi: 1.95 / sqrt(n) is the 0.001 critical value
        var sorted = z.Select(v => (double)v).Order().ToArray();
        double ks = 0;
        for (int i = 0; i < n; i++) ks = Math.Max(ks, Math.Max(Math.Abs(Phi(sorted[i]) - (double)i / n), Math.Abs(Phi(sorted[i]) - (i + 1.0) / n)));
        Assert.True(ks < 1.95 / Math.Sqrt(n), $"KS distance {ks}");
        // neighbours (the two Box-Muller outputs of one pair sit 16 apart) are uncorrelated
        double c1 = 0, c16 = 0;
        for (int i = 0; i + 16 < n; i++) { c1 += (double)z[i] * z[i + 1]; c16 += (double)z[i] * z[i + 16]; }
        Assert.InRange(c1 / n, -5.0 / Math.Sqrt(n), 5.0 / Math.Sqrt(n));
        Assert.InRange(c16 / n, -5.0 / Math.Sqrt(n), 5.0 / Math.Sqrt(n));
    }

    [Fact]
    public void AValueDependsOnlyOnKeyAndPositionAndKeysSpacedByTheStreamLengthDoNotOverlap()
    {
        var whole = new float[4096];
        CounterNormals.Fill(7, 0, whole);
        var tail = new float[2048];
        CounterNormals.Fill(7, 2048, tail);
        Assert.Equal(whole.AsSpan(2048).ToArray(), tail);
        // the stream at key + CountersFor(2048) is the continuation of the stream at key
        var next = new float[2048];
        CounterNormals.Fill(7 + CounterNormals.CountersFor(2048), 0, next);
        Assert.Equal(whole.AsSpan(2048).ToArray(), next);
        var other = new float[2048];
        CounterNormals.Fill(8, 0, other);
        Assert.NotEqual(whole.AsSpan(0, 2048).ToArray(), other);
        Assert.Throws<ArgumentException>(() => CounterNormals.Fill(7, 5, tail));
    }
}
