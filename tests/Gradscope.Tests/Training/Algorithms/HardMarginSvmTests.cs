using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Algorithms;

public class HardMarginSvmTests
{
    private static Dataset Points(double[][] x, int[] y) => new("points", x.SelectMany(r => r).ToArray(), y, [x[0].Length], 2);

    [Fact]
    public void HandComputedSolution()
    {
        // + (2, 0), + (0, 2), + (3, 3), - (-1, -2)... constraints 2 w1 >= 1, 2 w2 >= 1 bind: w = (1/2, 1/2).
        var data = Points([[2, 0], [0, 2], [3, 3], [-1, -2]], [1, 1, 1, 0]);
        var r = HardMarginSvm.Fit(data);
        Assert.Equal(0.5, r.W[0], 9);
        Assert.Equal(0.5, r.W[1], 9);
        Assert.Equal(Math.Sqrt(2), r.Margin, 9);
        Assert.Equal([0, 1], r.SupportVectors);
        Assert.Equal(0.25, r.Alpha[0], 9);   // w = 0.25 (2, 0) + 0.25 (0, 2)
        Assert.Equal(0.25, r.Alpha[1], 9);
    }

    [Fact]
    public void TwoSymmetricPoints()
    {
        // x+ = a, x- = -a: w = a / ||a||^2, margin ||a||.
        var data = Points([[3, -4, 12], [-3, 4, -12]], [1, 0]);
        var r = HardMarginSvm.Fit(data);
        double[] a = [3, -4, 12];
        for (int j = 0; j < 3; j++) Assert.Equal(a[j] / 169, r.W[j], 12);
        Assert.Equal(13, r.Margin, 9);
        // Both points sit on the margin; alpha is not unique, only alpha_1 + alpha_2 = 1/||a||^2 is.
        Assert.Equal(1.0 / 169, r.Alpha.Sum(), 12);
    }

    [Fact]
    public void RandomSeparableDataSatisfiesTheKktCertificate()
    {
        var data = Fixtures.Separable(40, 5, 61, gap: 0.2);
        var r = HardMarginSvm.Fit(data, tolerance: 1e-10);
        int d = data.D;
        var w = new double[d];
        for (int i = 0; i < data.N; i++)
        {
            double y = data.Y[i] == 1 ? 1 : -1;
            Assert.True(r.Alpha[i] >= 0);
            for (int j = 0; j < d; j++) w[j] += r.Alpha[i] * y * data.X[i * d + j];
            double m = y * Enumerable.Range(0, d).Sum(j => r.W[j] * data.X[i * d + j]);
            Assert.True(m >= 1 - 1e-9, $"sample {i}: margin {m}");
            if (r.Alpha[i] > 0) Assert.True(Math.Abs(m - 1) <= 1e-9, $"support vector {i}: margin {m}");
        }
        for (int j = 0; j < d; j++) Assert.Equal(w[j], r.W[j], 9);   // stationarity
        // Zero duality gap: 1/2 ||w||^2 = sum alpha - 1/2 ||w||^2.
        double ww = r.W.Sum(v => v * v);
        Assert.Equal(ww, r.Alpha.Sum(), 7);
        Assert.InRange(r.SupportVectors.Length, 1, d + 1);
    }

    [Fact]
    public void ThrowsOnNonSeparableData()
    {
        var data = Points([[1, 0], [2, 0]], [1, 0]);
        Assert.Contains("separable", Assert.Throws<InvalidOperationException>(() => HardMarginSvm.Fit(data, maxEpochs: 2000)).Message);
    }

    [Fact]
    public void GdOnLogisticLossTurnsTowardTheSvmDirectionLikeOneOverLogT()
    {
        // THEORY claim "linear-max-margin": w(t)/||w(t)|| -> SVM direction, angle ~ 1/log t, from any initialization.
        var data = Fixtures.Separable(20, 2, 62, gap: 0.1);
        var u = HardMarginSvm.Fit(data).Direction;
        var model = Fixtures.Linear(2, [-1.0, 2.0]);
        var obj = new Objective<double>(model, data, LossKind.Logistic);
        var gd = new Gd<double>();
        gd.Initialize(obj);
        var logT = new List<double>(); var angles = new List<double>();
        long t = 0;
        for (int k = 2; k <= 9; k++)
        {
            long target = (long)Math.Round(Math.Pow(10, k / 2.0));   // 10, 32, 100, ..., 3e4
            for (; t < target; t++) gd.Step(obj, default, new StepContext(t, 1.0, 0));
            double n = Math.Sqrt(model.Flat.Sum(v => v * v));
            double cos = (model.Flat[0] * u[0] + model.Flat[1] * u[1]) / n;
            angles.Add(Math.Acos(Math.Clamp(cos, -1, 1)));
            logT.Add(Math.Log(t));
        }
        for (int i = 3; i < angles.Count; i++) Assert.True(angles[i] < angles[i - 1], $"angle at t=e^{logT[i]:F1}: {angles[i]} not below {angles[i - 1]}");
        // Least-squares fit angle = a + b / log t over the last five points.
        var xs = logT.Skip(3).Select(l => 1 / l).ToArray(); var ys = angles.Skip(3).ToArray();
        double mx = xs.Average(), my = ys.Average();
        double b = xs.Zip(ys, (x, y) => (x - mx) * (y - my)).Sum() / xs.Sum(x => (x - mx) * (x - mx));
        double a = my - b * mx;
        Assert.True(b > 0, $"slope {b}");
        Console.WriteLine($"linear-max-margin: angles {string.Join(", ", angles.Select(x => x.ToString("g3")))}; fit a = {a:g3}, b = {b:g3}");
        Assert.True(Math.Abs(a) < 0.3 * angles[3], $"intercept {a} vs angle {angles[3]} (slope {b})");
    }
}
