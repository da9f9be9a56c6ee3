using Gradscope.Claims;
using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tests.Measures;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Claims;

/// <summary>
/// ClaimMeasures, the way claims read registry quantities: values against explicit matrices (MathNet SVD, a hand-written
/// forward pass) and closed forms, NaN where the registry omits a key, and the one angle computation.
/// </summary>
public class ClaimMeasuresTests
{
    private static (Sequential<double> Net, Dataset Data, Matrix<double>[] W) Setup()
    {
        var net = MeasureTestNets.Mlp([3, 4, 2], bias: false, seed: 11);
        var data = MeasureTestNets.Gaussian(12, 3, 2, 12);
        var w = new[] { ((Dense<double>)net.Layers[0]).Weight.Value, ((Dense<double>)net.Layers[2]).Weight.Value }
            .Select(t => Matrix<double>.Build.Dense(t.Shape[0], t.Shape[1], (i, j) => t[i, j])).ToArray();
        return (net, data, w);
    }

    [Fact]
    public void ValuesMatchExplicitMatricesAndClosedForms()
    {
        var (net, data, w) = Setup();
        var v = ClaimMeasures.Values(ClaimMeasures.Context(net, data), "rho", "spectral_complexity", "bound.vc", "margin.min", "gamma_min", "input_frobenius");
        double rho = w[0].FrobeniusNorm() * w[1].FrobeniusNorm();
        Assert.Equal(rho, v["rho"], 12);
        // R = (prod_k s_k) (sum_k (b_k / s_k)^(2/3))^(3/2), b_k the sum of the row norms of W_k
        var s = w.Select(m => m.Svd(false).S[0]).ToArray();
        var b = w.Select(m => m.EnumerateRows().Sum(r => r.L2Norm())).ToArray();
        double r = s[0] * s[1] * Math.Pow(Math.Pow(b[0] / s[0], 2.0 / 3) + Math.Pow(b[1] / s[1], 2.0 / 3), 1.5);
        Assert.Equal(r, v["spectral_complexity"], 8);
        double p = net.ParameterCount;
        Assert.Equal(Math.Sqrt(p * 2 * Math.Log(p) / data.N), v["bound.vc"], 12);
        var margins = Enumerable.Range(0, data.N).Select(i =>
        {
            var z = w[1] * (w[0] * Vector<double>.Build.Dense(data.Row(i).ToArray())).PointwiseMaximum(0);
            return z[data.Y[i]] - z[1 - data.Y[i]];
        }).ToArray();
        Assert.Equal(margins.Min(), v["margin.min"], 12);
        Assert.Equal(margins.Min() / rho, v["gamma_min"], 12);
        Assert.Equal(Math.Sqrt(data.X.Sum(x => x * x)), v["input_frobenius"], 12);
        var fro = ClaimMeasures.PerLayer(ClaimMeasures.Context(net, data), "frobenius");
        Assert.Equal(2, fro.Length);
        Assert.Equal(w[0].FrobeniusNorm(), fro[0], 12);
        Assert.Equal(w[1].FrobeniusNorm(), fro[1], 12);
    }

    [Fact]
    public void AnOmittedKeyReadsNaNAndAnUnknownOneIsAnError()
    {
        var (net, data, _) = Setup();
        var c = ClaimMeasures.Context(net, data);
        var v = ClaimMeasures.Values(c, "margin.min", "bound.frobenius_product");
        // a margin bound needs a positive margin: with a misclassified sample the registry omits it
        Assert.True(v["margin.min"] <= 0, "the random-label set is expected to be misclassified somewhere");
        Assert.True(double.IsNaN(v["bound.frobenius_product"]));
        Assert.Throws<ArgumentException>(() => ClaimMeasures.Values(c, "train_acc"));
    }

    [Fact]
    public void OneAngleComputation()
    {
        Assert.Equal(Math.PI / 4, EndToEnd.AngleOrNaN([1, 0], [1, 1], out bool zero), 15);
        Assert.False(zero);
        Assert.Equal(Math.PI, ClaimMath.Angle([1, 2], [-2, -4]), 15);
        Assert.True(double.IsNaN(ClaimMath.Angle([0, 0], [1, 1])));
        Assert.Throws<ArgumentException>(() => EndToEnd.Angle([0, 0], [1, 1]));
        Assert.Equal(ClaimMath.Angle([0.3, -1.7, 2.2], [1.1, 0.4, -0.5]), EndToEnd.Angle([0.3, -1.7, 2.2], [1.1, 0.4, -0.5]));
    }

    [Fact]
    public void SquaredNormsAreExactSumsOfSquares()
    {
        // integers: every partial sum is exact, so the balance is exact too (no square root and back)
        var a = new WeightMatrix("a", 0, 1, 3, [1, 2, 3]);
        var b = new WeightMatrix("b", 2, 3, 1, [4, 5, 6]);
        Assert.Equal(14, FrobeniusNorm.Squared(a));
        Assert.Equal(77, FrobeniusNorm.Squared(b));
        Assert.Equal(91, FrobeniusNorm.SquaredSum([a, b]));
        Assert.Equal([63.0], LayerBalance.Scalars([a, b]));
    }
}
