namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// neural-collapse (Papyan, Han &amp; Donoho 2020; Rangamani &amp; Banburski 2022): bias-free ReLU MLPs of several
/// hidden widths trained by full-batch GD on the square loss with weight decay on a class-balanced set, and the
/// same without weight decay (the control). NC1, NC2 (equinorm, equiangularity), NC3 and NC4 of the penultimate
/// features (<see cref="NeuralCollapse"/>) are probed along training. Every run must spend >= 90% of its steps in
/// the terminal phase (100% training accuracy); there each metric's slope against log10 t must be negative, and
/// at T the continuous metrics must fall with the width.
/// </summary>
public sealed class NeuralCollapseClaim : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "neural-collapse";

    private static readonly (string Key, string Label, string Check)[] Quantities =
    [
        ("nc1", "NC1", "nc1_slope"),
        ("nc2_equinorm", "NC2 equinorm", "nc2_norm_slope"),
        ("nc2_equiangularity", "NC2 equiangularity", "nc2_angle_slope"),
        ("nc3", "NC3", "nc3_slope"),
        ("nc4", "NC4", "nc4_slope"),
    ];

    private static readonly string[] NcKeys = Quantities.Select(q => q.Key).ToArray();

    private sealed record NcRun(int Width, double Lambda, List<double> Steps, Dictionary<string, List<double>> Metrics, double TerminalShare,
        Dictionary<string, double> Slopes, double TrainAcc, double Loss, double? TestAcc);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        int[] widths = ctx.Parameters.Ints("widths").OrderBy(w => w).ToArray();
        var baseCfg = ctx.Config("train", "nc") with { Threads = 1 };
        double lambda = baseCfg.Algorithm.WeightDecay;
        if (!(lambda > 0)) throw new InvalidDataException($"{ctx.Definition.Source}: the claim needs weight decay > 0, got {lambda}.");
        var probe = new Trainer<double>(baseCfg).Train;
        var counts = Enumerable.Range(0, probe.Classes).Select(k => probe.Y.Count(y => y == k)).ToArray();
        outcome.Hypotheses.Add(ctx.Hypothesis("balanced", (double)counts.Min() / counts.Max()));

        var jobs = widths.Select(w => (w, lambda)).Concat(widths.Select(w => (w, 0.0))).OrderByDescending(j => j.w).ToList();
        var runs = jobs.Zip(ParallelRuns.Map(ctx, jobs, j => Train(ctx, baseCfg, j.w, j.Item2))).ToDictionary(x => x.First, x => x.Second);
        var decay = widths.Select(w => runs[(w, lambda)]).ToList();
        var control = widths.Select(w => runs[(w, 0.0)]).ToList();
        outcome.Hypotheses.Add(ctx.Hypothesis("terminal_phase", runs.Values.Min(r => r.TerminalShare)));
        if (outcome.Hypotheses.Any(h => !h.Holds)) { Context(outcome, ctx, decay, control, lambda, probe.N); return outcome; }

        var checks = Checks(ctx, decay);
        outcome.Numbers.AddRange(checks);
        outcome.Controls.Add(ctx.Control("no-weight-decay", Checks(ctx, control).ToArray()));
        Context(outcome, ctx, decay, control, lambda, probe.N);
        return outcome;
    }

    private static List<Evidence> Checks(ClaimContext ctx, List<NcRun> runs)
    {
        var list = Quantities.Select(q => ctx.Check(q.Check, runs.Max(r => r.Slopes[q.Key]))).ToList();
        var w = runs.Select(r => (double)r.Width).ToList();
        double worstTau = Quantities.Take(4).Max(q => ClaimMath.KendallTau(w, runs.Select(r => r.Metrics[q.Key][^1]).ToList()));
        list.Add(ctx.Check("width_sweep", worstTau));
        return list;
    }

    private static NcRun Train(ClaimContext ctx, TrainConfig baseCfg, int width, double lambda)
    {
        var cfg = ConfigVariants.WithHiddenWidth(baseCfg, width) with { Algorithm = baseCfg.Algorithm with { WeightDecay = lambda } };
        string name = $"w{width}-{(lambda > 0 ? "wd" : "no-wd")}";
        var trainer = new Trainer<double>(cfg);
        var data = trainer.Train;
        trainer.Probes.Add(new FuncProbe<double>(Quantities.Select(q => q.Key).ToArray(), (c, row) =>
        {
            // NC1..NC4 from the registry (penultimate features: the input of the last weight layer; NaN where it omits one)
            var v = ClaimMeasures.Values(ClaimMeasures.Context(c.Model, data, ClaimMeasures.Options with { NeuralCollapse = true }), NcKeys);
            foreach (var k in NcKeys) row.Set(k, v[k]);
        }));
        ctx.Progress(name);
        var result = ctx.Run(trainer, name);
        var (steps, error) = Rows.Series(result.Rows, "train_error");
        // the terminal phase starts at the first probe from which every later probe has 100% training accuracy
        int start = LogTimeFits.TerminalPhaseStart(error);
        double share = start < steps.Count ? (result.Steps - steps[start]) / result.Steps : 0;
        var metrics = new Dictionary<string, List<double>>();
        var slopes = new Dictionary<string, double>();
        foreach (var (key, _, _) in Quantities)
        {
            var (s, v) = Rows.Series(result.Rows, key);
            metrics[key] = v;
            slopes[key] = start < steps.Count ? LogTimeFits.SlopeAgainstLogTime(s, v, steps[start]) : double.NaN;
        }
        return new NcRun(width, lambda, steps, metrics, share, slopes, result.TrainAccuracy, result.Final["train_loss"], result.TestAccuracy);
    }

    private static void Context(ClaimOutcome outcome, ClaimContext ctx, List<NcRun> decay, List<NcRun> control, double lambda, int n)
    {
        foreach (var r in decay.Concat(control))
        {
            string label = $"width {r.Width}, {(r.Lambda > 0 ? $"lambda = {ClaimContext.Fmt(r.Lambda)}" : "no weight decay")}";
            outcome.Numbers.Add(Evidence.Info($"{label}: share of the run in the terminal phase", r.TerminalShare));
            foreach (var (key, q, _) in Quantities)
            {
                outcome.Numbers.Add(Evidence.Info($"{label}: {q} at T", r.Metrics[key][^1]) with { Key = key });
                outcome.Numbers.Add(Evidence.Info($"{label}: slope of {q} against log10 t over the terminal phase", r.Slopes[key]));
            }
            outcome.Numbers.Add(Evidence.Info($"{label}: square loss at T", r.Loss));
            if (r.TestAcc is { } t) outcome.Numbers.Add(Evidence.Info($"{label}: test accuracy at T", t));
        }
        var cfg = ctx.Config("train", "nc");
        outcome.Notes.Add($"{n} training points (balanced); full-batch GD, eta = {ClaimContext.Fmt(cfg.Algorithm.Eta)}, {cfg.Stop.Steps:N0} steps, weight decay lambda = {ClaimContext.Fmt(lambda)} "
            + $"(eta lambda T = {ClaimContext.Fmt(cfg.Algorithm.Eta * lambda * (cfg.Stop.Steps ?? 0))}) and 0 for the control; hidden widths {string.Join(", ", decay.Select(r => r.Width))}. Features: the input of the last layer.");
        foreach (var (key, q, _) in Quantities)
        {
            var series = decay.Concat(control).Select(r => new Series($"w = {r.Width}{(r.Lambda > 0 ? "" : ", no wd")}",
                r.Steps.Skip(1).ToList(), r.Metrics[key].Skip(1).ToList())).ToList();
            outcome.Charts.Add(Charts.Lines(key, $"{q} along training",
                $"{q} of the penultimate features against log t, with weight decay (the claim: falling through the terminal phase, lower for wider nets) and without (the control).",
                "step t", q, series, logX: true, logY: key != "nc4"));
        }
    }
}
