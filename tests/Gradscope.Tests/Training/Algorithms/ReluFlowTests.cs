using Gradscope.Autodiff;
using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Algorithms;

/// <summary>
/// Gradient flow of ReLU nets with event location at the kinks (ReluEvents), against closed forms.
/// The one-neuron net f(x) = a relu(w x) on x = +1 (target y1) and x = -1 (target y2) under the square loss
/// L = ((f(1) - y1)^2 + (f(-1) - y2)^2) / 2 has the pieces w &gt; 0 (only x = +1 active) and w &lt; 0 (only
/// x = -1 active). On each, a^2 - w^2 = c is conserved and p = a w obeys a scalar ODE; with y1 = -1, y2 = +1
/// both pieces give dp/dt = -(p + 1) sqrt(c^2 + 4 p^2), and the flow crosses the kink w = 0 when p = 0.
/// Separating variables: t(p) = G(p0) - G(p), G(s) = -ln(2 sqrt(A) R(u) + 2 A u - 8) / sqrt(A),
/// u = 1 / (s + 1), A = 4 + c^2, R(u) = sqrt(A u^2 - 8 u + 4).
/// </summary>
public class ReluFlowTests
{
    private const double A0 = 1.2, W0 = 0.5;

    private static Sequential<double> OneNeuron(string activation)
    {
        Layer<double> act = activation == "relu" ? new Relu<double>() : new Identity<double>();
        var m = new Sequential<double>([1], new Dense<double>(1, 1), act, new Dense<double>(1, 1));
        m.Flat[0] = W0; m.Flat[1] = A0;
        return m;
    }

    // x = +1 with label y1, x = -1 with label y2 (label 1 -> target +1, label 0 -> target -1).
    private static Dataset TwoPoints(int y1, int y2) => new("two points", [1.0, -1.0], [y1, y2], [1], 2);

    private static double G(double s, double c)
    {
        double a = 4 + c * c, u = 1 / (s + 1), r = Math.Sqrt(a * u * u - 8 * u + 4);
        return -Math.Log(2 * Math.Sqrt(a) * r + 2 * a * u - 8) / Math.Sqrt(a);
    }

    // p(t) from t(p) = speed^-1 (G(p0) - G(p)) by bisection on (-1, p0]; then a^2 = (c + sqrt(c^2 + 4 p^2)) / 2, w = p / a.
    private static (double A, double W) ClosedForm(double t, double speed = 1)
    {
        double c = A0 * A0 - W0 * W0, p0 = A0 * W0, lo = -1 + 1e-15, hi = p0;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if ((G(p0, c) - G(mid, c)) / speed > t) lo = mid; else hi = mid;
        }
        double p = 0.5 * (lo + hi);
        double a = Math.Sqrt((c + Math.Sqrt(c * c + 4 * p * p)) / 2);
        return (a, p / a);
    }

    private static double EventTime() { double c = A0 * A0 - W0 * W0; return G(A0 * W0, c) - G(0, c); }

    private static GradientFlow<double> Flow(double tol, EventSettings? events = null) => new(new OdeTolerances(tol, tol), events: events);

    [Fact]
    public void OneNeuronFlowCrossesTheKinkAtTheClosedFormTimeAndFollowsTheClosedForm()
    {
        var model = OneNeuron("relu");
        var obj = new Objective<double>(model, TwoPoints(0, 1), LossKind.Square);
        var flow = Flow(1e-12);
        flow.Initialize(obj);
        double tEvent = double.NaN, worst = 0;
        for (int s = 0; s < 5000 && flow.Time < 3.0; s++)
        {
            long before = flow.EventCount;
            flow.Step(obj, default, new StepContext(s, 0, 0));
            if (flow.EventCount > before) tEvent = flow.Time;
            var (a, w) = ClosedForm(flow.Time);
            worst = Math.Max(worst, Math.Max(Math.Abs(model.Flat[1] - a), Math.Abs(model.Flat[0] - w)));
        }
        Console.WriteLine($"one neuron: event at {tEvent:R} (closed form {EventTime():R}), max |W - W_exact| {worst:e2} over the trajectory, t = {flow.Time}");
        Assert.True(flow.Time >= 3.0, $"the flow stopped at t = {flow.Time}");
        Assert.Equal(1, flow.EventCount);
        Assert.Equal(0, flow.FallbackSteps);
        Assert.True(Math.Abs(tEvent - EventTime()) < 1e-9, $"event at {tEvent:R}, closed form {EventTime():R}");
        Assert.True(worst < 1e-9, $"trajectory error {worst:e2}");
        Assert.True(model.Flat[0] < -0.7, $"w(T) = {model.Flat[0]}: the flow must have crossed to the w < 0 piece");
        // The conserved a^2 - w^2 across the kink.
        Assert.True(Math.Abs(model.Flat[1] * model.Flat[1] - model.Flat[0] * model.Flat[0] - (A0 * A0 - W0 * W0)) < 1e-9);
    }

    [Fact]
    public void LinearOneNeuronFlowIsTheSmoothPathAndMatchesItsClosedForm()
    {
        // f(x) = a w x on the same points: L = (p + 1)^2, dp/dt = -2 (p + 1) sqrt(c^2 + 4 p^2): the same curve at twice the speed.
        var model = OneNeuron("identity");
        var obj = new Objective<double>(model, TwoPoints(0, 1), LossKind.Square);
        var flow = Flow(1e-12);
        flow.Initialize(obj);
        for (int s = 0; s < 5000 && flow.Time < 1.5; s++) flow.Step(obj, default, new StepContext(s, 0, 0));
        var (a, w) = ClosedForm(flow.Time, speed: 2);
        Assert.True(Math.Abs(model.Flat[1] - a) < 1e-9 && Math.Abs(model.Flat[0] - w) < 1e-9, $"(a, w) = ({model.Flat[1]}, {model.Flat[0]}), exact ({a}, {w})");
        Assert.Equal(0, flow.EventCount);
        var final = new Dictionary<string, double>();
        flow.AddDiagnostics(final);
        Assert.False(final.ContainsKey("flow_events"));   // no ReLU: no activation pattern, the plain RK45 path
        Assert.Null(obj.Pattern);
    }

    [Fact]
    public void SlidingAlongTheKinkTakesBoundedFallbackStepsNearTheFilippovSolution()
    {
        // Targets -1 at both points: for w > 0 the field pushes w down, for w < 0 up, so after p reaches 0 (at the
        // same closed-form time) the Filippov solution slides: w = 0 and a = sqrt(c) (da/dt = -(p + 1) w = 0 there).
        var model = OneNeuron("relu");
        var obj = new Objective<double>(model, TwoPoints(0, 0), LossKind.Square);
        const double hMax = 1e-3;
        var flow = Flow(1e-12, new EventSettings(FallbackMaxDt: hMax));
        flow.Initialize(obj);
        int s = 0;
        for (; s < 20000 && flow.Time < 2.0; s++) flow.Step(obj, default, new StepContext(s, 0, 0));
        double aSlide = Math.Sqrt(A0 * A0 - W0 * W0);
        Console.WriteLine($"sliding: {s} steps to t = {flow.Time}, events {flow.EventCount}, fallbacks {flow.FallbackSteps}, w = {model.Flat[0]:e2}, a - sqrt(c) = {model.Flat[1] - aSlide:e2}, max fallback error {flow.MaxFallbackError:e2}");
        Assert.True(flow.Time >= 2.0, $"the flow stalled at t = {flow.Time} after {s} steps");
        Assert.True(flow.FallbackSteps > 0);
        // |w| <= a hMax: one fallback step at speed |dw/dt| = a; a drifts by at most |w| per unit time.
        Assert.True(Math.Abs(model.Flat[0]) <= 1.01 * A0 * hMax, $"w = {model.Flat[0]}");
        Assert.True(Math.Abs(model.Flat[1] - aSlide) <= 2 * hMax, $"a = {model.Flat[1]}, sliding value {aSlide}");
        Assert.True(flow.MaxFallbackError > 1, "a fallback step's extra error is reported (far above the tolerance here)");
    }

    [Fact]
    public void FrozenPatternGivesTheGradientOfTheLinearNetWithThatPattern()
    {
        // With the mask frozen, ReLU is y = D u: the objective is smooth past the kinks. Its gradient must match
        // central differences of the same frozen objective, and differ from the true ReLU gradient where the
        // mask disagrees with the signs.
        var data = Fixtures.Separable(10, 3, 5);
        var model = Fixtures.Relu(3, 6, 5);
        var obj = new Objective<double>(model, data, LossKind.Exponential);
        var pattern = new ActivationPattern<double> { Mode = PatternMode.Sync };
        obj.Pattern = pattern;
        obj.Evaluate(default, gradient: false);
        var mask = pattern.Mask(0);
        for (int i = 0; i < mask.Length; i += 3) mask[i] = 1 - mask[i];   // a pattern that is not the sign pattern
        pattern.Mode = PatternMode.Frozen;
        obj.Evaluate(default);
        var grad = (double[])model.FlatGrad.Clone();
        const double h = 1e-6;
        double worst = 0;
        for (int j = 0; j < model.Flat.Length; j++)
        {
            double x0 = model.Flat[j];
            model.Flat[j] = x0 + h; double fp = obj.Evaluate(default, gradient: false).L;
            model.Flat[j] = x0 - h; double fm = obj.Evaluate(default, gradient: false).L;
            model.Flat[j] = x0;
            worst = Math.Max(worst, Math.Abs((fp - fm) / (2 * h) - grad[j]) / Math.Max(1e-3, Math.Abs(grad[j])));
        }
        Assert.True(worst < 1e-6, $"frozen-pattern gradient vs central differences: {worst:e2}");
        obj.Pattern = null;
        obj.Evaluate(default);
        double diff = 0;
        for (int j = 0; j < grad.Length; j++) diff = Math.Max(diff, Math.Abs(model.FlatGrad[j] - grad[j]));
        Assert.True(diff > 1e-3, "the flipped mask must change the gradient");
    }

    [Fact]
    public void DenseOutputInterpolatesToFourthOrderAndRollbackRestoresTheStep()
    {
        // y' = -y + cos t, y(0) = 1: y = (cos t + sin t)/2 + e^{-t}/2.
        static double Exact(double t) => 0.5 * (Math.Cos(t) + Math.Sin(t)) + 0.5 * Math.Exp(-t);
        var ode = new DormandPrince<double>(1, new OdeTolerances(1e-10, 1e-10));
        VectorField<double> f = (t, y, dy) => dy[0] = -y[0] + Math.Cos(t);
        var y = new[] { 1.0 };
        double t0 = 0;
        for (int s = 0; s < 3; s++) t0 += ode.Step(f, t0, y);
        double h = ode.LastStepSize, start = t0 - h, worst = 0;
        var yi = new double[1];
        foreach (double theta in new[] { 0.0, 0.1, 0.37, 0.5, 0.81, 1.0 })
        {
            ode.DenseOutput(theta, yi);
            worst = Math.Max(worst, Math.Abs(yi[0] - Exact(start + theta * h)));
        }
        Assert.True(worst < 1e-8, $"dense output error {worst:e2} over a step of {h}");
        double yEnd = y[0];
        ode.Rollback(y);
        Assert.True(Math.Abs(y[0] - Exact(start)) < 1e-9);
        double dt = ode.Step(f, start, y, start + 0.5 * h);
        Assert.Equal(0.5 * h, dt, 15);
        Assert.True(Math.Abs(y[0] - Exact(start + dt)) < 1e-9 && yEnd != y[0]);
    }

    [Fact]
    public void ReluFlowWithEventsResumesBitIdentically()
    {
        static (Objective<double>, Sequential<double>) Problem()
        {
            var m = Fixtures.Relu(4, 31, 8);
            return (new Objective<double>(m, Fixtures.Separable(20, 4, 32), LossKind.Exponential), m);
        }
        static void Steps(GradientFlow<double> f, Objective<double> o, int from, int to) { for (int t = from; t < to; t++) f.Step(o, default, new StepContext(t, 0, 0)); }
        var (objA, modelA) = Problem();
        var a = Flow(1e-9); a.Initialize(objA); Steps(a, objA, 0, 60);
        Assert.True(a.EventCount > 0, "the test needs pattern changes");
        var (objB, modelB) = Problem();
        var b = Flow(1e-9); b.Initialize(objB); Steps(b, objB, 0, 30);
        var state = new Dictionary<string, double[]>();
        b.SaveState(state);
        var (objC, modelC) = Problem();
        modelC.LoadParameters(modelB.Flat);
        var c = Flow(1e-9); c.LoadState(state); c.Initialize(objC); Steps(c, objC, 30, 60);
        Assert.Equal(modelA.Flat, modelC.Flat);
        Assert.Equal(a.EventCount, c.EventCount);
        Assert.Equal(a.Time, c.Time);
    }

    [Fact]
    public void FinalJsonReportsTheEventCountsOfTheRun()
    {
        string dir = Gradscope.Tests.Training.Trainer.TrainerTestConfigs.TempDir();
        try
        {
            var cfg = Gradscope.Tests.Training.Trainer.TrainerTestConfigs.Tiny("flow", steps: 150);
            var trainer = new Trainer<double>(cfg);
            var result = trainer.Run(new TrainerRunOptions { RunDirectory = dir });
            var flow = Assert.IsType<GradientFlow<double>>(trainer.Algorithm);
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "final.json")))!;
            Assert.True(flow.EventCount > 0, "the tiny ReLU net's flow should change its activation pattern");
            Assert.Equal(flow.EventCount, (long)json["flow_events"]!.GetValue<double>());
            Assert.Equal(flow.FallbackSteps, (long)json["flow_fallback_steps"]!.GetValue<double>());
            Assert.Equal(result.Final["flow_max_step_error"], json["flow_max_step_error"]!.GetValue<double>());
            Assert.InRange(json["flow_max_step_error"]!.GetValue<double>(), 0, 1);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void BadEventSettingsAreRejectedWithTheirNames()
    {
        var e = Assert.Throws<ArgumentException>(() => new GradientFlow<double>(new OdeTolerances(), events: new EventSettings(TimeTolerance: 0)));
        Assert.Contains("event_tol", e.Message);
        e = Assert.Throws<ArgumentException>(() => new GradientFlow<double>(new OdeTolerances(), events: new EventSettings(FallbackMaxDt: -1)));
        Assert.Contains("fallback_max_dt", e.Message);
    }
}
