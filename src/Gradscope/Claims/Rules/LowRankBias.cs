using System.Globalization;

namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// low-rank-bias: a small grid of SGD runs with weight decay on the same data and init, varying one of the batch
/// size B, the step size eta and the weight decay lambda at a time around a baseline (plus a lambda = 0 control).
/// After a fixed number of steps the singular spectrum of one hidden weight matrix gives its numerical rank
/// #{s_i &gt; tol s_1} (checked), effective rank and stable rank (context); Kendall's tau-b gives the trend along each axis.
/// </summary>
public sealed class LowRankBias : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "low-rank-bias";

    private sealed record Point(int B, double Eta, double Lambda, double[] Spectrum, int Rank, double Effective, double Stable, double Acc);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var p = ctx.Parameters;
        int layer = p.Int("rank_layer"), b0 = p.Int("base_batch");
        double tol = p.Double("rank_tolerance");
        var baseCfg = ctx.Config("train", "grid");
        double eta0 = baseCfg.Algorithm.Eta, lambda0 = baseCfg.Algorithm.WeightDecay;
        int[] batches = p.Ints("batch_sizes");
        double[] etas = p.Doubles("etas"), decays = p.Doubles("weight_decays");
        if (!batches.Contains(b0) || !etas.Contains(eta0) || !decays.Contains(lambda0))
            throw new InvalidDataException($"{ctx.Definition.Source}: the baseline (B = {b0}, eta = {eta0}, lambda = {lambda0}) must lie on every axis of the grid.");
        if (decays.Any(d => !(d > 0))) throw new InvalidDataException($"{ctx.Definition.Source}: weight_decays must be > 0 (the lambda = 0 control is added by the rule).");

        var cache = new Dictionary<(int, double, double), Point>();
        Point At(int b, double eta, double lambda)
        {
            if (cache.TryGetValue((b, eta, lambda), out var hit)) return hit;
            string name = string.Create(CultureInfo.InvariantCulture, $"b{b}-eta{eta:G4}-wd{lambda:G4}");
            var cfg = baseCfg with { Algorithm = baseCfg.Algorithm with { Name = "sgd", BatchSize = b, Eta = eta, WeightDecay = lambda } };
            var trainer = new Trainer<double>(cfg);
            ctx.Progress(name);
            var result = ctx.Run(trainer, name);
            var weights = WeightMatrix.Of(trainer.Model);
            if (layer < 0 || layer >= weights.Count) throw new InvalidDataException($"{ctx.Definition.Source}: rank_layer {layer} is not one of the {weights.Count} weight matrices.");
            var w = weights[layer];
            var s = SingularSpectrum.Of(w);
            var point = new Point(b, eta, lambda, s, NumericalRank.FromSpectrum(s, tol), EffectiveRank.FromSpectrum(s),
                StableRank.From(FrobeniusNorm.Of(w), s[0]), result.Final["train_acc"]);
            cache[(b, eta, lambda)] = point;
            return point;
        }

        var byBatch = batches.Select(b => At(b, eta0, lambda0)).ToList();
        var byEta = etas.Select(e => At(b0, e, lambda0)).ToList();
        var byDecay = decays.Select(d => At(b0, eta0, d)).ToList();
        var control = At(b0, eta0, 0);
        var baseline = At(b0, eta0, lambda0);

        outcome.Numbers.Add(ctx.Check("batch_trend", "Kendall tau-b (B, numerical rank)", ClaimMath.KendallTau(byBatch.Select(x => (double)x.B).ToList(), byBatch.Select(x => (double)x.Rank).ToList())));
        outcome.Numbers.Add(ctx.Check("eta_trend", "Kendall tau-b (eta, numerical rank)", ClaimMath.KendallTau(byEta.Select(x => x.Eta).ToList(), byEta.Select(x => (double)x.Rank).ToList())));
        outcome.Numbers.Add(ctx.Check("decay_trend", "Kendall tau-b (lambda, numerical rank), lambda > 0", ClaimMath.KendallTau(byDecay.Select(x => x.Lambda).ToList(), byDecay.Select(x => (double)x.Rank).ToList())));
        outcome.Numbers.Add(ctx.Check("no_decay_control", "numerical rank with lambda = 0 / with the baseline lambda", (double)control.Rank / baseline.Rank));
        foreach (var x in cache.Values.OrderBy(v => v.B).ThenBy(v => v.Eta).ThenBy(v => v.Lambda))
        {
            string label = Label(x);
            outcome.Numbers.Add(Evidence.Info($"{label}: numerical rank (tol {tol:G3})", x.Rank));
            outcome.Numbers.Add(Evidence.Info($"{label}: effective rank", x.Effective));
            outcome.Numbers.Add(Evidence.Info($"{label}: stable rank", x.Stable));
            outcome.Numbers.Add(Evidence.Info($"{label}: training accuracy", x.Acc));
        }
        var w0 = WeightMatrix.Of(new Trainer<double>(baseCfg).Model)[layer];
        outcome.Numbers.Add(Evidence.Info("numerical rank of the same matrix at initialization", NumericalRank.FromSpectrum(SingularSpectrum.Of(w0), tol)));
        outcome.Notes.Add($"Matrix: weight {layer} ({w0.Rows} x {w0.Cols}), the hidden-to-hidden layer (the input layer's rank is also cut by the data's constant pixels, which weight decay removes regardless of B). "
            + $"Baseline B = {b0}, eta = {ClaimContext.Fmt(eta0)}, lambda = {ClaimContext.Fmt(lambda0)}; every run takes {baseCfg.Stop.Steps:N0} SGD steps from the same init "
            + $"(baseline eta lambda T = {ClaimContext.Fmt(eta0 * lambda0 * (baseCfg.Stop.Steps ?? 0))}). Numerical rank = #{{s_i > {tol:G3} s_1}}.");

        outcome.Charts.Add(Charts.Lines("rank-vs-batch", "Rank vs batch size",
            $"Numerical and effective rank of weight {layer} after SGD with weight decay (eta = {ClaimContext.Fmt(eta0)}, lambda = {ClaimContext.Fmt(lambda0)}); the claim predicts the rank rises with B.",
            "batch size B", "rank", RankSeries(byBatch, x => x.B), logX: true));
        outcome.Charts.Add(Charts.Lines("rank-vs-decay", "Rank vs weight decay",
            $"Numerical and effective rank at B = {b0}, eta = {ClaimContext.Fmt(eta0)} for lambda > 0; the lambda = 0 control has numerical rank {control.Rank} (effective {ClaimContext.Fmt(control.Effective)}). The claim predicts the rank falls with lambda.",
            "weight decay lambda", "rank", RankSeries(byDecay, x => x.Lambda), logX: true));
        outcome.Charts.Add(Charts.Lines("rank-vs-eta", "Rank vs step size",
            $"Numerical and effective rank at B = {b0}, lambda = {ClaimContext.Fmt(lambda0)}; the claim predicts the rank falls with eta.",
            "step size eta", "rank", RankSeries(byEta, x => x.Eta), logX: true));
        var spectra = byBatch.Concat(byDecay).Append(control).Distinct()
            .Select(x => new Series(Label(x), Enumerable.Range(1, x.Spectrum.Length).Select(i => (double)i).ToList(), x.Spectrum.Select(v => v / x.Spectrum[0]).ToList())).ToList();
        outcome.Charts.Add(Charts.Lines("spectra", "Singular spectra s_i / s_1",
            $"Normalized singular values of weight {layer} for the batch-size and weight-decay runs and the lambda = 0 control; the tolerance {tol:G3} of the numerical rank is the cut.",
            "index i", "s_i / s_1", spectra, logY: true));
        return outcome;
    }

    private static string Label(Point x) => string.Create(CultureInfo.InvariantCulture, $"B = {x.B}, eta = {x.Eta:G4}, lambda = {x.Lambda:G4}");

    private static List<Series> RankSeries(List<Point> points, Func<Point, double> x) =>
    [
        new Series("numerical rank", points.Select(x).ToList(), points.Select(v => (double)v.Rank).ToList()),
        new Series("effective rank", points.Select(x).ToList(), points.Select(v => v.Effective).ToList()),
    ];
}
