using Gradscope.Training;

namespace Gradscope.Tests.Training.Algorithms;

public class DormandPrinceTests
{
    private static (double[] Y, DormandPrince<double> Ode, int Steps) Integrate(VectorField<double> f, double[] y0, double tEnd, double tol)
    {
        var ode = new DormandPrince<double>(y0.Length, new OdeTolerances(tol, tol));
        var y = (double[])y0.Clone();
        double t = 0;
        int steps = 0;
        while (t < tEnd) { t += ode.Step(f, t, y, tEnd); steps++; }
        Assert.Equal(tEnd, t, 12);
        return (y, ode, steps);
    }

    [Theory]
    [InlineData(1e-6)]
    [InlineData(1e-10)]
    public void ExponentialDecayMatchesClosedForm(double tol)
    {
        // y' = -k y, y(0) = 1: y(t) = exp(-k t).
        var (y, _, _) = Integrate((t, y, dy) => dy[0] = -1.5 * y[0], [1.0], 5, tol);
        double exact = Math.Exp(-7.5);
        Assert.True(Math.Abs(y[0] - exact) <= 50 * tol, $"y(5) = {y[0]}, exact {exact}, tol {tol}");
    }

    [Fact]
    public void HarmonicOscillatorMatchesClosedFormAndTighterToleranceIsMoreAccurate()
    {
        // x'' = -w^2 x: (x, v)(t) = (cos wt, -w sin wt).
        const double w = 2.0, tEnd = 10;
        VectorField<double> f = (t, y, dy) => { dy[0] = y[1]; dy[1] = -w * w * y[0]; };
        double prevErr = double.PositiveInfinity; int prevSteps = 0;
        foreach (double tol in new[] { 1e-5, 1e-8, 1e-11 })
        {
            var (y, ode, steps) = Integrate(f, [1.0, 0.0], tEnd, tol);
            double err = Math.Max(Math.Abs(y[0] - Math.Cos(w * tEnd)), Math.Abs(y[1] + w * Math.Sin(w * tEnd)));
            Assert.True(err <= 200 * tol, $"tol {tol}: error {err}");
            Assert.True(err < prevErr && steps > prevSteps, $"tol {tol}: error {err} (previous {prevErr}), steps {steps} (previous {prevSteps})");
            // FSAL: 6 new evaluations per trial step, plus the first derivative and the initial-step probe.
            Assert.Equal(2 + 6 * (steps + ode.Rejections), ode.Evaluations);
            prevErr = err; prevSteps = steps;
        }
    }

    [Fact]
    public void StepSizeGrowsWhenTheSolutionFlattens()
    {
        var ode = new DormandPrince<double>(1, new OdeTolerances(1e-9, 1e-9, MaxFactor: 5));
        var y = new double[] { 1.0 };
        VectorField<double> f = (t, y, dy) => dy[0] = -y[0] * y[0];   // y = 1/(1 + t): slower and slower
        double t = 0, first = ode.Step(f, t, y);
        t += first;
        double last = 0;
        for (int i = 0; i < 50; i++) { last = ode.Step(f, t, y); t += last; }
        Assert.True(last > 5 * first, $"first dt {first}, dt after 50 steps {last}");
        Assert.True(Math.Abs(y[0] - 1 / (1 + t)) < 1e-7, $"y({t}) = {y[0]}, exact {1 / (1 + t)}");
    }

    [Fact]
    public void RejectsBadSettings()
    {
        var e = Assert.Throws<ArgumentException>(() => new DormandPrince<double>(2, new OdeTolerances(0, 0)));
        Assert.Contains("atol=0", e.Message);
        Assert.Throws<ArgumentException>(() => new DormandPrince<double>(2, new OdeTolerances(MaxFactor: 0.5)));
        var ode = new DormandPrince<double>(2, new OdeTolerances());
        Assert.Throws<ArgumentException>(() => ode.Step((t, y, dy) => { }, 0, new double[3]));
    }
}
