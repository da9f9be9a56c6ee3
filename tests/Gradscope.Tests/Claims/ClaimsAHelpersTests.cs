using Gradscope.Claims.Rules;
using Gradscope.Data;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace Gradscope.Tests.Claims;

/// <summary>Closed-form checks of the helpers behind nmgd-min-norm, boosting-margin and the homogeneity certificate.</summary>
public class ClaimsAHelpersTests
{
    [Theory]
    [InlineData(20, 50, 100.0, 12UL)]
    [InlineData(5, 8, 3.0, 1UL)]
    public void ConditionedDataHaveThePrescribedSingularValues(int n, int d, double cond, ulong seed)
    {
        var data = SyntheticConditioned.Generate(n, d, cond, seed);
        var x = Matrix<double>.Build.Dense(n, d, (i, j) => data.X[i * d + j]);
        var s = x.Svd(computeVectors: false).S;
        for (int k = 0; k < n; k++) Assert.Equal(Math.Sqrt(n) * Math.Pow(cond, -(double)k / (n - 1)), s[k], 9);
        Assert.Equal(n / 2, data.Y.Count(y => y == 1));
        Assert.Throws<ArgumentException>(() => SyntheticConditioned.Generate(10, 10, 2, 1));
        Assert.Throws<ArgumentException>(() => SyntheticConditioned.Generate(5, 10, 0.5, 1));
    }

    [Theory]
    [InlineData(0.5, 0.26186)]  // -ln(0.75) / ln(3) = 0.287682 / 1.098612
    [InlineData(0.1, 0.05008)]  // -ln(0.99) / ln(11/9) = 0.0100503 / 0.2006707
    public void UpsilonMatchesItsClosedFormAndLiesBetweenHalfAndOne(double r, double expected)
    {
        double u = BoostingMargin.Upsilon(r);
        Assert.Equal(expected, u, 4);
        Assert.InRange(u, r / 2, r);
    }

    [Fact]
    public void HomogeneityCertificateSeparatesBiasFreeNetsFromNetsWithBiases()
    {
        const string Yaml = """
            model: { mlp: { widths: [4, 8, 1], activation: relu, bias: BIAS }, init: { scheme: he } }
            data: { train: { name: separable, n: 20, d: 4, seed: 3 } }
            loss: { kind: exponential }
            algorithm: { name: gd }
            stop: { steps: 1 }
            """;
        double Error(string bias)
        {
            var cfg = Gradscope.Training.TrainConfigYaml.Parse(Yaml.Replace("BIAS", bias), "test.yaml");
            var t = new Gradscope.Training.Trainer<double>(cfg);
            // give the biases a non-zero value so that they matter
            foreach (var p in t.Model.NamedParameters.Where(p => p.Name.EndsWith("bias"))) p.Parameter.Value.Span.Fill(0.3);
            var before = t.Model.Flat.ToArray();
            double e = Gradscope.Claims.Homogeneity.Error(t.Model, t.Train);
            Assert.Equal(before, t.Model.Flat.ToArray()); // the certificate leaves the weights unchanged
            return e;
        }
        Assert.True(Error("false") <= 1e-14);
        Assert.True(Error("true") > 1e-3);
    }
}
