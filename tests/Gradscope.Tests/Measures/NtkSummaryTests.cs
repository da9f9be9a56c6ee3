using Gradscope.Measures;
using Gradscope.Nn;

namespace Gradscope.Tests.Measures;

public class NtkSummaryTests
{
    [Fact]
    public void LinearNetKernelIsGramMatrixWithClosedFormEigenvalues()
    {
        // f(x) = w . x has grad_w f(x) = x, so K = X X^T; for rows (1, 0), (1, 1): K = [[1, 1], [1, 2]], eigenvalues (3 +- sqrt 5) / 2.
        var net = new Sequential<double>([2], new Dense<double>(2, 1));
        net.Flat[0] = 0.3; net.Flat[1] = -2;
        var k = EmpiricalNtk.Compute(net, [1.0, 0, 1, 1], 2);
        Assert.Equal([1.0, 1, 1, 2], k.Select(v => Math.Round(v, 12)).ToArray());
        var s = NtkSummary.Of(k);
        Assert.Equal(2, s.Size);
        Assert.Equal(3.0, s.Trace, 12);
        Assert.Equal(Math.Sqrt(7), s.Frobenius, 12);
        Assert.Equal((3 + Math.Sqrt(5)) / 2, s.LambdaMax, 12);
        Assert.Equal((3 - Math.Sqrt(5)) / 2, s.LambdaMin, 12);
        Assert.Equal((3 + Math.Sqrt(5)) / (3 - Math.Sqrt(5)), s.Condition, 10);
        Assert.Throws<ArgumentException>(() => NtkSummary.Of([1.0, 2, 3]));
    }
}
