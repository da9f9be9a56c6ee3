using Gradscope.Report;

namespace Gradscope.Tests.Report;

/// <summary>A synthetic run with every verdict and every chart kind, and text that needs escaping.</summary>
internal static class SampleRun
{
    public const string Hostile = "<script>alert('x')</script> & \"quotes\" </script><!--";

    public static RunSummary Create()
    {
        var t = Enumerable.Range(0, 60).Select(i => Math.Pow(10, i / 10.0)).ToArray();   // 1 .. 10^5.9
        var angle = t.Select(s => 1 / Math.Log(s + Math.E)).ToArray();
        var margins = Enumerable.Range(0, 300).Select(i => Math.Sin(i) * 0.1 + 0.5).ToArray();
        var random = Enumerable.Range(0, 300).Select(i => Math.Cos(i * 1.3) * 0.05 + 0.05).ToArray();

        var maxMargin = new ClaimResult
        {
            Id = "linear-max-margin",
            Statement = "GD on logistic/exponential loss, separable data: w(t)/||w(t)|| -> hard-margin SVM direction, angle ~ 1/log t.",
            Paper = "0, 2",
            Verdict = Verdict.Reproduced,
            WallSeconds = 12.34,
            Numbers =
            [
                Evidence.Check("angle(w(T), w_svm) [rad]", 0.0123, "<=", 0.05, "the direction converges to the SVM direction"),
                Evidence.Check("slope of angle vs 1/log t", 1.02, ">", 0.5, "the rate is 1/log t, not faster"),
                Evidence.Info("steps T", 1e6),
            ],
            Charts =
            [
                Charts.Line("angle", "Angle to the SVM direction", "angle(w(t), w_svm) against t, log-time axis.",
                    "step t", "angle [rad]", t, angle, logX: true),
                Charts.Lines("losses", "Loss and margin", "Two series on log-log axes; NaN and zero values are skipped.",
                    "step t", "value", [
                        new Series("L(t)", t, t.Select(s => 1 / s).ToArray()),
                        new Series("gamma(t)", t, t.Select((s, i) => i == 3 ? double.NaN : i == 4 ? 0 : 1 - 1 / (1 + s)).ToArray()),
                    ], logX: true, logY: true),
            ],
            Notes = "n = 100, d = 20.\nSecond line of notes.",
        };
        var randomLabels = new ClaimResult
        {
            Id = "random-labels",
            Statement = "Normalized margin distributions separate true from random labels.",
            Paper = "2",
            Verdict = Verdict.NotReproduced,
            WallSeconds = 75.5,
            Numbers =
            [
                Evidence.Check("KS distance of normalized margins", 0.21, ">=", 0.5, "the distributions must separate"),
                Evidence.Check("training error (random labels)", 0, "=", 0, "nets fit random labels"),
            ],
            Charts =
            [
                Charts.Ecdf("margins", "Normalized margins", "Empirical CDFs of normalized margins, true vs random labels.",
                    "normalized margin", [new Sample("true labels", margins), new Sample("random labels", random)]),
            ],
        };
        var bound = new ClaimResult
        {
            Id = "bound-tracks-error",
            Statement = "Spectral complexity / margin orders test error " + Hostile,
            Paper = "2 " + Hostile,
            Verdict = Verdict.Reproduced,
            WallSeconds = 200,
            Numbers = [Evidence.Check("Spearman rank correlation " + Hostile, 0.93, ">=", 0.8, "bound orders error " + Hostile)],
            Charts =
            [
                Charts.Scatter("bound-vs-error", "Bound vs test error " + Hostile, "Caption " + Hostile,
                    "test error", "normalized bound",
                    [.. Enumerable.Range(0, 6).Select(i => new Point(0.05 + 0.1 * i, 0.1 + 0.12 * i, i < 3 ? "low noise" : "high noise", $"noise {i * 0.2:0.0}"))],
                    ReferenceLine.Identity),
                Charts.Bars("spectrum", "Singular spectra", "Singular values of each layer, log axis.",
                    "index i", "sigma_i",
                    [.. Enumerable.Range(1, 12).SelectMany(i => new[]
                    {
                        new Bar(i.ToString(), 10 * Math.Pow(0.5, i), "W_1"),
                        new Bar(i.ToString(), 5 * Math.Pow(0.6, i), "W_2"),
                    })], logY: true),
            ],
        };
        var broken = new ClaimResult
        {
            Id = "conv-bound",
            Statement = "The kernel-norm bound of a conv net is orders of magnitude below its dense-equivalent bound.",
            Paper = "4",
            Verdict = Verdict.Error,
            Error = "InvalidOperationException: loss diverged at step 17 (L = NaN)\n   at Gradscope.Claims.ConvBound.Run()",
            WallSeconds = 0.42,
        };
        return new RunSummary
        {
            ToolVersion = "0.1.0-test",
            Started = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero),
            Finished = new DateTimeOffset(2026, 11, 23, 9, 4, 48, TimeSpan.Zero),
            Scale = RunScale.Quick,
            Seed = 42,
            Threads = 2,
            Machine = "test machine, 2 cores, Linux",
            WallSeconds = 288,
            Claims = [maxMargin, randomLabels, bound, broken],
        };
    }
}
