namespace Gradscope.Measures.Registry.Entries;

using Gradscope.Losses;
using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// The empirical risk L = (1/n) sum_i l_i and log L of THEORY.md section 2 on the measured training samples and on the
/// test split, for the loss named in <see cref="MeasureOptions.Loss"/> (a run's own loss for <c>measure --run</c> and the
/// training probes; <c>measure --loss</c> otherwise). log L is computed by log-sum-exp over log l_i, never as the log of L,
/// so it stays finite where an exponential-type L underflows. Both come from <see cref="Loss.Risk"/>, the arithmetic of the
/// training loss node.
/// </summary>
internal static class LossEntries
{
    private const string Kinds = "exponential, logistic, cross_entropy, square (t = target_scale onehot(y)) or hinge";

    private static string? NoLoss(MeasureContext c) => c.Options.Loss is null
        ? "no loss named (MeasureOptions.Loss; measure --loss exponential|logistic|cross_entropy|square|hinge, or --run for the run's own loss)" : null;

    private static string? NoTest(MeasureContext c) => NoLoss(c) ?? (c.Test is null ? "no test set given" : null);

    private static (double L, double LogL) Train(MeasureContext c) =>
        c.Memo("train_risk", () => Loss.Risk(c.Options.Loss!.Value, c.SampleOutputs.Outputs, c.Sample.Y, c.Options.TargetScale));

    private static (double L, double LogL) Test(MeasureContext c) =>
        c.Memo("test_risk", () => Loss.Risk(c.Options.Loss!.Value, SplitEntries.TestOutputs(c), c.Test!.Y, c.Options.TargetScale));

    /// <summary>The loss kind the values are of, as configs spell it, for a formula or a note ("cross_entropy").</summary>
    public static string? KindOf(MeasureContext c) => c.Options.Loss is { } k ? Loss.Name(k) : null;

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("train_loss", "L", $"(1/n) sum_i l_i over the measured training samples; l the loss named in the options: {Kinds}", "2", N.Loss, C.Forward,
            NoLoss, (c, s) => s.Set("train_loss", Train(c).L));
        yield return Of("train_log_loss", "log L", "log of train_loss by log-sum-exp over log l_i (finite where L underflows)", "2", N.Loss, C.Forward,
            NoLoss, (c, s) => s.Set("train_log_loss", Train(c).LogL));
        yield return Of("test_loss", "L_test", $"(1/n_test) sum_i l_i over every test sample; l the loss named in the options: {Kinds}", "2", N.Loss | N.TestSplit, C.Forward,
            NoTest, (c, s) => s.Set("test_loss", Test(c).L));
        yield return Of("test_log_loss", "log L_test", "log of test_loss by log-sum-exp over log l_i", "2", N.Loss | N.TestSplit, C.Forward,
            NoTest, (c, s) => s.Set("test_log_loss", Test(c).LogL));
    }
}
