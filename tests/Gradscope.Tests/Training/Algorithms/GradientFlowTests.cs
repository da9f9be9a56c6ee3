using Gradscope.Losses;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Training.Algorithms;

public class GradientFlowTests
{
    [Fact]
    public void LeastSquaresFlowMatchesMatrixExponential()
    {
        // L(w) = (1/n) ||X w - y||^2: w(t) = w* + exp(-H t)(w0 - w*), H = (2/n) X^T X (eigendecomposition).
        int n = 12, d = 4;
        var data = Fixtures.Random(n, d, 5);
        var w0 = new[] { 0.5, -1.0, 0.25, 2.0 };
        var model = Fixtures.Linear(d, w0);
        var obj = new Objective<double>(model, data, LossKind.Square);
        var flow = new GradientFlow<double>(new OdeTolerances(1e-11, 1e-11));
        flow.Initialize(obj);
        while (flow.Time < 2.0) flow.Step(obj, default, new StepContext(0, 0, 0));
        double t = flow.Time;

        var X = Matrix<double>.Build.Dense(n, d, (i, j) => data.X[i * d + j]);
        var y = Vector<double>.Build.Dense(n, i => data.Y[i] == 1 ? 1.0 : -1.0);
        var H = X.TransposeThisAndMultiply(X) * (2.0 / n);
        var wStar = X.PseudoInverse() * y;
        var evd = H.Evd(Symmetricity.Symmetric);
        var expH = evd.EigenVectors * Matrix<double>.Build.DiagonalOfDiagonalVector(evd.EigenValues.Real().Map(l => Math.Exp(-l * t))) * evd.EigenVectors.Transpose();
        var exact = wStar + expH * (Vector<double>.Build.DenseOfArray(w0) - wStar);
        for (int j = 0; j < d; j++) Assert.True(Math.Abs(model.Flat[j] - exact[j]) < 1e-8, $"w[{j}](t={t}) = {model.Flat[j]}, exact {exact[j]}");
    }

    [Fact]
    public void BalanceIsConservedByTheFlowWhileWeightsGrowTenfold()
    {
        // THEORY claim "balance": d/dt ||W_k||^2 = -2 <W_k, grad_k L> is the same for every layer of a
        // homogeneous ReLU net, so ||W_2||^2 - ||W_1||^2 is constant along the flow.
        // Clustered data and a net whose activation patterns never change: no ReLU kink is crossed, where the
        // flow could slide along a discontinuity of grad L and no ODE solver keeps tight tolerances.
        var data = Fixtures.Clusters(16, 3, 11);
        var model = Fixtures.ClusterNet(3, 6, 12);
        var obj = new Objective<double>(model, data, LossKind.Exponential);
        var n0 = Fixtures.LayerNormsSquared(model);
        double b0 = n0[1] - n0[0], scale0 = Math.Sqrt(n0.Sum());
        var flow = new GradientFlow<double>(new OdeTolerances(1e-12, 1e-12), lossScaled: true);
        flow.Initialize(obj);
        int steps = 0;
        double worst = 0, scale = scale0;
        while (scale < 10 * scale0 && steps < 20000)
        {
            flow.Step(obj, default, new StepContext(steps, 0, 0));
            steps++;
            var nk = Fixtures.LayerNormsSquared(model);
            scale = Math.Sqrt(nk.Sum());
            worst = Math.Max(worst, Math.Abs(nk[1] - nk[0] - b0) / nk.Max());
        }
        Console.WriteLine($"balance: flow drift {worst:e2} relative over {steps} RK steps, weights x{scale / scale0:F1}");
        Assert.True(scale >= 10 * scale0, $"weights grew only {scale / scale0:F2}x in {steps} steps");
        Assert.True(worst < 1e-6, $"balance drift {worst:e2} (relative to max ||W_k||^2) over {steps} RK steps, b0 = {b0}");
    }

    [Fact]
    public void GdBalanceDriftIsFirstOrderInEta()
    {
        // GD: ||W_k||^2 changes by -2 eta <W_k, g_k> + eta^2 ||g_k||^2, so the balance drifts by eta^2 per step, O(eta) at fixed time.
        var data = Fixtures.Separable(16, 3, 11);
        double Drift(double eta)
        {
            var model = Fixtures.Relu(3, 12, 6);
            var obj = new Objective<double>(model, data, LossKind.Exponential);
            var n0 = Fixtures.LayerNormsSquared(model);
            Fixtures.Run(new Gd<double>(lossScaled: true), obj, (int)Math.Round(4.0 / eta), eta);
            var n1 = Fixtures.LayerNormsSquared(model);
            return Math.Abs((n1[1] - n1[0]) - (n0[1] - n0[0]));
        }
        double d1 = Drift(0.02), d2 = Drift(0.01), d3 = Drift(0.005);
        Console.WriteLine($"balance: GD drift {d1:e3} / {d2:e3} / {d3:e3} at eta 0.02 / 0.01 / 0.005");
        Assert.True(d1 > 1e-4, $"drift {d1} should be visible");
        Assert.InRange(d1 / d2, 1.6, 2.5);
        Assert.InRange(d2 / d3, 1.6, 2.5);
    }

    [Fact]
    public void LossScaledMethodsReachHugeMarginsWithoutUnderflow()
    {
        // exp(-margin) underflows past ~745; the loss-scaled GD and flow follow grad log L and keep going.
        var data = Fixtures.Clusters(20, 4, 21);
        foreach (Algorithm<double> alg in new Algorithm<double>[] { new Gd<double>(lossScaled: true), new GradientFlow<double>(new OdeTolerances(1e-8, 1e-8), lossScaled: true) })
        {
            var model = Fixtures.ClusterNet(4, 8, 22);
            var obj = new Objective<double>(model, data, LossKind.Exponential);
            alg.Initialize(obj);
            double minMargin = double.NegativeInfinity;
            int t = 0;
            for (; t < 20000 && minMargin <= 1000; t++)
            {
                var r = alg.Step(obj, default, new StepContext(t, 0.5, 0));
                Assert.False(double.IsNaN(r.Before.LogL) || model.Flat.Any(v => !double.IsFinite(v)), $"{alg.Name}: non-finite at step {t}");
                if (t % 10 == 0) minMargin = Fixtures.Margins(model, data).Min();
            }
            minMargin = Fixtures.Margins(model, data).Min();
            var final = obj.Evaluate(default, LossOutput.Log);
            Assert.True(minMargin > 1000, $"{alg.Name}: min margin {minMargin} after {t} steps");
            Assert.True(final.LogL < -1000 && double.IsFinite(final.LogL), $"{alg.Name}: log L = {final.LogL}");
            Assert.Equal(0.0, final.L);   // L itself has underflowed: only log L carries the information
        }
    }
}
