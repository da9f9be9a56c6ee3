using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Gradscope.Nn;

namespace Gradscope.Tests.Measures;

/// <summary>The registry's summary of the empirical NTK (ntk.* keys) against the closed form of a linear net's kernel.</summary>
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
        var data = new Dataset("rows", [1.0, 0, 1, 1], [1, 0], [2], 2);
        var r = MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: new MeasureOptions { NtkRows = [0, 1] }), MeasureRegistry.Select(["ntk.*"]));
        Assert.Equal(2, r.Values["ntk.samples"]);
        Assert.Equal(2, r.Values["ntk.size"]);
        Assert.Equal(3.0, r.Values["ntk.trace"], 12);
        Assert.Equal(Math.Sqrt(7), r.Values["ntk.frobenius"], 12);
        Assert.Equal((3 + Math.Sqrt(5)) / 2, r.Values["ntk.lambda_max"], 12);
        Assert.Equal((3 - Math.Sqrt(5)) / 2, r.Values["ntk.lambda_min"], 12);
        Assert.Equal((3 + Math.Sqrt(5)) / (3 - Math.Sqrt(5)), r.Values["ntk.condition"], 10);
        Assert.Equal([(3 + Math.Sqrt(5)) / 2, (3 - Math.Sqrt(5)) / 2], r.Arrays["ntk.eigenvalues"].Data.Select(v => Math.Round(v, 12)), new RoundedComparer());
        // without the initial net there is no kernel distance, and the reason says how to give it
        Assert.Contains(r.Omitted, o => o.Key == "ntk.kernel_distance" && o.Reason.Contains("--initial", StringComparison.Ordinal));
    }

    [Fact]
    public void KernelDistanceOfALinearNetIsZeroForAnyWeights()
    {
        // the kernel of a linear net, X X^T, does not depend on w: the distance from the one at any initialization is 0
        var net = new Sequential<double>([2], new Dense<double>(2, 1));
        net.Flat[0] = 0.3; net.Flat[1] = -2;
        var init = new Sequential<double>([2], new Dense<double>(2, 1));
        init.Flat[0] = 5; init.Flat[1] = 1;
        var data = new Dataset("rows", [1.0, 0, 1, 1], [1, 0], [2], 2);
        var r = MeasureRegistry.Compute(new MeasureContext<double>(net, data, options: new MeasureOptions { NtkRows = [0, 1] }, initial: init), MeasureRegistry.Select(["ntk.kernel_distance"]));
        Assert.Equal(0, r.Values["ntk.kernel_distance"], 14);
    }

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= 1e-12;
        public int GetHashCode(double x) => 0;
    }
}
