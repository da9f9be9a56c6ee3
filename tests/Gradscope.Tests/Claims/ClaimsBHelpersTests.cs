using Gradscope.Claims;
using Gradscope.Data;

namespace Gradscope.Tests.Claims;

/// <summary>The statistics the redesigned generalization claims share: within-group Kendall tau, error-rate standard error, the linear baseline.</summary>
public class ClaimsBHelpersTests
{
    [Fact]
    public void WithinGroupTauCountsOnlyPairsOfOneGroup()
    {
        // group 0: x = 1, 2, 3 against y = 1, 3, 2: pairs (1,2) and (1,3) concordant, (2,3) discordant;
        // group 1: x = 1, 2 against y = 2, 1: discordant. By hand: C = 2, D = 2, tau = 0.
        double[] x = [1, 2, 3, 1, 2], y = [1, 3, 2, 2, 1], g = [0, 0, 0, 1, 1];
        Assert.Equal(0.0, KendallTaus.WithinGroups(x, y, g), 15);
        // without the last group: C = 2, D = 1, tau = 1/3
        Assert.Equal(1.0 / 3, KendallTaus.WithinGroups(x[..3], y[..3], g[..3]), 15);
    }

    [Fact]
    public void WithinGroupTauIgnoresTheOrderingTheGroupSets()
    {
        // y rises with the group by construction; inside each group x orders y backwards
        double[] g = [0, 0, 0, 1, 1, 1, 2, 2, 2];
        double[] y = [0.1, 0.2, 0.3, 1.1, 1.2, 1.3, 2.1, 2.2, 2.3];
        double[] x = [3, 2, 1, 13, 12, 11, 23, 22, 21];
        Assert.Equal(-1.0, KendallTaus.WithinGroups(x, y, g), 15);
        Assert.True(KendallTaus.Pooled(x, y) > 0.4);   // pooled, the group's ordering dominates
        Assert.Equal(1.0, KendallTaus.WithinGroups(y, y, g), 15);
        Assert.True(double.IsNaN(KendallTaus.WithinGroups([1, 2], [1, 2], [0, 1])));
        Assert.Throws<ArgumentException>(() => KendallTaus.WithinGroups([1, 2], [1, 2], [0]));
        // a bound undefined for one net makes the correlation undefined, never an exception
        Assert.True(double.IsNaN(KendallTaus.WithinGroups([1, double.NaN, 3], [1, 2, 3], [0, 0, 0])));
        Assert.True(double.IsNaN(KendallTaus.Pooled([1, double.NaN, 3], [1, 2, 3])));
        Assert.Equal(1.0, KendallTaus.Pooled([1, 2, 3], [2, 4, 8]), 15);
    }

    [Fact]
    public void DifferenceStandardErrorIsTheBinomialClosedForm()
    {
        Assert.Equal(0.05, ErrorRates.DifferenceStandardError(0.1, 0.2, 100), 15); // sqrt((0.09 + 0.16) / 100)
        Assert.Equal(0.0, ErrorRates.DifferenceStandardError(0, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ErrorRates.DifferenceStandardError(1.5, 0.2, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => ErrorRates.DifferenceStandardError(0.1, 0.2, 0));
    }

    [Fact]
    public void LinearBaselineSolvesTheNormalEquationsAndIsAtChanceOnXor()
    {
        // 1-D: x = -2, -1, 1, 2 with y = -1, -1, 1, 1: by symmetry b = 0 and w = sum x y / sum x^2 = 6 / 10
        var line = new Dataset("line", [-2, -1, 1, 2], [0, 0, 1, 1], [1], 2);
        var c = LinearBaseline.Fit(line);
        Assert.Equal(0.6, c[0], 12);
        Assert.Equal(0.0, c[1], 12);
        Assert.Equal(0.0, LinearBaseline.Error(c, line));
        // XOR on the four corners: every linear function has zero correlation with the labels; w = 0, b = 0, every score 0 -> class 0
        var xor = new Dataset("xor", [1, 1, 1, -1, -1, 1, -1, -1], [1, 0, 0, 1], [2], 2);
        var cx = LinearBaseline.Fit(xor);
        Assert.All(cx, v => Assert.Equal(0.0, v, 12));
        Assert.Equal(0.5, LinearBaseline.Error([0, 0, 0], xor));
        Assert.Throws<ArgumentException>(() => LinearBaseline.Fit(new Dataset("three", [0, 1, 2], [0, 1, 2], [1], 3)));
        Assert.Throws<ArgumentException>(() => LinearBaseline.Error([1.0], line));
    }
}
