using Gradscope.Losses;
using Gradscope.Tensors;

namespace Gradscope.Tests.Losses;

/// <summary>The one-exponential softplus triple against the three separate functions (bit for bit) and closed forms.</summary>
public class SoftplusPartsTests
{
    private static void Same(double x)
    {
        Loss.SoftplusParts(x, out double sp, out double logSp, out double r);
        Assert.Equal(BitConverter.DoubleToInt64Bits(Loss.Softplus(x)), BitConverter.DoubleToInt64Bits(sp));
        Assert.Equal(BitConverter.DoubleToInt64Bits(Loss.LogSoftplus(x)), BitConverter.DoubleToInt64Bits(logSp));
        Assert.Equal(BitConverter.DoubleToInt64Bits(Loss.SigmoidOverSoftplus(x)), BitConverter.DoubleToInt64Bits(r));
    }

    [Fact]
    public void EqualsTheSeparateFunctionsEverywhere()
    {
        foreach (double x in new[] { 0.0, -0.0, 1e-300, -1e-300, 1e-17, -1e-17, 0.5, -0.5, 36.9, -36.9, 37, -37, -37.0000001,
                     700, -700, -745.2, -800, 800, double.MaxValue, double.MinValue, double.PositiveInfinity, double.NegativeInfinity, double.NaN })
            Same(x);
        var rng = new Rng(11);
        for (int i = 0; i < 20000; i++) Same(rng.NextNormal() * Math.Pow(10, (int)(rng.NextUInt64() % 5) - 1));
    }

    [Fact]
    public void MatchesClosedFormsAtModerateArguments()
    {
        foreach (double x in new[] { -3.0, -0.25, 0.0, 0.75, 4.0 })
        {
            Loss.SoftplusParts(x, out double sp, out double logSp, out double r);
            double expected = Math.Log(1 + Math.Exp(x));
            Assert.Equal(expected, sp, 14);
            Assert.Equal(Math.Log(expected), logSp, 13);
            Assert.Equal(1 / (1 + Math.Exp(-x)) / expected, r, 13);
        }
    }
}
