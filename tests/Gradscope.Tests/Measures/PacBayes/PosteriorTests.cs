using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures.PacBayes;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Measures.PacBayes;

public class PosteriorTests
{
    [Fact]
    public void BoundTermGradientMatchesFiniteDifferences()
    {
        var rng = new Random(3);
        int d = 7, n = 50;
        var w = new double[d]; var logS = new double[d]; var w0 = new double[d];
        for (int i = 0; i < d; i++) { w[i] = rng.NextDouble() - 0.5; logS[i] = -2 + rng.NextDouble(); w0[i] = rng.NextDouble() - 0.5; }
        var grid = new LambdaGrid(0.1, 10);
        double logLambda = -4, conf = BoundTerm.Confidence(n, 0.025);
        var gw = new double[d]; var gs = new double[d];
        BoundTerm.Evaluate(w, logS, logLambda, w0, grid, n, conf, gw, gs, out double gl);
        double F(double[] ww, double[] ss, double ll) => BoundTerm.Evaluate(ww, ss, ll, w0, grid, n, conf, [], [], out _).Value;
        const double h = 1e-6;
        for (int i = 0; i < d; i++)
        {
            var wp = (double[])w.Clone(); wp[i] += h; var wm = (double[])w.Clone(); wm[i] -= h;
            Assert.Equal((F(wp, logS, logLambda) - F(wm, logS, logLambda)) / (2 * h), gw[i], 7);
            var sp = (double[])logS.Clone(); sp[i] += h; var sm = (double[])logS.Clone(); sm[i] -= h;
            Assert.Equal((F(w, sp, logLambda) - F(w, sm, logLambda)) / (2 * h), gs[i], 7);
        }
        Assert.Equal((F(w, logS, logLambda + h) - F(w, logS, logLambda - h)) / (2 * h), gl, 7);
        // the KL it reports is the Gaussian KL at s = exp(log s), and the value is the paper's
        // sqrt(B_RE / 2) with B_RE = (KL + 2 ln(b ln(c/lambda)) + ln(pi^2 n / (6 delta))) / (n - 1), written out here
        var s = logS.Select(Math.Exp).ToArray();
        double kl = GaussianKl.Of(w, s, w0, Math.Exp(logLambda));
        var (value, klReported) = BoundTerm.Evaluate(w, logS, logLambda, w0, grid, n, conf, [], [], out _);
        Assert.Equal(kl, klReported, 10);
        double bre = (kl + 2 * Math.Log(10 * Math.Log(0.1 / Math.Exp(logLambda))) + Math.Log(Math.PI * Math.PI * 50 / (6 * 0.025))) / 49;
        Assert.Equal(Math.Sqrt(bre / 2), value, 12);
    }

    [Fact]
    public void BinarySplitThresholdsLabels()
    {
        var data = new Dataset("toy", new double[6], [0, 4, 5, 9, 2, 7], [1], 10);
        var b = BinarySplit.Apply(data, 5);
        Assert.Equal([0, 0, 1, 1, 0, 1], b.Y);
        Assert.Equal(2, b.Classes);
        Assert.Equal(6, b.N);
        Assert.Throws<ArgumentException>(() => BinarySplit.Apply(data, 0));
        Assert.Throws<ArgumentException>(() => BinarySplit.Apply(data, 10));
    }

    private static Sequential<double> SmallNet(int din, int hidden, ulong seed)
    {
        var model = new Sequential<double>([din], new Dense<double>(din, hidden, bias: true), new Relu<double>(), new Dense<double>(hidden, 1, bias: true));
        Init.Apply(model, InitScheme.PyTorchDefault, new Rng(seed));
        return model;
    }

    [Fact]
    public void PerExampleSamplerMatchesFullWeightDraws()
    {
        // One input x; P[f_w(x) misclassifies] under w ~ N(mean, diag std^2) estimated two ways:
        // (a) the local-reparameterization sampler, (b) drawing the whole weight vector and running the net.
        var model = SmallNet(3, 4, 11);
        int p = model.ParameterCount;
        var mean = model.Flat.ToArray();
        var std = Enumerable.Range(0, p).Select(i => 0.3 + 0.1 * (i % 3)).ToArray();
        var data = new Dataset("one", [0.5, -1.0, 2.0], [1], [3], 2);
        var sampler = new StochasticMlp<double>(model, mean, std);
        int trials = 40000;
        double pa = (double)sampler.CountErrors(data, new int[trials], new Rng(5)) / trials;
        var rng = new Rng(6);
        var x = new Tensor<double>([1, 3]); x.Span[0] = 0.5; x.Span[1] = -1.0; x.Span[2] = 2.0;
        int wrong = 0;
        for (int t = 0; t < trials; t++)
        {
            for (int i = 0; i < p; i++) model.Flat[i] = mean[i] + std[i] * rng.NextNormal();
            if (!(model.Predict(x).Span[0] > 0)) wrong++;
        }
        double pb = (double)wrong / trials;
        double se = Math.Sqrt(pa * (1 - pa) / trials + pb * (1 - pb) / trials);
        Assert.InRange(pa, 0.05, 0.95);   // a non-trivial probability, so the comparison has power
        Assert.True(Math.Abs(pa - pb) < 4.5 * se, $"sampler {pa} vs full draws {pb} (se {se})");
    }

    private static (Dataset Train, Dataset Test) BinaryOptdigits()
    {
        var registry = DataRegistry.Default();
        var train = Transforms.Scale(BinarySplit.Apply(registry.Load("optdigits-train"), 5), 1.0 / 16);
        var test = Transforms.Scale(BinarySplit.Apply(registry.Load("optdigits-test"), 5), 1.0 / 16);
        return (train, test);
    }

    private static Sequential<double> Trained(Dataset train, out double[] w0)
    {
        var model = SmallNet(64, 64, 2);
        w0 = model.Flat.ToArray();
        var objective = new Objective<double>(model, train, LossKind.Logistic);
        var sgd = new MomentumSgd<double>(0.9);
        sgd.Initialize(objective);
        var rng = new Rng(4);
        var order = Enumerable.Range(0, train.N).ToArray();
        long step = 0;
        for (int epoch = 0; epoch < 30; epoch++)
        {
            rng.Shuffle(order.AsSpan());
            for (int s = 0; s + 50 <= order.Length; s += 50) sgd.Step(objective, order.AsSpan(s, 50), new StepContext(step++, 0.05, 0));
        }
        return model;
    }

    [Fact]
    public void BoundOnBinaryOptdigitsIsNonVacuousAndAboveTestError()
    {
        var (train, test) = BinaryOptdigits();
        var model = Trained(train, out var w0);
        var options = new PosteriorOptions { Iterations = 600, BatchSize = 100, LearningRate = 0.01, McPasses = 5 };
        var r = PacBayesComputation.Run(model, w0, train, test, options);
        Assert.True(r.TrainErrorDeterministic <= 0.05);
        Assert.True(r.Bound < 1, $"bound {r.Bound}");
        Assert.True(r.Bound > r.TestErrorStochastic, $"bound {r.Bound} below the stochastic test error {r.TestErrorStochastic}");
        Assert.True(r.TrainErrorMcBound >= r.TrainErrorMc);
        // the reported terms recompose into the bound
        Assert.Equal((r.Kl + r.UnionCost + r.ConfidenceTerm) / r.N, r.Budget, 12);
        Assert.Equal(r.Budget, BernoulliKl.Of(r.TrainErrorMcBound, r.Bound), 8);
        Assert.Equal(0.1 * Math.Exp(-r.J / 100.0), r.Lambda, 14);
    }

    [Fact]
    public void UnfittedNetAndBadDeltaAreRefused()
    {
        var (train, test) = BinaryOptdigits();
        var model = SmallNet(64, 8, 9);
        var w0 = model.Flat.ToArray();
        var e = Assert.Throws<InvalidOperationException>(() => PacBayesComputation.Run(model, w0, train, test, new PosteriorOptions { Iterations = 5 }));
        Assert.Contains("training error", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => PacBayesComputation.Run(model, w0, train, test, new PosteriorOptions { Delta = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PacBayesComputation.Run(model, w0, train, test, new PosteriorOptions { DeltaPrime = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PacBayesComputation.Run(model, w0, train, test, new PosteriorOptions { GridMaxJ = 0 }));
    }

    [Fact]
    public void DivergentOptimizationIsReportedNotBounded()
    {
        var (train, _) = BinaryOptdigits();
        var model = Trained(train, out var w0);
        var objective = new Objective<double>(model, train, LossKind.Logistic);
        // a huge learning rate blows the posterior up: the optimizer must stop with a clear message
        var opt = new PosteriorOptimizer<double>(objective, w0, new PosteriorOptions { Iterations = 200, LearningRate = 1e300 });
        var e = Assert.Throws<InvalidOperationException>(() => opt.Run(model.Flat.ToArray()));
        Assert.Contains("diverged", e.Message);
    }
}
