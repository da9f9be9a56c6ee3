using Gradscope.Losses;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Training.Algorithms;

public class ArmijoGdTests
{
    [Fact]
    public void AcceptedStepIsTheFirstBacktrackSatisfyingTheClosedFormCondition()
    {
        // Square loss is quadratic: F(w - eta g) = F(w) - eta |g|^2 + eta^2/2 g^T H g, so Armijo holds
        // iff eta <= 2 (1 - c) |g|^2 / g^T H g with H = (2/n) X^T X.
        int n = 10, d = 3;
        var data = Fixtures.Random(n, d, 41);
        var model = Fixtures.Linear(d, [1.0, -2.0, 0.5]);
        var obj = new Objective<double>(model, data, LossKind.Square);
        var X = Matrix<double>.Build.Dense(n, d, (i, j) => data.X[i * d + j]);
        var H = X.TransposeThisAndMultiply(X) * (2.0 / n);
        var alg = new ArmijoGd<double>(initialEta: 8, shrink: 0.5, c: 0.3);
        alg.Initialize(obj);
        double prevL = double.PositiveInfinity;
        for (int t = 0; t < 20; t++)
        {
            obj.Evaluate(default);
            var g = Vector<double>.Build.DenseOfArray((double[])model.FlatGrad.Clone());
            double bound = 2 * (1 - 0.3) * g.DotProduct(g) / g.DotProduct(H * g);
            double expected = 8;
            while (expected > bound) expected *= 0.5;
            var r = alg.Step(obj, default, new StepContext(t, 0, 0));
            Assert.Equal(expected, r.TimeAdvanced);
            Assert.Equal(expected, alg.LastEta);
            Assert.True(r.Before.L < prevL);
            prevL = r.Before.L;
        }
    }

    [Fact]
    public void LeavesParametersUnchangedWhenNoStepIsAccepted()
    {
        var data = Fixtures.Random(6, 2, 42);
        var model = Fixtures.Linear(2, [3.0, -1.0]);
        var obj = new Objective<double>(model, data, LossKind.Square);
        var alg = new ArmijoGd<double>(initialEta: 1e6, shrink: 0.5, c: 0.5, minEta: 1e3);
        var before = (double[])model.Flat.Clone();
        alg.Initialize(obj);
        var r = alg.Step(obj, default, new StepContext(0, 0, 0));
        Assert.Equal(0.0, r.TimeAdvanced);
        Assert.Equal(before, model.Flat);
    }

    [Fact]
    public void RejectsBadParameters()
    {
        Assert.Contains("shrink", Assert.Throws<ArgumentException>(() => new ArmijoGd<double>(shrink: 1.5)).Message);
        Assert.Throws<ArgumentException>(() => new ArmijoGd<double>(initialEta: 0));
        Assert.Throws<ArgumentException>(() => new ArmijoGd<double>(c: 1));
    }
}
