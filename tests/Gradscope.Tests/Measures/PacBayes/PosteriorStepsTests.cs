using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures.PacBayes;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Measures.PacBayes;

public class PosteriorStepsTests
{
    private static Sequential<double> Net(ulong seed, params int[] widths)
    {
        var layers = new List<Layer<double>>();
        for (int l = 0; l + 1 < widths.Length; l++)
        {
            layers.Add(new Dense<double>(widths[l], widths[l + 1], bias: true));
            if (l + 2 < widths.Length) layers.Add(new Relu<double>());
        }
        var model = new Sequential<double>([widths[0]], [.. layers]);
        Init.Apply(model, InitScheme.PyTorchDefault, new Rng(seed));
        return model;
    }

    private static Dataset RandomData(int n, int dim, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new double[n * dim];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = x[i * dim] + 0.5 * x[i * dim + 1] > 0 ? 1 : 0;
        return new Dataset("random", x, y, [dim], 2);
    }

    private static double[] Perturbed(double[] w, ulong seed, double scale)
    {
        var rng = new Rng(seed);
        return w.Select(v => v + scale * rng.NextNormal()).ToArray();
    }

    /// <summary>
    /// The objective written out by hand in double for a 2-layer net (in -> h -> 1, biases): mean logistic loss / ln 2
    /// of the rows at the weights w + exp(log s) o eps, plus sqrt(B_RE / 2) with the Gaussian KL of D&amp;R 2017.
    /// </summary>
    private static double ReferenceObjective(double[] w, double[] logS, double lh, double[] eps, double[] w0, Dataset data, int[] rows,
        int din, int h, PosteriorOptions o)
    {
        int d = w.Length;
        var wt = new double[d];
        for (int i = 0; i < d; i++) wt[i] = w[i] + Math.Exp(logS[i]) * eps[i];
        // layout: W1 (h x din), b1 (h), W2 (1 x h), b2 (1)
        double loss = 0;
        foreach (int r in rows)
        {
            double f = wt[h * din + h + h];
            for (int u = 0; u < h; u++)
            {
                double z = wt[h * din + u];
                for (int j = 0; j < din; j++) z += wt[u * din + j] * data.X[r * din + j];
                f += wt[h * din + h + u] * Math.Max(z, 0);
            }
            double yy = data.Y[r] == 1 ? 1 : -1;
            loss += Math.Log(1 + Math.Exp(-yy * f));
        }
        loss /= rows.Length;
        double lambda = Math.Exp(2 * lh), quad = 0, logs2 = 0;
        for (int i = 0; i < d; i++) { double s = Math.Exp(logS[i]); quad += s * s + (w[i] - w0[i]) * (w[i] - w0[i]); logs2 += 2 * logS[i]; }
        double kl = 0.5 * (quad / lambda - d + d * Math.Log(lambda) - logs2);
        int n = data.N;
        double jc = o.GridB * Math.Log(o.GridC / lambda);
        double bre = (kl + 2 * Math.Log(Math.Max(jc, 1)) + Math.Log(Math.PI * Math.PI * n / (6 * o.Delta))) / (n - 1);
        return loss / Math.Log(2) + Math.Sqrt(bre / 2);
    }

    [Fact]
    public void StepGradientMatchesFiniteDifferencesOfTheObjective()
    {
        const int din = 3, h = 4;
        var model = Net(5, din, h, 1);
        var w0 = model.Flat.ToArray();
        var trained = Perturbed(w0, 6, 0.3);
        var data = RandomData(40, din, 7);
        var o = new PosteriorOptions { BatchSize = 40, InitialSigmaScale = 0.5, InitialLambda = 0.05, Seed = 3 };
        var steps = new PosteriorSteps(MlpLayout.Of(model), data, w0, trained, o);
        int d = model.ParameterCount;
        var rows = Enumerable.Range(0, 40).ToArray();
        var gw = new double[d]; var gs = new double[d];
        double objective = steps.GradientAt(rows, gw, gs, out double glh);
        var w = steps.Means.ToArray().Select(v => (double)v).ToArray();
        var logS = steps.LogSigmas.ToArray().Select(v => (double)v).ToArray();
        var eps = steps.Noise.ToArray().Select(v => (double)v).ToArray();
        double lh = steps.LogLambdaHalf;
        double F(double[] ww, double[] ss, double ll) => ReferenceObjective(ww, ss, ll, eps, w0, data, rows, din, h, o);
        Assert.Equal(F(w, logS, lh), objective, 4);
        Assert.Contains(eps, e => Math.Abs(e) > 0.5);   // the noise is not trivially zero, so the log s gradients carry it
        const double step = 1e-5;
        double scale = Math.Max(gw.Max(Math.Abs), gs.Max(Math.Abs));
        for (int i = 0; i < d; i++)
        {
            var wp = (double[])w.Clone(); wp[i] += step; var wm = (double[])w.Clone(); wm[i] -= step;
            Assert.True(Math.Abs((F(wp, logS, lh) - F(wm, logS, lh)) / (2 * step) - gw[i]) < 1e-4 * scale + 1e-6, $"dL/dw[{i}]: {gw[i]}");
            var sp = (double[])logS.Clone(); sp[i] += step; var sm = (double[])logS.Clone(); sm[i] -= step;
            Assert.True(Math.Abs((F(w, sp, lh) - F(w, sm, lh)) / (2 * step) - gs[i]) < 1e-4 * scale + 1e-6, $"dL/dlog s[{i}]: {gs[i]}");
        }
        double fdL = (F(w, logS, lh + step) - F(w, logS, lh - step)) / (2 * step);
        Assert.True(Math.Abs(fdL - glh) < 1e-4 * Math.Max(1, Math.Abs(fdL)), $"dL/dlog lambda^(1/2): {glh} vs {fdL}");
    }

    [Fact]
    public void StepGradientMatchesAutodiffAndBoundTermOnTheSameNoise()
    {
        // the reference: the project's autodiff in double at w~ = w + s o eps (the same noise), plus BoundTerm's gradient
        var model = Net(8, 20, 16, 12, 1);
        var w0 = model.Flat.ToArray();
        var trained = Perturbed(w0, 9, 0.1);
        var data = RandomData(64, 20, 10);
        var o = new PosteriorOptions { BatchSize = 32, Seed = 11 };
        var steps = new PosteriorSteps(MlpLayout.Of(model), data, w0, trained, o);
        int d = model.ParameterCount;
        var rows = Enumerable.Range(0, 64).Where(i => i % 2 == 1).ToArray();
        var gw = new double[d]; var gs = new double[d];
        double objective = steps.GradientAt(rows, gw, gs, out double glh);

        var w = steps.Means.ToArray().Select(v => (double)v).ToArray();
        var logS = steps.LogSigmas.ToArray().Select(v => (double)v).ToArray();
        var eps = steps.Noise.ToArray().Select(v => (double)v).ToArray();
        for (int i = 0; i < d; i++) model.Flat[i] = w[i] + Math.Exp(logS[i]) * eps[i];
        var eval = new Objective<double>(model, data, LossKind.Logistic).Evaluate(rows);
        var tw = new double[d]; var ts = new double[d];
        var (term, _) = BoundTerm.Evaluate(w, logS, 2 * steps.LogLambdaHalf, w0, new LambdaGrid(o.GridC, o.GridB, o.GridMaxJ), data.N,
            BoundTerm.Confidence(data.N, o.Delta), tw, ts, out double tl);
        Assert.Equal(eval.L / Math.Log(2) + term, objective, 4);
        double scale = Math.Max(gw.Max(Math.Abs), gs.Max(Math.Abs));
        for (int i = 0; i < d; i++)
        {
            double g = model.FlatGrad[i] / Math.Log(2);
            Assert.True(Math.Abs(g + tw[i] - gw[i]) < 1e-4 * scale, $"dL/dw[{i}]: {gw[i]} vs {g + tw[i]}");
            Assert.True(Math.Abs(g * eps[i] * Math.Exp(logS[i]) + ts[i] - gs[i]) < 1e-4 * scale, $"dL/dlog s[{i}]: {gs[i]} vs {g * eps[i] * Math.Exp(logS[i]) + ts[i]}");
        }
        Assert.True(Math.Abs(2 * tl - glh) < 1e-5 * Math.Max(1, Math.Abs(glh)), $"dL/dlog lambda^(1/2): {glh} vs {2 * tl}");
    }

    [Fact]
    public void AStepAllocatesNothing()
    {
        var model = Net(12, 30, 24, 1);
        var w0 = model.Flat.ToArray();
        var data = RandomData(300, 30, 13);
        foreach (var kind in new[] { PosteriorOptimizerKind.RmsProp, PosteriorOptimizerKind.Adam })
        {
            var steps = new PosteriorSteps(MlpLayout.Of(model), data, w0, Perturbed(w0, 14, 0.1),
                new PosteriorOptions { BatchSize = 50, Iterations = 100, Optimizer = kind });
            for (int i = 0; i < 10; i++) steps.Next();   // every buffer exists, the minibatch order has been reshuffled
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) steps.Next();
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void SameSeedGivesBitIdenticalStatesAndAnotherSeedDoesNot()
    {
        var model = Net(15, 10, 40, 1);
        var w0 = model.Flat.ToArray();
        var trained = Perturbed(w0, 16, 0.2);
        var data = RandomData(200, 10, 17);
        float[] Run(ulong seed)
        {
            var steps = new PosteriorSteps(MlpLayout.Of(model), data, w0, trained, new PosteriorOptions { BatchSize = 20, Iterations = 25, Seed = seed });
            for (int i = 0; i < 25; i++) steps.Next();
            return [.. steps.Means.ToArray(), .. steps.LogSigmas.ToArray(), (float)steps.LogLambdaHalf];
        }
        var a = Run(1);
        Assert.Equal(a, Run(1));
        Assert.NotEqual(a, Run(2));
        Assert.NotEqual(a, [.. trained.Select(v => (float)v), .. a.Skip(trained.Length)]);   // the steps moved w
    }

    [Fact]
    public void AnOptimizationStepLowersTheComplexityTermOfAFarPosterior()
    {
        // far from the prior, the KL dominates: plain descent with a small step must lower the objective's KL
        var model = Net(18, 6, 8, 1);
        var w0 = model.Flat.ToArray();
        var data = RandomData(100, 6, 19);
        var steps = new PosteriorSteps(MlpLayout.Of(model), data, w0, Perturbed(w0, 20, 1.0),
            new PosteriorOptions { BatchSize = 100, Iterations = 200, LearningRate = 1e-2, Optimizer = PosteriorOptimizerKind.Adam });
        double kl0 = steps.Kl;
        for (int i = 0; i < 200; i++) steps.Next();
        Assert.True(steps.Kl < 0.5 * kl0, $"KL {kl0} -> {steps.Kl}");
        var r = steps.Result();
        // the float32 state's KL agrees with the double KL of the returned posterior
        double kl = GaussianKl.Of(r.W, r.S, w0, r.Lambda);
        Assert.True(Math.Abs(kl - steps.Kl) < 1e-5 * kl, $"KL {steps.Kl} vs {kl}");
    }
}
