using Gradscope.Claims;
using Gradscope.Data;
using Gradscope.Training;
using Xunit;

namespace Gradscope.Tests.Claims;

/// <summary>The max_margin generator and Theorem 3's asymptote against hand-solved cases and the SVM solver.</summary>
public class SoudryAsymptoteTests
{
    // z1 = (1, 0.5), z2 = (1, -0.25), z3 = (3, 0), all labelled +1. Solved by hand: w_hat = (1, 0) (both z1, z2 at margin 1),
    // w_hat = alpha1 z1 + alpha2 z2 gives alpha = (1/3, 2/3); z3 has margin 3 (delta = 2);
    // A = (1/3) z1 z1^T + (2/3) z2 z2^T = diag(1, 1/8); w_tilde (eta = 1): z1.w = ln 3, z2.w = ln 1.5.
    private static Dataset HandData(int[] labels) =>
        new("hand", new double[] { 1, 0.5, 1, -0.25, 3, 0 }.Select((v, k) => labels[k / 2] == 1 ? v : -v).ToArray(), labels, [2], 2);

    [Theory]
    [InlineData(new[] { 1, 1, 1 })]
    [InlineData(new[] { 0, 1, 0 })] // x = y z: flipping a label and the sign of its row changes nothing
    public void HandSolvedTwoDimensionalCase(int[] labels)
    {
        var data = HandData(labels);
        var svm = HardMarginSvm.Fit(data);
        var a = SoudryAsymptote.Of(data, svm, sumStep: 1.0);
        Assert.Equal(new[] { 0, 1 }, a.Support);
        Assert.Equal(1.0, a.WHat[0], 9); Assert.Equal(0.0, a.WHat[1], 9);
        Assert.Equal(2.0, a.Gap, 9);
        Assert.Equal(0.125, a.LambdaMin, 9);
        Assert.Equal(0, a.RankDeficit);
        double w2 = (Math.Log(3) - Math.Log(1.5)) / 0.75, w1 = Math.Log(3) - 0.5 * w2;
        Assert.Equal(w1, a.WTilde[0], 8); Assert.Equal(w2, a.WTilde[1], 8);
        // the asymptote and its angle at t = e^2: w_hat * 2 + w_tilde
        var at = a.At(Math.Exp(2));
        Assert.Equal(2 + w1, at[0], 8);
        Assert.Equal(Math.Atan2(Math.Abs(w2), 2 + w1), a.Angle(Math.Exp(2)), 8);
        Assert.Equal(0, a.Residual(at, Math.Exp(2)), 12);
    }

    [Fact]
    public void AStepSizeShiftsWTildeAlongTheSupportEquations()
    {
        var data = HandData([1, 1, 1]);
        var svm = HardMarginSvm.Fit(data);
        var a1 = SoudryAsymptote.Of(data, svm, 1.0);
        var a2 = SoudryAsymptote.Of(data, svm, 0.1);
        // z_n^T w_tilde = ln(eta / alpha_n): changing eta moves every support equation by ln(0.1), i.e. w_tilde by ln(0.1) w_hat (z_n^T w_hat = 1)
        Assert.Equal(a1.WTilde[0] + Math.Log(0.1), a2.WTilde[0], 9);
        Assert.Equal(a1.WTilde[1], a2.WTilde[1], 9);
    }

    [Theory]
    [InlineData(30, 10, 1.0, 7UL)]
    [InlineData(60, 20, 0.5, 3UL)]
    public void GeneratorsSvmIsTheClosedForm(int n, int d, double gap, ulong seed)
    {
        var g = SyntheticMaxMargin.Generate(n, d, gap, seed);
        var svm = HardMarginSvm.Fit(g.Data);
        for (int j = 0; j < d; j++) Assert.Equal(g.W[j], svm.W[j], 7);
        Assert.Equal(g.SupportIndices.OrderBy(i => i), svm.SupportVectors.OrderBy(i => i));
        foreach (int i in g.SupportIndices) Assert.Equal(g.Alpha[i], svm.Alpha[i], 6);
        var a = SoudryAsymptote.Of(g.Data, svm, 0.1);
        Assert.True(a.Gap >= gap - 1e-9, $"gap {a.Gap} < {gap}");
        Assert.Equal(1.0, a.LambdaMin, 6); // sum alpha z z^T = sum q q^T = I
        Assert.Equal(0, a.RankDeficit);
        // the support equations hold with the generator's alpha: z_k^T w_tilde = ln(0.1 / alpha_k)
        foreach (int i in g.SupportIndices)
        {
            double y = g.Data.Y[i] == 1 ? 1 : -1, dot = 0;
            for (int j = 0; j < d; j++) dot += y * g.Data.X[i * d + j] * a.WTilde[j];
            Assert.Equal(Math.Log(0.1 / g.Alpha[i]), dot, 6);
        }
    }

    [Fact]
    public void GeneratorRejectsBadParameters()
    {
        Assert.Throws<ArgumentException>(() => SyntheticMaxMargin.Generate(10, 10, 1, 1));
        Assert.Throws<ArgumentException>(() => SyntheticMaxMargin.Generate(20, 10, 0, 1));
        var e = Assert.Throws<ArgumentException>(() => DataResolver.Resolve("max_margin", new Dictionary<string, string> { ["bogus"] = "1" }, false, 1));
        Assert.Contains("bogus", e.Message);
    }
}
