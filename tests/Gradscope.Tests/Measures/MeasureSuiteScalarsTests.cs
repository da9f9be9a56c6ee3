using Gradscope.Measures;
using Gradscope.Nn;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>
/// The scalars measure now reports (layer.k.norm21, spectral_product, input_frobenius, input_max_norm, bft_scale, margin.mean,
/// margin_rho.mean, margin_spectral.mean) against a computation done here: explicit matrices, MathNet SVDs (a second
/// algorithm to the suite's power iteration) and a hand forward pass.
/// </summary>
public class MeasureSuiteScalarsTests
{
    [Fact]
    public void ScalarsAgreeWithExplicitComputation()
    {
        var r = new Random(7);
        double[] w1 = Enumerable.Range(0, 12).Select(_ => r.NextDouble() * 2 - 1).ToArray(); // 4 x 3
        double[] w2 = Enumerable.Range(0, 8).Select(_ => r.NextDouble() * 2 - 1).ToArray();  // 2 x 4
        var d1 = new Dense<double>(3, 4); var d2 = new Dense<double>(4, 2);
        var m = new Sequential<double>([3], d1, new Relu<double>(), d2);
        w1.CopyTo(d1.Weight.Value.Span); w2.CopyTo(d2.Weight.Value.Span);
        double[] x = Enumerable.Range(0, 15).Select(_ => r.NextDouble() * 4 - 2).ToArray(); // 5 x 3
        int[] y = [0, 1, 1, 0, 1];
        var data = new Gradscope.Data.Dataset("d", x, y, [3], 2);
        var v = new MeasureSuite(new MeasureOptions { FullSvd = true, PowerTolerance = 1e-14 }).Compute(m, data).Values;

        var W1 = Matrix<double>.Build.Dense(4, 3, (i, j) => w1[i * 3 + j]);
        var W2 = Matrix<double>.Build.Dense(2, 4, (i, j) => w2[i * 4 + j]);
        double N21(Matrix<double> w) => Enumerable.Range(0, w.RowCount).Sum(i => w.Row(i).L2Norm());
        double s1 = W1.Svd(false).S[0], s2 = W2.Svd(false).S[0];
        Assert.Equal(N21(W1), v["layer.0.norm21"], 12);
        Assert.Equal(N21(W2), v["layer.1.norm21"], 12);
        Assert.Equal(s1 * s2, v["spectral_product"], 10);

        // Hand forward pass: margins f_y - max_{j != y} f_j.
        var margins = new double[5];
        double xf = 0, bx = 0;
        for (int i = 0; i < 5; i++)
        {
            var xi = Vector<double>.Build.Dense(3, j => x[i * 3 + j]);
            xf += xi.DotProduct(xi); bx = Math.Max(bx, xi.L2Norm());
            var f = W2 * (W1 * xi).PointwiseMaximum(0);
            margins[i] = f[y[i]] - f[1 - y[i]];
        }
        xf = Math.Sqrt(xf);
        Assert.Equal(xf, v["input_frobenius"], 12);
        Assert.Equal(bx, v["input_max_norm"], 12);
        Assert.Equal(margins.Average(), v["margin.mean"], 12);
        double rho = W1.FrobeniusNorm() * W2.FrobeniusNorm();
        Assert.Equal(margins.Average() / rho, v["margin_rho.mean"], 12);
        // BFT (THEORY.md section 5): R = prod_k s_k (sum_k (||W_k^T||_{2,1} / s_k)^{2/3})^{3/2}; scale R ||X||_F / n.
        double R = s1 * s2 * Math.Pow(Math.Pow(N21(W1) / s1, 2.0 / 3) + Math.Pow(N21(W2) / s2, 2.0 / 3), 1.5);
        Assert.Equal(R * xf / 5, v["bft_scale"], 9);
        Assert.Equal(margins.Average() / (R * xf / 5), v["margin_spectral.mean"], 9);
    }
}
