using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Algorithms;

public class ResumeTests
{
    public static TheoryData<string> Names => ["armijo_gd", "flow", "loss_scaled_flow", "weight_norm", "weight_norm_per_unit", "lagrange_norm", "lagrange_norm_global", "nmgd", "halpern"];

    private static Algorithm<double> Create(string name) => name switch
    {
        "armijo_gd" => new ArmijoGd<double>(2.0),
        "flow" => new GradientFlow<double>(new OdeTolerances(1e-7, 1e-7)),
        "loss_scaled_flow" => new GradientFlow<double>(new OdeTolerances(1e-7, 1e-7), lossScaled: true),
        "weight_norm" => new WeightNormalization<double>(),
        "weight_norm_per_unit" => new WeightNormalization<double>(WeightNormMode.PerUnit),
        "lagrange_norm" => new LagrangeNormalization<double>(),
        "lagrange_norm_global" => new LagrangeNormalization<double>(global: true),
        "nmgd" => new Nmgd<double>(),
        "halpern" => new Halpern<double>(Enumerable.Range(0, 4 * 6 + 6).Select(i => 0.01 * i).ToArray(), new HalpernSchedule(0.5, 3, 0.7)),
        _ => throw new ArgumentException(name),
    };

    private static Objective<double> Problem(out Sequential<double> model)
    {
        var data = Fixtures.Clusters(16, 4, 81);
        model = Fixtures.ClusterNet(4, 6, 82);
        return new Objective<double>(model, data, LossKind.Exponential);
    }

    private static void Steps(Algorithm<double> alg, Objective<double> obj, int from, int to)
    {
        for (int t = from; t < to; t++) alg.Step(obj, default, new StepContext(t, 0.05, 1e-3));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void SaveAndLoadResumeBitIdentically(string name)
    {
        var objA = Problem(out var modelA);
        var a = Create(name);
        Assert.Equal(name, a.Name);
        a.Initialize(objA);
        Steps(a, objA, 0, 20);

        var objB = Problem(out var modelB);
        var b = Create(name);
        b.Initialize(objB);
        Steps(b, objB, 0, 10);
        var state = new Dictionary<string, double[]>();
        b.SaveState(state);
        var flat = (double[])modelB.Flat.Clone();

        // A fresh process: new model and algorithm, parameters and state restored, then the trainer's order LoadState -> Initialize.
        var objC = Problem(out var modelC);
        modelC.LoadParameters(flat);
        var c = Create(name);
        c.LoadState(state);
        c.Initialize(objC);
        Steps(c, objC, 10, 20);
        Assert.Equal(modelA.Flat, modelC.Flat);   // exact equality of doubles

        var stateA = new Dictionary<string, double[]>(); a.SaveState(stateA);
        var stateC = new Dictionary<string, double[]>(); c.SaveState(stateC);
        Assert.Equal(stateA.Keys.Order(), stateC.Keys.Order());
        foreach (var k in stateA.Keys) Assert.Equal(stateA[k], stateC[k]);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void LoadStateNamesAMissingEntry(string name)
    {
        var obj = Problem(out _);
        var a = Create(name);
        a.Initialize(obj);
        Steps(a, obj, 0, 2);
        var state = new Dictionary<string, double[]>();
        a.SaveState(state);
        var key = state.Keys.First();
        state.Remove(key);
        var b = Create(name);
        b.Initialize(obj);
        Assert.Contains(key, Assert.Throws<ArgumentException>(() => b.LoadState(state)).Message);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void StepsAllocateNothingInSteadyState(string name)
    {
        var obj = Problem(out _);
        var a = Create(name);
        a.Initialize(obj);
        Steps(a, obj, 0, 5);
        // Baseline: whatever one Objective.Evaluate allocates itself (the algorithm must add nothing).
        for (int i = 0; i < 3; i++) obj.Evaluate(default);
        long b0 = GC.GetAllocatedBytesForCurrentThread();
        obj.Evaluate(default);
        long perEvaluation = GC.GetAllocatedBytesForCurrentThread() - b0;
        long evals = obj.Evaluations;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Steps(a, obj, 5, 25);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        evals = obj.Evaluations - evals;
        Assert.True(allocated <= perEvaluation * evals, $"{name}: {allocated} bytes allocated in 20 steps with {evals} evaluations of {perEvaluation} bytes each");
    }
}
