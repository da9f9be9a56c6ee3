namespace Gradscope.Claims.Rules;

using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// boosting-margin: gamma_bar, the maximum l1 margin of convex combinations of stumps, is computed with
/// certificates (<see cref="StumpMaxMargin"/>); AdaBoost then runs T = ceil(8 ln n / gamma_bar^2) rounds and its
/// l1 margin min_i y_i f(x_i) / ||a||_1 at round T is compared with gamma_bar/4 (Telgarsky 2013).
/// </summary>
public sealed class BoostingMargin : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "boosting-margin";

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var outcome = new ClaimOutcome();
        var data = ClaimData.Load(ctx, "dataset");
        int maxRounds = ctx.Parameters.Int("max_rounds");
        ctx.Progress($"gamma_bar on {data.Name} ({data.N} samples, {data.D} features)");
        var gb = StumpMaxMargin.Of(data, progress: ctx.Progress);
        double gammaBar = gb.Value;
        outcome.Numbers.Add(ctx.Check("gamma_bar_certified", "(upper - lower) / upper certificate gap of gamma_bar", (gb.Upper - gb.Lower) / gb.Upper));
        if (!(gammaBar > 0))
        {
            outcome.Numbers.Add(ctx.Check("margin_at_bound", "gamma_bar <= 0: no stump combination separates the data, so the claim has no regime here", 0));
            outcome.Notes.Add($"gamma_bar = {ClaimContext.Fmt(gammaBar)} on {data.Name}: the data are not separable by stump combinations.");
            return outcome;
        }
        double bound = 8 * Math.Log(data.N) / (gammaBar * gammaBar);
        int rounds = (int)Math.Ceiling(bound);
        if (rounds > maxRounds)
            throw new InvalidDataException($"{ctx.Definition.Source}: the round bound 8 ln n / gamma_bar^2 = {bound:G4} exceeds max_rounds = {maxRounds}; choose data with a larger gamma_bar.");
        var boost = new AdaBoost(data);
        var xs = new List<double>(); var margins = new List<double>();
        int firstReach = -1;
        for (int t = 1; t <= rounds; t++)
        {
            var r = boost.Round();
            if (firstReach < 0 && r.Margin >= gammaBar / 4) firstReach = t;
            if (t <= 10 || t == rounds || IsLogSpaced(t)) { xs.Add(t); margins.Add(r.Margin); }
            if (t % 1000 == 0) ctx.Progress($"AdaBoost: round {t:N0}/{rounds:N0}");
        }
        double atBound = boost.Rounds[^1].Margin;
        double best = boost.Rounds.Max(r => r.Margin);
        outcome.Numbers.Add(ctx.Check("margin_at_bound", "l1 margin at round ceil(8 ln n / gamma_bar^2) divided by gamma_bar/4", atBound / (gammaBar / 4)));
        outcome.Numbers.Add(ctx.Check("never_above_max", "largest l1 margin over all rounds divided by gamma_bar", best / gammaBar));
        outcome.Numbers.Add(Evidence.Info("gamma_bar (maximum l1 margin of stump combinations)", gammaBar));
        outcome.Numbers.Add(Evidence.Info("n (training samples)", data.N));
        outcome.Numbers.Add(Evidence.Info("round bound 8 ln n / gamma_bar^2", bound));
        outcome.Numbers.Add(Evidence.Info("l1 margin at the round bound", atBound));
        outcome.Numbers.Add(Evidence.Info("first round with l1 margin >= gamma_bar/4", firstReach));
        outcome.Numbers.Add(Evidence.Info("training error at the round bound", boost.Rounds[^1].TrainingError));
        outcome.Numbers.Add(Evidence.Info("stumps in the max-margin combination", gb.Weights.Count(w => w > 0)));
        var series = new List<Series>
        {
            new("AdaBoost l1 margin", xs, margins),
            new("gamma_bar / 4", [1.0, rounds], [gammaBar / 4, gammaBar / 4]),
            new("gamma_bar", [1.0, rounds], [gammaBar, gammaBar]),
            new("round bound 8 ln n / gamma_bar^2", [bound, bound], [Math.Min(0, margins.Min()), gammaBar]),
        };
        outcome.Charts.Add(Charts.Lines("margin", "AdaBoost l1 margin vs round",
            $"min_i y_i f(x_i) / ||a||_1 on {data.Name}; the claim predicts it is above gamma_bar/4 by the round bound (vertical line) and never above gamma_bar.",
            "round t", "l1 margin", series, logX: true));
        outcome.Notes.Add($"Data: {data.Name}, n = {data.N}, d = {data.D}. gamma_bar = {ClaimContext.Fmt(gammaBar)} in [{ClaimContext.Fmt(gb.Lower)}, {ClaimContext.Fmt(gb.Upper)}] by column generation over exact best stumps (linear program on the restricted sample-vs-stump game).");
        outcome.Notes.Add("AdaBoost's stumps: every feature, thresholds midway between distinct values, both signs, and the constant stump; the same stump class defines gamma_bar.");
        return outcome;
    }

    // Probe rounds at 20 per decade.
    private static bool IsLogSpaced(int t)
    {
        double k = Math.Round(20 * Math.Log10(t));
        return t == (int)Math.Round(Math.Pow(10, k / 20));
    }
}
