using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Measures.Registry;
using Gradscope.Nn;

namespace Gradscope.Tests.Measures;

/// <summary>
/// The registry's loss entries (train_loss, train_log_loss, test_loss, test_log_loss; THEORY.md section 2) against closed
/// forms worked by hand on one-layer nets whose outputs are written down: f(x) = W x.
/// </summary>
public class LossEntriesTests
{
    private static Sequential<double> Linear(double[,] w)
    {
        int o = w.GetLength(0), d = w.GetLength(1);
        var m = new Sequential<double>([d], new Dense<double>(d, o, false));
        var weight = ((Dense<double>)m.Layers[0]).Weight.Value;
        for (int i = 0; i < o; i++) for (int j = 0; j < d; j++) weight[i, j] = w[i, j];
        return m;
    }

    private static MeasureReport Losses(Sequential<double> net, Dataset train, Dataset? test, LossKind? loss, double targetScale = 1) =>
        MeasureRegistry.Compute(new MeasureContext<double>(net, train, test, new MeasureOptions { Loss = loss, TargetScale = targetScale }),
            MeasureRegistry.Select(["train_loss", "train_log_loss", "test_loss", "test_log_loss"]));

    // Binary: w = (1, -2); rows (1, 0) y=1, (0, 1) y=0, (0.5, 0) y=1 give f = 1, -2, 0.5 and margins u = y f = 1, 2, 0.5.
    private static readonly double[,] W = { { 1, -2 } };
    private static readonly Dataset Train = new("train", [1, 0, 0, 1, 0.5, 0], [1, 0, 1], [2], 2);
    // Test: rows (0, -1) y=1, (3, 0) y=0 give f = 2, 3 and u = 2, -3.
    private static readonly Dataset Test = new("test", [0, -1, 3, 0], [1, 0], [2], 2);

    [Theory]
    [InlineData(LossKind.Logistic)]
    [InlineData(LossKind.Exponential)]
    [InlineData(LossKind.Square)]
    [InlineData(LossKind.Hinge)]
    public void BinaryLossesEqualTheirClosedForms(LossKind kind)
    {
        double[] u = [1, 2, 0.5], f = [1, -2, 0.5], y = [1, -1, 1];
        double[] ut = [2, -3], ft = [2, 3], yt = [1, -1];
        double L(double[] uu, double[] ff, double[] yy) => Enumerable.Range(0, uu.Length).Select(i => kind switch
        {
            LossKind.Logistic => Math.Log(1 + Math.Exp(-uu[i])),
            LossKind.Exponential => Math.Exp(-uu[i]),
            LossKind.Square => (ff[i] - yy[i]) * (ff[i] - yy[i]),
            _ => Math.Max(0, 1 - uu[i]),
        }).Average();
        var r = Losses(Linear(W), Train, Test, kind);
        double train = L(u, f, y), test = L(ut, ft, yt);
        Assert.Equal(train, r.Values["train_loss"], 14);
        Assert.Equal(Math.Log(train), r.Values["train_log_loss"], 13);
        Assert.Equal(test, r.Values["test_loss"], 14);
        Assert.Equal(Math.Log(test), r.Values["test_log_loss"], 13);
    }

    [Fact]
    public void HandWorkedValues()
    {
        // square loss, binary: (f - y)^2 = 0, 1, 0.25 -> L = 1.25 / 3; hinge: max(0, 1 - u) = 0, 0, 0.5 -> L = 0.5 / 3
        Assert.Equal(1.25 / 3, Losses(Linear(W), Train, null, LossKind.Square).Values["train_loss"], 15);
        Assert.Equal(0.5 / 3, Losses(Linear(W), Train, null, LossKind.Hinge).Values["train_loss"], 15);
    }

    [Fact]
    public void MulticlassLossesEqualTheirClosedForms()
    {
        // W = I (2 x 2): rows (2, 0) y=0 and (0, 1) y=0 give z = (2, 0) and (0, 1); z_y - z_other = 2 and -1.
        var net = Linear(new double[,] { { 1, 0 }, { 0, 1 } });
        var data = new Dataset("mc", [2, 0, 0, 1], [0, 0], [2], 2);
        double ce = (Math.Log(1 + Math.Exp(-2)) + Math.Log(1 + Math.Exp(1))) / 2;
        Assert.Equal(ce, Losses(net, data, null, LossKind.CrossEntropy).Values["train_loss"], 14);
        Assert.Equal((Math.Exp(-2) + Math.Exp(1)) / 2, Losses(net, data, null, LossKind.Exponential).Values["train_loss"], 14);
        // square with target scale 2: t = (2, 0); (2-2)^2 + 0^2 = 0 and (0-2)^2 + (1-0)^2 = 5 -> L = 2.5
        Assert.Equal(2.5, Losses(net, data, null, LossKind.Square, targetScale: 2).Values["train_loss"], 15);
        // hinge: max(0, 1 - 2) = 0 and max(0, 1 + 1) = 2 -> L = 1
        Assert.Equal(1.0, Losses(net, data, null, LossKind.Hinge).Values["train_loss"], 15);
    }

    [Fact]
    public void LogLossStaysFiniteWhereTheLossUnderflows()
    {
        // exponential loss at margins 1000 and 1001: L = (e^-1000 + e^-1001) / 2 underflows to 0, while
        // log L = -1000 + log(1 + e^-1) - log 2 exactly.
        var net = Linear(new double[,] { { 1 } });
        var data = new Dataset("far", [1000, -1001], [1, 0], [1], 2);
        var r = Losses(net, data, null, LossKind.Exponential);
        Assert.Equal(0, r.Values["train_loss"]);
        Assert.Equal(-1000 + Math.Log(1 + Math.Exp(-1)) - Math.Log(2), r.Values["train_log_loss"], 10);
    }

    [Fact]
    public void WithoutALossOrATestSetTheReasonSaysWhatToGive()
    {
        var none = Losses(Linear(W), Train, Test, null);
        Assert.Empty(none.Values);
        Assert.Contains(none.Omitted, o => o.Key == "train_loss" && o.Reason.Contains("--loss", StringComparison.Ordinal));
        var noTest = Losses(Linear(W), Train, null, LossKind.Logistic);
        Assert.Equal(["train_log_loss", "train_loss"], noTest.Values.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(noTest.Omitted, o => o.Key == "test_loss" && o.Reason == "no test set given");
    }

    [Fact]
    public void TheLossOfTheRegistryIsTheTrainingLoss()
    {
        // A second route: the autodiff loss node the trainer evaluates, on the same float64 net and rows.
        var net = MeasureTestNets.Mlp([3, 4, 2], bias: true, seed: 3);
        var data = MeasureTestNets.Gaussian(20, 3, 2, 4);
        var eval = new Gradscope.Training.ProbeEvaluation<double>(net, data, LossKind.CrossEntropy, 1.0);
        eval.Run();
        var r = Losses(net, data, null, LossKind.CrossEntropy);
        Assert.Equal(eval.L, r.Values["train_loss"], 14);
        Assert.Equal(eval.LogL, r.Values["train_log_loss"], 14);
    }
}
