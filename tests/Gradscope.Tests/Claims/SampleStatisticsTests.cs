using Gradscope.Claims;
using Gradscope.Data;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Claims;

public class SampleStatisticsTests
{
    [Fact]
    public void MeanAndStandardErrorMatchTheTextbookFormula()
    {
        // values 1, 2, 3, 4: mean 2.5, unbiased variance 5/3, SE = sqrt(5/3 / 4)
        var (m, se) = SampleStatistics.MeanWithStandardError([1.0, 2.0, 3.0, 4.0]);
        Assert.Equal(2.5, m, 14);
        Assert.Equal(Math.Sqrt(5.0 / 12.0), se, 14);
        Assert.Throws<ArgumentException>(() => SampleStatistics.MeanWithStandardError([1.0]));
    }

    [Fact]
    public void QuadraticFitRecoversAnExactQuadraticAndTheLineMatchesTheClosedFormRegression()
    {
        double[] x = [0, 0.25, 0.5, 1, 2, 4];
        var y = x.Select(v => 0.7 - 1.3 * v + 0.45 * v * v).ToArray();
        var c = SampleStatistics.PolynomialFit(x, y, 2);
        Assert.Equal(0.7, c[0], 12); Assert.Equal(-1.3, c[1], 12); Assert.Equal(0.45, c[2], 12);

        var rng = new Rng(3);
        var noisy = x.Select(v => 2 + 0.5 * v + rng.NextNormal()).ToArray();
        var line = SampleStatistics.PolynomialFit(x, noisy, 1);
        var (slope, intercept, _) = ClaimMath.LinearFit(x, noisy);
        Assert.Equal(intercept, line[0], 12); Assert.Equal(slope, line[1], 12);
        Assert.Throws<ArgumentException>(() => SampleStatistics.PolynomialFit([1.0, 1.0, 2.0], [1.0, 2.0, 3.0], 2));
    }

    [Fact]
    public void LeaveOneOutPredictionsEqualTheGdLimitFittedWithoutThePoint()
    {
        var rng = new Rng(11);
        int n = 6, d = 10;
        var x = new double[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        var y = Enumerable.Range(0, n).Select(i => i % 2).ToArray();
        var data = new Dataset("t", x, y, [d], 2);
        var loo = new LeaveOneOut(data);
        var w0 = Enumerable.Range(0, d).Select(_ => rng.NextNormal()).ToArray();
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            // independent: the GD limit of S\i computed from its own pseudo-inverse, evaluated at x_i
            var keep = Enumerable.Range(0, n).Where(j => j != i).ToArray();
            var w = LeastSquares.GdLimit(data.Subset(keep), w0);
            double pred = 0;
            for (int j = 0; j < d; j++) pred += w[j] * x[i * d + j];
            Assert.Equal(pred, loo.Prediction(i, w0), 10);
            double target = y[i] == 1 ? 1 : -1;
            sum += (pred - target) * (pred - target);
        }
        Assert.Equal(sum / n, loo.Instability(w0), 10);
        // the instability is a quadratic in the init scale: I(s) at 4 points fits a parabola exactly
        double[] s = [0, 0.5, 1, 3];
        var values = s.Select(v => loo.Instability(w0.Select(a => a * v).ToArray())).ToArray();
        var c = SampleStatistics.PolynomialFit(s.Take(3).ToArray(), values.Take(3).ToArray(), 2);
        Assert.Equal(values[3], c[0] + c[1] * 3 + c[2] * 9, 8);
        Assert.True(c[2] > 0);
    }
}

public class LogTimeFitsTests
{
    [Fact]
    public void TerminalPhaseStartsAtTheFirstProbeFromWhichEveryProbeIsAtFullAccuracy()
    {
        // training errors per probe: the phase is the final run of zeros
        Assert.Equal(3, LogTimeFits.TerminalPhaseStart([0.9, 0, 0.01, 0, 0, 0]));   // a miss at probe 2 restarts the phase
        Assert.Equal(0, LogTimeFits.TerminalPhaseStart([0.0, 0, 0]));
        Assert.Equal(3, LogTimeFits.TerminalPhaseStart([0.0, 0, 0.5]));             // not in the phase at the end
    }

    [Fact]
    public void SlopeAgainstLogTimeIsExactForAMetricLinearInLogTAndIgnoresEarlierProbes()
    {
        double[] steps = [0, 1, 10, 100, 1000, 10000];
        // a - b log10 t from step 10 on; earlier probes are off the line and must not count
        var values = steps.Select(t => t >= 10 ? 3 - 0.7 * Math.Log10(t) : 50.0).ToArray();
        Assert.Equal(-0.7, LogTimeFits.SlopeAgainstLogTime(steps, values, 10), 12);
        Assert.True(double.IsNaN(LogTimeFits.SlopeAgainstLogTime(steps, values, 10000)));
    }
}

public class ParallelRunsTests
{
    [Fact]
    public void ResultsComeBackInItemOrderWhateverTheThreadCount()
    {
        var def = Gradscope.Claims.ClaimRegistry.Select(["min-norm-stability"]).Single().Definition;
        string dir = Path.Combine(Path.GetTempPath(), $"gs-par-{Guid.NewGuid():N}");
        try
        {
            var items = Enumerable.Range(0, 17).ToList();
            foreach (int threads in new[] { 1, 2, 4 })
            {
                var ctx = new ClaimContext(def, "quick", 1, threads, dir);
                Assert.Equal(items.Select(i => i * i), ParallelRuns.Map(ctx, items, i => i * i));
            }
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
