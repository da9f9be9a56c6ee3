using System.Globalization;

namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// low-rank-bias (Galanti et al. 2023; Xu et al. 2023): SGD with a small batch and full-batch GD, both with weight
/// decay, at several (eta, lambda) points from the same init, each run for T = K / (eta lambda) steps; plus larger
/// batches at the base point and a lambda = 0 control. The numerical rank #{s_i &gt; tol s_1} of one hidden weight
/// matrix (checked), its effective and stable rank (context) are compared: small-batch SGD must end lower rank than
/// GD, the rank must rise with B and fall with eta and lambda, and without decay SGD must not beat GD.
/// </summary>
public sealed class LowRankBias : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "low-rank-bias";

    private sealed record Point(int B, double Eta, double Lambda, long Steps, double[] Spectrum, int Rank, double Effective, double Stable, double Acc, double? TestAcc);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var p = ctx.Parameters;
        int layer = p.Int("rank_layer"), small = p.Int("small_batch");
        double tol = p.Double("rank_tolerance"), k = p.Double("eta_lambda_T");
        int[] batches = p.Ints("batch_sizes");
        double[] etas = p.Doubles("point_etas"), decays = p.Doubles("point_decays");
        var baseCfg = ctx.Config("train", "grid") with { Threads = 1 };
        if (etas.Length != decays.Length || etas.Length < 3 || decays.Any(d => !(d > 0)) || !batches.Contains(small))
            throw new InvalidDataException($"{ctx.Definition.Source}: point_etas and point_decays must pair >= 3 points (base, larger eta, larger lambda) with lambda > 0, and batch_sizes must include small_batch {small}.");
        double eta0 = etas[0], lambda0 = decays[0];
        long baseSteps = (long)Math.Ceiling(k / (eta0 * lambda0));
        var init = new Trainer<double>(baseCfg);
        int n = init.Train.N;
        var w0 = WeightMatrix.Of(init.Model);
        if (layer < 0 || layer >= w0.Count) throw new InvalidDataException($"{ctx.Definition.Source}: rank_layer {layer} is not one of the {w0.Count} weight matrices.");
        // the numerical and stable ranks of the hidden-to-hidden matrix come from the registry (layer.{k}.numerical_rank with the
        // claim's tolerance: the Gram route, a full SVD where the rank is undecided; layer.{k}.stable_rank)
        var rankOptions = ClaimMeasures.Options with { FullSvd = true, NumericalRankTolerance = tol };
        string key = $"layer.{layer.ToString(CultureInfo.InvariantCulture)}.";
        int initRank = (int)ClaimMeasures.Values(ClaimMeasures.Context(init.Model, init.Train, rankOptions), key + "numerical_rank")[key + "numerical_rank"];

        // (B, eta, lambda); B = 0 is full-batch GD
        var jobs = new List<(int B, double Eta, double Lambda)>();
        for (int i = 0; i < etas.Length; i++) { jobs.Add((small, etas[i], decays[i])); jobs.Add((0, etas[i], decays[i])); }
        foreach (int b in batches.Where(b => b != small)) jobs.Add((b, eta0, lambda0));
        jobs.Add((small, eta0, 0)); jobs.Add((0, eta0, 0));
        jobs = jobs.Distinct().OrderByDescending(j => j.Lambda > 0 ? 1 / (j.Eta * j.Lambda) : 1 / (eta0 * lambda0)).ToList();
        var results = ParallelRuns.Map(ctx, jobs, j =>
        {
            long steps = j.Lambda > 0 ? (long)Math.Ceiling(k / (j.Eta * j.Lambda)) : baseSteps;
            string name = string.Create(CultureInfo.InvariantCulture, $"{(j.B == 0 ? "gd" : $"b{j.B}")}-eta{j.Eta:G4}-wd{j.Lambda:G4}");
            var cfg = baseCfg with
            {
                Algorithm = baseCfg.Algorithm with { Name = j.B == 0 ? "gd" : "sgd", BatchSize = j.B, Eta = j.Eta, WeightDecay = j.Lambda },
                Stop = baseCfg.Stop with { Steps = steps },
            };
            var trainer = new Trainer<double>(cfg);
            ctx.Progress(name);
            var result = ctx.Run(trainer, name);
            var ranks = ClaimMeasures.Values(ClaimMeasures.Context(trainer.Model, trainer.Train, rankOptions), key + "numerical_rank", key + "stable_rank");
            // the singular values (the spectrum measure --spectra writes) for the figure and the effective rank.
            // NOTE: the effective rank is the registry's formula (EffectiveRank.FromSpectrum) on the full SVD spectrum, not the
            // registry's Gram-route spectrum: weight decay drives singular values below that route's noise floor
            // (~sqrt(eps) ||W||_F), where it counts them as 0 and exp(H(p)) moves by up to ~1e-6 relative.
            var s = SingularSpectrum.Of(WeightMatrix.Of(trainer.Model)[layer]);
            return new Point(j.B == 0 ? n : j.B, j.Eta, j.Lambda, steps, s, (int)ranks[key + "numerical_rank"], EffectiveRank.FromSpectrum(s),
                ranks[key + "stable_rank"], result.TrainAccuracy, result.TestAccuracy);
        });
        var at = jobs.Zip(results).ToDictionary(x => x.First, x => x.Second);
        var decayRuns = at.Where(x => x.Key.Lambda > 0).Select(x => x.Value).ToList();
        outcome.Hypotheses.Add(ctx.Hypothesis("eta_lambda_T", decayRuns.Min(r => r.Eta * r.Lambda * r.Steps)));
        outcome.Hypotheses.Add(ctx.Hypothesis("fits", decayRuns.Min(r => r.Acc)));
        if (outcome.Hypotheses.All(h => h.Holds))
        {
            double worst = Enumerable.Range(0, etas.Length).Max(i => Ratio(at[(small, etas[i], decays[i])], at[(0, etas[i], decays[i])]));
            outcome.Numbers.Add(ctx.Check("sgd_vs_gd", worst));
            var byBatch = batches.OrderBy(b => b).Select(b => at[(b, eta0, lambda0)]).Append(at[(0, eta0, lambda0)]).ToList();
            outcome.Numbers.Add(ctx.Check("batch_trend", ClaimMath.KendallTau(byBatch.Select(x => (double)x.B).ToList(), byBatch.Select(x => (double)x.Rank).ToList())));
            var byEta = Enumerable.Range(0, etas.Length).Where(i => decays[i] == lambda0).Select(i => at[(small, etas[i], decays[i])]).ToList();
            outcome.Numbers.Add(ctx.Check("eta_trend", ClaimMath.KendallTau(byEta.Select(x => x.Eta).ToList(), byEta.Select(x => (double)x.Rank).ToList())));
            var byDecay = Enumerable.Range(0, etas.Length).Where(i => etas[i] == eta0).Select(i => at[(small, etas[i], decays[i])]).ToList();
            outcome.Numbers.Add(ctx.Check("decay_trend", ClaimMath.KendallTau(byDecay.Select(x => x.Lambda).ToList(), byDecay.Select(x => (double)x.Rank).ToList())));
            outcome.Controls.Add(ctx.Control("no-weight-decay", ctx.Check("sgd_vs_gd", Ratio(at[(small, eta0, 0)], at[(0, eta0, 0)]))));
        }
        foreach (var x in at.Values.OrderBy(v => v.Lambda).ThenBy(v => v.Eta).ThenBy(v => v.B))
        {
            string label = Label(x, n);
            outcome.Numbers.Add(Evidence.Info($"{label}: numerical rank (tol {tol:G3})", x.Rank));
            outcome.Numbers.Add(Evidence.Info($"{label}: effective rank", x.Effective) with { Key = $"layer.{layer}.effective_rank" });
            outcome.Numbers.Add(Evidence.Info($"{label}: stable rank", x.Stable) with { Key = $"layer.{layer}.stable_rank" });
            outcome.Numbers.Add(Evidence.Info($"{label}: training accuracy", x.Acc));
            if (x.TestAcc is { } t) outcome.Numbers.Add(Evidence.Info($"{label}: test accuracy", t));
        }
        outcome.Numbers.Add(Evidence.Info("numerical rank of the same matrix at initialization", initRank));
        outcome.Numbers.Add(Evidence.Info("lambda = 0 control, SGD: numerical rank / rank at initialization (expected >= 0.9)", (double)at[(small, eta0, 0)].Rank / initRank));
        outcome.Notes.Add($"Matrix: weight {layer} ({w0[layer].Rows} x {w0[layer].Cols}); {n} training points; every weight-decay run takes T = {ClaimContext.Fmt(k)} / (eta lambda) steps "
            + $"({baseSteps:N0} at the base eta = {ClaimContext.Fmt(eta0)}, lambda = {ClaimContext.Fmt(lambda0)}; the lambda = 0 control as many). Numerical rank = #{{s_i > {tol:G3} s_1}}.");

        var spectra = at.Values.Where(x => (x.Eta == eta0 && x.Lambda == lambda0) || x.Lambda == 0).OrderBy(x => x.Lambda).ThenBy(x => x.B)
            .Select(x => new Series(Label(x, n), Enumerable.Range(1, x.Spectrum.Length).Select(i => (double)i).ToList(), x.Spectrum.Select(v => v / x.Spectrum[0]).ToList())).ToList();
        outcome.Charts.Add(Charts.Lines("spectra", "Singular spectra s_i / s_1",
            $"Normalized singular values of weight {layer} at the base (eta, lambda) for every batch size and GD, and for the lambda = 0 control; the tolerance {tol:G3} of the numerical rank is the cut. "
            + "The claim predicts small-batch SGD with decay cut lowest, and no cut without decay.",
            "index i", "s_i / s_1", spectra, logY: true));
        var pointsSeries = new List<Series>
        {
            new($"SGD B = {small}", Enumerable.Range(0, etas.Length).Select(i => (double)i).ToList(), Enumerable.Range(0, etas.Length).Select(i => (double)at[(small, etas[i], decays[i])].Rank).ToList()),
            new("GD", Enumerable.Range(0, etas.Length).Select(i => (double)i).ToList(), Enumerable.Range(0, etas.Length).Select(i => (double)at[(0, etas[i], decays[i])].Rank).ToList()),
        };
        outcome.Charts.Add(Charts.Lines("sgd-vs-gd", "Numerical rank: small-batch SGD vs GD at each (eta, lambda)",
            "Points: " + string.Join("; ", Enumerable.Range(0, etas.Length).Select(i => $"{i} = (eta {ClaimContext.Fmt(etas[i])}, lambda {ClaimContext.Fmt(decays[i])})")) + ". The claim predicts SGD below GD at every point.",
            "(eta, lambda) point", "numerical rank", pointsSeries));
        return outcome;
    }

    private static double Ratio(Point sgd, Point gd) => (double)sgd.Rank / gd.Rank;

    private static string Label(Point x, int n) => string.Create(CultureInfo.InvariantCulture,
        $"{(x.B == n ? "GD" : $"SGD B = {x.B}")}, eta = {x.Eta:G4}, lambda = {x.Lambda:G4}");
}
