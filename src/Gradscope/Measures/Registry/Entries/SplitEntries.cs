namespace Gradscope.Measures.Registry.Entries;

using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>The test error and the generalization gap (THEORY.md section 5: each bound is reported next to them).</summary>
internal static class SplitEntries
{
    private static string? NoTest(MeasureContext c) => c.Test is null ? "no test set given" : null;

    /// <summary>The net's outputs (n_test, C) on every test sample, computed once per context (the test error and loss share them).</summary>
    public static double[] TestOutputs(MeasureContext c) => c.Memo("test_outputs", () => c.OutputsOf(c.Test!));

    private static double TestError(MeasureContext c) => c.Memo("test_error", () => SampleOutputs.Error(TestOutputs(c), c.Test!.Y));

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("test_error", "err_test", "fraction of test samples misclassified (every test sample)", "5", N.TestSplit, C.Forward,
            NoTest, (c, s) => s.Set("test_error", TestError(c)));
        yield return Of("generalization_gap", "err_test - err_train", "test error minus the training error on the measured samples", "5", N.TestSplit, C.Forward,
            NoTest, (c, s) => s.Set("generalization_gap", TestError(c) - SampleOutputs.Error(c.SampleOutputs.Outputs, c.Sample.Y)));
    }
}
