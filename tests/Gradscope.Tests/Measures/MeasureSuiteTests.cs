using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures;

public class MeasureSuiteTests
{
    [Fact]
    public void MulticlassMlpReportHasDocumentedKeysWithIndependentValues()
    {
        var m = MeasureTestNets.Mlp([5, 8, 6, 3], bias: false, seed: 51);
        var train = MeasureTestNets.Gaussian(30, 5, 3, 52);
        var test = MeasureTestNets.Gaussian(12, 5, 3, 53);
        var suite = new MeasureSuite(new MeasureOptions { FullSvd = true, Loss = LossKind.CrossEntropy, HessianTopK = 1, HutchinsonSamples = 10, InitialParameters = m.SnapshotParameters() });
        var r = suite.Compute(m, train, test);
        var v = r.Values;
        var ws = WeightMatrix.Of(m).Select(w => w.ToMathNet()).ToArray();
        Assert.Equal(ws.Aggregate(1.0, (a, w) => a * w.FrobeniusNorm()), v["rho"], 10);
        for (int k = 0; k < 3; k++)
        {
            var s = ws[k].Svd(false).S;
            Assert.Equal(s[0], v[$"layer.{k}.spectral"], 9);
            Assert.Equal(ws[k].FrobeniusNorm() * ws[k].FrobeniusNorm() / (s[0] * s[0]), v[$"layer.{k}.stable_rank"], 8);
            Assert.Equal(s.Count, v[$"layer.{k}.numerical_rank"]);
            Assert.Equal(EffectiveRank.FromSpectrum(s.ToArray()), v[$"layer.{k}.effective_rank"], 9);
        }
        var raw = Margins.Raw(m, train);
        Assert.Equal(raw.Min() / v["rho"], v["gamma_min"], 12);
        Assert.Equal(new MarginDistribution(raw).Quantile(0.1), v["margin.q10"], 12);
        Assert.Equal(0.0, v["relative_weight_change"]);
        foreach (var key in new[] { "nc1", "nc2_equinorm", "nc2_equiangularity", "nc3", "nc4", "spectral_complexity", "path_norm", "bound.vc", "test_error", "hessian.top.0", "hessian.trace", "layer.0.balance", "layer.1.alignment" })
            Assert.True(v.ContainsKey(key), $"missing {key}");
        Assert.Contains(r.Omitted, x => x.Key == "distance_to_max_margin");
        Assert.DoesNotContain(v.Values, double.IsNaN);
    }

    [Fact]
    public void BinaryNetWithBiasesOmitsCollapseAndHomogeneousMeasures()
    {
        var m = MeasureTestNets.Mlp([4, 6, 1], bias: true, seed: 61);
        var train = MeasureTestNets.Gaussian(20, 4, 2, 62);
        var r = new MeasureSuite().Compute(m, train);
        foreach (var key in new[] { "rho", "gamma_min", "spectral_complexity", "path_norm", "bound.frobenius_product", "bound.bft" })
        {
            Assert.False(r.Values.ContainsKey(key), key);
            Assert.Contains(r.Omitted, x => x.Key == key);
        }
        Assert.Contains(r.Omitted, x => x.Key == "nc*");
        Assert.True(r.Values.ContainsKey("layer.0.stable_rank"));
    }

    [Fact]
    public void EmptyClassOmitsNeuralCollapseWithReasonInsteadOfThrowing()
    {
        var m = MeasureTestNets.Mlp([4, 6, 3], bias: false, seed: 63);
        var g = MeasureTestNets.Gaussian(12, 4, 2, 64); // labels 0/1 only
        var train = new Dataset(g.Name, g.X, g.Y, g.SampleShape, 3); // C = 3: class 2 has no samples, its mean is undefined
        var r = new MeasureSuite().Compute(m, train);
        Assert.False(r.Values.ContainsKey("nc1"));
        Assert.Contains(r.Omitted, x => x.Key == "nc*" && x.Reason.Contains("class 2 has no samples"));
        Assert.True(r.Values.ContainsKey("rho"));
    }

    [Fact]
    public void SubsamplingAndWarmStartsGiveTheSameNorms()
    {
        var m = MeasureTestNets.Mlp([5, 8, 3], bias: false, seed: 71);
        var train = MeasureTestNets.Gaussian(40, 5, 3, 72);
        var suite = new MeasureSuite(new MeasureOptions { MaxSamples = 10, PowerTolerance = 1e-12 });
        var a = suite.Compute(m, train);
        var b = suite.Compute(m, train);
        Assert.Equal(a.Values["layer.0.spectral"], b.Values["layer.0.spectral"], 10);
    }

    [Fact]
    public void DeepLinearNetDistanceToMaxMarginIsZeroForItsOwnDirection()
    {
        var m = MeasureTestNets.Mlp([3, 4, 1], bias: false, seed: 81, linear: true);
        var w = EndToEnd.Vector(m);
        var train = MeasureTestNets.Gaussian(10, 3, 2, 82);
        var r = new MeasureSuite(new MeasureOptions { MaxMarginDirection = w }).Compute(m, train);
        Assert.Equal(0, r.Values["distance_to_max_margin"], 6);
    }
}
