using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Algorithms;

public class NormalizationTests
{
    private static (Sequential<double> Model, Objective<double> Obj) Net(bool bias = false)
    {
        var data = Fixtures.Separable(12, 4, 51);
        var model = new Sequential<double>([4], new Dense<double>(4, 5, bias), new Relu<double>(), new Dense<double>(5, 3, bias), new Relu<double>(), new Dense<double>(3, 1));
        Init.Apply(model, InitScheme.He, new Rng(52));
        return (model, new Objective<double>(model, data, LossKind.Logistic));
    }

    [Theory]
    [InlineData(WeightNormMode.PerLayer)]
    [InlineData(WeightNormMode.PerUnit)]
    public void WeightNormAtInitializationIsTheUnnormalizedNet(WeightNormMode mode)
    {
        var (model, obj) = Net();
        var w = (double[])model.Flat.Clone();
        var wn = new WeightNormalization<double>(mode);
        wn.Initialize(obj);
        var again = new double[w.Length];
        wn.Reparameterize(again);
        for (int i = 0; i < w.Length; i++) Assert.Equal(w[i], again[i], 14);
        int expectedG = mode == WeightNormMode.PerLayer ? 3 : 5 + 3 + 1;
        Assert.Equal(expectedG, wn.G.Length);
    }

    [Theory]
    [InlineData(WeightNormMode.PerLayer)]
    [InlineData(WeightNormMode.PerUnit)]
    public void WeightNormGradientMatchesFiniteDifferences(WeightNormMode mode)
    {
        var (model, obj) = Net();
        var wn = new WeightNormalization<double>(mode);
        wn.Initialize(obj);
        // Move away from g = ||V|| so the check is not at a special point.
        var rng = new Rng(53);
        for (int i = 0; i < wn.G.Length; i++) wn.G[i] *= 0.7 + 0.6 * rng.NextDouble();
        for (int i = 0; i < wn.V.Length; i++) wn.V[i] *= 0.8 + 0.4 * rng.NextDouble();
        double Loss()
        {
            wn.Reparameterize(model.Flat);
            return obj.Evaluate(default, LossOutput.Value, gradient: false).L;
        }
        wn.Reparameterize(model.Flat);
        obj.Evaluate(default);
        wn.ChainRule(model.FlatGrad);
        var gg = wn.GradG.ToArray();
        var gv = wn.GradV.ToArray();
        const double h = 1e-6;
        double worst = 0;
        void Check(Func<double> get, Action<double> set, double analytic)
        {
            double x0 = get();
            set(x0 + h); double fp = Loss();
            set(x0 - h); double fm = Loss();
            set(x0);
            double fd = (fp - fm) / (2 * h);
            worst = Math.Max(worst, Math.Abs(fd - analytic) / Math.Max(1e-3, Math.Abs(fd) + Math.Abs(analytic)));
        }
        for (int i = 0; i < gg.Length; i++) { int k = i; Check(() => wn.G[k], v => wn.G[k] = v, gg[k]); }
        for (int i = 0; i < gv.Length; i++) { int k = i; Check(() => wn.V[k], v => wn.V[k] = v, gv[k]); }
        Assert.True(worst < 1e-6, $"relative error {worst:e2}");
    }

    [Fact]
    public void WeightNormStepKeepsFlatEqualToTheEffectiveWeightsAndMovesBiasesByGd()
    {
        var (model, obj) = Net(bias: true);
        var wn = new WeightNormalization<double>(WeightNormMode.PerUnit);
        wn.Initialize(obj);
        obj.Evaluate(default);
        var bias = model["0.bias"];
        var b0 = bias.Value.Span.ToArray();
        var gb = bias.Grad.Span.ToArray();
        wn.Step(obj, default, new StepContext(0, 0.1, 0));
        var expect = new double[model.ParameterCount];
        model.Flat.CopyTo(expect, 0);
        wn.Reparameterize(expect);
        Assert.Equal(expect, model.Flat);
        for (int i = 0; i < b0.Length; i++) Assert.Equal(b0[i] - 0.1 * gb[i], bias.Value.Span[i], 14);
        // A small step decreases the loss (the (g, V) gradient is a descent direction).
        var l0 = obj.Evaluate(default, gradient: false).L;
        Fixtures.Run(wn, obj, 50, eta: 0.05);
        Assert.True(obj.Evaluate(default, gradient: false).L < l0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LagrangeKeepsUnitNormDirectionsAndWEqualsRhoV(bool global)
    {
        var (model, obj) = Net();
        var lm = new LagrangeNormalization<double>(global);
        var f0 = model.Predict(obj.Inputs).Span.ToArray();
        var given = (double[])model.Flat.Clone();
        lm.Initialize(obj);
        // At initialization c V reproduces the given net: the same W per layer, the same f globally (rebalanced W).
        var fInit = model.Predict(obj.Inputs).Span.ToArray();
        for (int i = 0; i < f0.Length; i++) Assert.Equal(f0[i], fInit[i], 12);
        if (!global) for (int i = 0; i < given.Length; i++) Assert.Equal(given[i], model.Flat[i], 12);
        for (int t = 0; t < 40; t++)
        {
            lm.Step(obj, default, new StepContext(t, 0.2, 1e-3));
            for (int k = 0; k < lm.Segments.Count; k++)
            {
                var s = lm.Segments[k];
                var v = lm.V.Slice(s.Offset, s.Length);
                double norm = Math.Sqrt(v.ToArray().Sum(x => x * x));
                Assert.True(Math.Abs(norm - 1) < 1e-12, $"step {t}, layer {k}: ||V_k|| = {norm:R}");
                double c = lm.LayerScale(k);
                for (int i = 0; i < s.Length; i++) Assert.Equal(c * v[i], model.Flat[s.Offset + i], 15);
            }
        }
        // f(x; W) = (prod c_k) f(x; V): the normalized net times rho reproduces the model.
        var fW = model.Predict(obj.Inputs).Span.ToArray();
        var saved = (double[])model.Flat.Clone();
        lm.V.CopyTo(model.Flat);
        var fV = model.Predict(obj.Inputs).Span.ToArray();
        model.LoadParameters(saved);
        double rho = Enumerable.Range(0, lm.Segments.Count).Aggregate(1.0, (p, k) => p * lm.LayerScale(k));
        if (global) Assert.Equal(lm.Rho[0], rho, 10);
        for (int i = 0; i < fW.Length; i++) Assert.Equal(fW[i], rho * fV[i], 10);
        Assert.NotEqual(f0, fW);
    }

    [Fact]
    public void LagrangeFirstStepFollowsTheProjectedFlow()
    {
        var (model, obj) = Net();
        var lm = new LagrangeNormalization<double>();
        lm.Initialize(obj);
        var s = lm.Segments[0];
        var v0 = lm.V.Slice(s.Offset, s.Length).ToArray();
        double rho0 = lm.Rho[0];
        obj.Evaluate(default);
        var g = model.FlatGrad.AsSpan(s.Offset, s.Length).ToArray();
        double eta = 0.1, lambda = 0.01;
        lm.Step(obj, default, new StepContext(0, eta, lambda));
        double dot = v0.Zip(g, (a, b) => a * b).Sum();
        var v1 = v0.Select((v, i) => v - eta * rho0 * (g[i] - dot * v)).ToArray();
        double n1 = Math.Sqrt(v1.Sum(x => x * x));
        Assert.Equal(rho0 - eta * (dot + lambda * rho0), lm.Rho[0], 13);
        for (int i = 0; i < v1.Length; i++) Assert.Equal(v1[i] / n1, lm.V[s.Offset + i], 13);
    }

    [Fact]
    public void LagrangeWithFrozenDirectionsMovesOnlyRho()
    {
        var (model, obj) = Net();
        var lm = new LagrangeNormalization<double>(directionRate: 0);
        lm.Initialize(obj);
        var v0 = lm.V.ToArray();
        var rho0 = lm.Rho.ToArray();
        obj.Evaluate(default);
        var g = model.FlatGrad.ToArray();
        lm.Step(obj, default, new StepContext(0, 0.1, 0));
        for (int k = 0; k < lm.Segments.Count; k++)
        {
            var s = lm.Segments[k];
            double dot = 0;
            for (int i = s.Offset; i < s.Offset + s.Length; i++) { Assert.Equal(v0[i], lm.V[i], 14); dot += v0[i] * g[i]; }
            Assert.Equal(rho0[k] - 0.1 * dot, lm.Rho[k], 13); // drho_k = -<V_k, g_k>
        }
        Assert.Throws<ArgumentException>(() => new LagrangeNormalization<double>(directionRate: -1));
    }

    [Fact]
    public void LossScaledLagrangeAtTheMatchedStepFollowsGdsDirectionStep()
    {
        // direction step eta / rho_k on g = grad log L = grad L / L, rho step eta: computed by hand from grad L and L
        var (model, obj) = Net();
        var lm = new LagrangeNormalization<double>(lossScaled: true, matchedStep: true);
        lm.Initialize(obj);
        var v0 = lm.V.ToArray();
        var rho0 = lm.Rho.ToArray();
        var eval = obj.Evaluate(default);
        var g = model.FlatGrad.Select(x => x / eval.L).ToArray();
        double eta = 0.05;
        lm.Step(obj, default, new StepContext(0, eta, 0));
        for (int k = 0; k < lm.Segments.Count; k++)
        {
            var s = lm.Segments[k];
            double dot = 0;
            for (int i = s.Offset; i < s.Offset + s.Length; i++) dot += v0[i] * g[i];
            var v1 = Enumerable.Range(s.Offset, s.Length).Select(i => v0[i] - eta / rho0[k] * (g[i] - dot * v0[i])).ToArray();
            double n1 = Math.Sqrt(v1.Sum(x => x * x));
            for (int i = 0; i < s.Length; i++) Assert.Equal(v1[i] / n1, lm.V[s.Offset + i], 13);
            Assert.Equal(rho0[k] - eta * dot, lm.Rho[k], 13);
        }
    }

    [Fact]
    public void MatchedLagrangeAgreesWithLossScaledGdToSecondOrderInEta()
    {
        // one step of each from the same weights: ||W_LM - W_GD|| = O(eta^2), so halving eta divides it by about 4
        double Gap(double eta)
        {
            var (model, obj) = Net();
            var w0 = model.Flat.ToArray();
            var lm = new LagrangeNormalization<double>(lossScaled: true, matchedStep: true);
            lm.Step(obj, default, new StepContext(0, eta, 0));
            var wLm = model.Flat.ToArray();
            model.LoadParameters(w0);
            new Gd<double>(lossScaled: true).Step(obj, default, new StepContext(0, eta, 0));
            return Math.Sqrt(wLm.Zip(model.Flat, (a, b) => (a - b) * (a - b)).Sum());
        }
        double ratio = Gap(0.02) / Gap(0.01);
        Assert.InRange(ratio, 3.6, 4.4);
    }

    [Theory]
    [InlineData(WeightNormMode.PerLayer)]
    [InlineData(WeightNormMode.PerUnit)]
    public void LossScaledWeightNormIsWeightNormAtStepEtaOverL(WeightNormMode mode)
    {
        // the (g, V) step is linear in dL/dW, so stepping on grad log L = grad L / L at eta is the plain step at eta / L
        var (model, obj) = Net();
        var w0 = model.Flat.ToArray();
        double l0 = obj.Evaluate(default).L;
        new WeightNormalization<double>(mode, lossScaled: true).Step(obj, default, new StepContext(0, 0.1, 0));
        var scaled = model.Flat.ToArray();
        model.LoadParameters(w0);
        new WeightNormalization<double>(mode).Step(obj, default, new StepContext(0, 0.1 / l0, 0));
        for (int i = 0; i < w0.Length; i++) Assert.Equal(model.Flat[i], scaled[i], 12);
        Assert.NotEqual(w0, scaled);
    }

    [Fact]
    public void GlobalLagrangeRejectsNonHomogeneousNets()
    {
        var (_, obj) = Net(bias: true);
        Assert.Contains("homogeneous", Assert.Throws<ArgumentException>(() => new LagrangeNormalization<double>(global: true).Initialize(obj)).Message);
    }
}
