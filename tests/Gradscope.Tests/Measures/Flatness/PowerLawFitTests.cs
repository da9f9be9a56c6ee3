using Gradscope.Measures;
using Gradscope.Measures.Flatness;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures.Flatness;

/// <summary>
/// The Clauset-Shalizi-Newman power-law fit and WeightWatcher's alpha: planted exponents recovered (a Pareto sample above
/// a bulk, and a matrix whose W^T W has a planted power-law spectrum), the MLE against its closed form, and the chosen
/// x_min against a brute-force KS minimization written independently.
/// </summary>
public class PowerLawFitTests
{
    // x = x_min (1 - U)^(-1 / (alpha - 1)) is Pareto with density ~ x^-alpha above x_min.
    private static double[] Pareto(int n, double alpha, double xMin, Rng rng) =>
        Enumerable.Range(0, n).Select(_ => xMin * Math.Pow(1 - rng.NextDouble(), -1 / (alpha - 1))).ToArray();

    [Fact]
    public void MleIsTheClosedForm()
    {
        double[] x = [1.0, 2.0, 4.0, 8.0];
        // 1 + 4 / (ln 1 + ln 2 + ln 4 + ln 8) = 1 + 4 / (6 ln 2)
        Assert.Equal(1 + 4 / (6 * Math.Log(2)), PowerLawFit.Mle(x, 1.0), 14);
    }

    [Fact]
    public void RecoversAPlantedExponentAboveABulk()
    {
        var rng = new Rng(17);
        var tail = Pareto(20000, 2.5, 1.0, rng);
        var bulk = Enumerable.Range(0, 5000).Select(_ => 0.1 + 0.9 * rng.NextDouble()).ToArray();
        var fit = PowerLawFit.Fit(tail.Concat(bulk))!.Value;
        Assert.True(Math.Abs(fit.Alpha - 2.5) < 0.1, $"alpha {fit.Alpha}");
        Assert.InRange(fit.XMin, 0.95, 1.5);
        // Its alpha is the closed-form MLE over its own tail.
        var own = tail.Concat(bulk).Where(v => v >= fit.XMin).ToArray();
        Assert.Equal(own.Length, fit.TailCount);
        Assert.Equal(1 + own.Length / own.Sum(v => Math.Log(v / fit.XMin)), fit.Alpha, 9);
    }

    [Fact]
    public void XMinMinimizesTheKsDistanceByBruteForce()
    {
        var rng = new Rng(3);
        var x = Pareto(150, 3.0, 2.0, rng).Concat(Enumerable.Range(0, 60).Select(_ => 2 * rng.NextDouble())).ToArray();
        var fit = PowerLawFit.Fit(x)!.Value;
        double bestD = double.PositiveInfinity, bestX = double.NaN;
        foreach (double xm in x.Distinct().Order())
        {
            var t = x.Where(v => v >= xm).ToArray();
            if (t.Length < PowerLawFit.MinTail) continue;
            double a = 1 + t.Length / t.Sum(v => Math.Log(v / xm));
            // Brute force: compare the empirical CDF just after and just before each tail value with the model CDF.
            double d = 0;
            foreach (double v in t)
            {
                double p = 1 - Math.Pow(v / xm, 1 - a);
                double atOrBelow = t.Count(u => u <= v) / (double)t.Length, below = t.Count(u => u < v) / (double)t.Length;
                d = Math.Max(d, Math.Max(Math.Abs(atOrBelow - p), Math.Abs(below - p)));
            }
            if (d < bestD) { bestD = d; bestX = xm; }
        }
        Assert.Equal(bestX, fit.XMin);
        Assert.Equal(bestD, fit.KsDistance, 12);
    }

    [Fact]
    public void WeightWatcherAlphaOfAMatrixWithAPlantedSpectrum()
    {
        // W = U diag(s) V^T with orthonormal U (400 x 300), V (500 x 300) and s_i^2 = the Pareto(alpha = 3) quantiles at
        // (i + 0.5) / 300: the eigenvalues of W^T W follow the power law exactly up to sampling of the quantiles.
        const int r = 300; const double alpha = 3.0;
        var rng = new Rng(5);
        Matrix<double> Orthonormal(int rows) => Matrix<double>.Build.Dense(rows, r, (_, _) => rng.NextNormal()).QR().Q.SubMatrix(0, rows, 0, r);
        var u = Orthonormal(400); var v = Orthonormal(500);
        var lambda = Enumerable.Range(0, r).Select(i => Math.Pow(1 - (i + 0.5) / r, -1 / (alpha - 1))).ToArray();
        var w = u * Matrix<double>.Build.DenseOfDiagonalArray(lambda.Select(Math.Sqrt).ToArray()) * v.Transpose();
        var wm = new WeightMatrix("w", 0, 400, 500, Enumerable.Range(0, 400 * 500).Select(k => w[k / 500, k % 500]).ToArray());
        var (fit, lambdaMax) = HeavyTail.Of(GramSpectrum.Of(wm).Values)!.Value;
        Assert.True(Math.Abs(fit.Alpha - alpha) < 0.1, $"alpha {fit.Alpha}");
        Assert.Equal(lambda.Max(), lambdaMax, 8);
        Assert.Equal(fit.Alpha * Math.Log10(lambda.Max()), HeavyTail.AlphaHat(fit.Alpha, lambdaMax), 8);
    }

    [Fact]
    public void TooFewValuesGiveNoFit()
    {
        Assert.Null(PowerLawFit.Fit([1.0, 2.0, 3.0, 4.0]));
        Assert.Null(PowerLawFit.Fit([2.0, 2.0, 2.0, 2.0, 2.0, 2.0]));
        Assert.Null(HeavyTail.Of([0.0, 0.0]));
    }
}
