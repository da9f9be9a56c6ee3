namespace Gradscope.Claims.Rules;

using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

/// <summary>
/// boosting-margin: gamma_bar, the maximum l1 margin of convex combinations of stumps, is computed with certificates
/// (<see cref="StumpMaxMargin"/>); AdaBoost then runs asymptotic_factor x ceil(8 ln n / gamma_bar^2) rounds. Its l1 margin
/// min_i y_i f(x_i) / ||a||_1 at the round bound is compared with gamma_bar/4 (Telgarsky 2013) and at the end with
/// gamma_bar/2 (Ratsch &amp; Warmuth 2005). The control boosts the same features with random labels for the same rounds,
/// judged against the real data's gamma_bar.
/// </summary>
public sealed class BoostingMargin : IClaimRule
{
    /// <inheritdoc/>
    public string Id => "boosting-margin";

    private sealed record Boosted(List<double> Rounds, List<double> Margins, double AtBound, double FirstReach, double AtHorizon, double Best, double ErrorAtBound);

    /// <inheritdoc/>
    public ClaimOutcome Run(ClaimContext ctx)
    {
        var o = new ClaimOutcome();
        var data = ClaimData.Load(ctx, "dataset");
        int maxRounds = ctx.Parameters.Int("max_rounds");
        int factor = ctx.Parameters.Int("asymptotic_factor");
        ctx.Progress($"gamma_bar on {data.Name} ({data.N} samples, {data.D} features)");
        var gb = StumpMaxMargin.Of(data, progress: ctx.Progress);
        double gammaBar = gb.Value;
        double bound = 8 * Math.Log(data.N) / (gammaBar * gammaBar);
        int rounds = gammaBar > 0 ? (int)Math.Min(int.MaxValue / 2, Math.Ceiling(bound)) : int.MaxValue / 2;
        long horizon = (long)factor * rounds;
        o.Hypotheses.Add(ctx.Hypothesis("gamma_bar_certified", (gb.Upper - gb.Lower) / gb.Upper));
        o.Hypotheses.Add(ctx.Hypothesis("stump_separable", gammaBar));
        o.Hypotheses.Add(ctx.Hypothesis("rounds_reachable", gammaBar > 0 ? (double)horizon / maxRounds : double.PositiveInfinity));
        o.Numbers.Add(Evidence.Info("gamma_bar (maximum l1 margin of stump combinations)", gammaBar));
        if (o.Hypotheses.Any(h => !h.Holds)) return o;

        var real = Boost(ctx, data, gammaBar, rounds, (int)horizon, bound, "AdaBoost");
        o.Numbers.Add(ctx.Check("margin_at_bound", real.AtBound / (gammaBar / 4)));
        o.Numbers.Add(ctx.Check("first_reach", real.FirstReach / bound));
        o.Numbers.Add(ctx.Check("asymptotic_margin", real.AtHorizon / (gammaBar / 2)));

        var shuffled = Transforms.RandomLabels(data, ctx.SeedFor("random-labels"));
        var random = Boost(ctx, shuffled, gammaBar, rounds, (int)horizon, bound, "random labels");
        o.Controls.Add(ctx.Control("random-labels", ctx.Check("margin_at_bound", random.AtBound / (gammaBar / 4)),
            ctx.Check("first_reach", random.FirstReach / bound), ctx.Check("asymptotic_margin", random.AtHorizon / (gammaBar / 2))));

        o.Numbers.Add(Evidence.Info("n (training samples)", data.N));
        o.Numbers.Add(Evidence.Info("round bound 8 ln n / gamma_bar^2", bound));
        o.Numbers.Add(Evidence.Info("l1 margin at the round bound", real.AtBound));
        o.Numbers.Add(Evidence.Info("first round with l1 margin >= gamma_bar/4", real.FirstReach));
        o.Numbers.Add(Evidence.Info($"l1 margin after {horizon:N0} rounds", real.AtHorizon));
        o.Numbers.Add(Evidence.Info("Ratsch-Warmuth limit Upsilon(gamma_bar) = -ln(1 - g^2) / ln((1 + g)/(1 - g))", Upsilon(gammaBar)));
        o.Numbers.Add(Evidence.Info("largest l1 margin over all rounds divided by gamma_bar (<= 1 by definition of gamma_bar)", real.Best / gammaBar));
        o.Numbers.Add(Evidence.Info("training error at the round bound", real.ErrorAtBound));
        o.Numbers.Add(Evidence.Info("stumps in the max-margin combination", gb.Weights.Count(w => w > 0)));
        o.Numbers.Add(Evidence.Info("random-labels control: largest l1 margin over its rounds (a lower bound on its own gamma_bar)", random.Best));
        o.Numbers.Add(Evidence.Info("random-labels control: l1 margin after the same rounds", random.AtHorizon));

        double lo = Math.Min(0, Math.Min(real.Margins.Min(), random.Margins.Min()));
        var series = new List<Series>
        {
            new("AdaBoost l1 margin", real.Rounds, real.Margins),
            new("random labels (control)", random.Rounds, random.Margins),
            new("gamma_bar / 4", [1.0, horizon], [gammaBar / 4, gammaBar / 4]),
            new("gamma_bar / 2", [1.0, horizon], [gammaBar / 2, gammaBar / 2]),
            new("gamma_bar", [1.0, horizon], [gammaBar, gammaBar]),
            new("round bound 8 ln n / gamma_bar^2", [bound, bound], [lo, gammaBar]),
        };
        o.Charts.Add(Charts.Lines("margin", "AdaBoost l1 margin vs round",
            $"min_i y_i f(x_i) / ||a||_1 on {data.Name}; the claim predicts it is above gamma_bar/4 by the round bound (vertical line) and tends to at least gamma_bar/2; the random-labels control stays below.",
            "round t", "l1 margin", series, logX: true));
        o.Notes.Add($"Data: {data.Name}, n = {data.N}, d = {data.D}. gamma_bar = {ClaimContext.Fmt(gammaBar)} in [{ClaimContext.Fmt(gb.Lower)}, {ClaimContext.Fmt(gb.Upper)}] by column generation over exact best stumps (linear program on the restricted sample-vs-stump game).");
        o.Notes.Add("AdaBoost's stumps: every feature, thresholds midway between distinct values, both signs, and the constant stump; the same stump class defines gamma_bar.");
        return o;
    }

    // AdaBoost for `horizon` rounds: the margin at round `rounds`, the first round reaching gamma_bar/4, the margin at the horizon.
    private static Boosted Boost(ClaimContext ctx, Dataset data, double gammaBar, int rounds, int horizon, double bound, string name)
    {
        var boost = new AdaBoost(data);
        var xs = new List<double>(); var margins = new List<double>();
        double firstReach = double.PositiveInfinity, best = double.NegativeInfinity, atBound = double.NaN, errorAtBound = double.NaN;
        for (int t = 1; t <= horizon; t++)
        {
            var r = boost.Round();
            if (double.IsInfinity(firstReach) && r.Margin >= gammaBar / 4) firstReach = t;
            best = Math.Max(best, r.Margin);
            if (t == rounds) { atBound = r.Margin; errorAtBound = r.TrainingError; }
            if (t <= 10 || t == rounds || t == horizon || IsLogSpaced(t)) { xs.Add(t); margins.Add(r.Margin); }
            if (t % 5000 == 0) ctx.Progress($"{name}: round {t:N0}/{horizon:N0}");
        }
        return new Boosted(xs, margins, atBound, firstReach, boost.Rounds[^1].Margin, best, errorAtBound);
    }

    /// <summary>Ratsch &amp; Warmuth's Upsilon(r) = -ln(1 - r^2) / ln((1 + r)/(1 - r)), in [r/2, r] for r in (0, 1).</summary>
    public static double Upsilon(double r) => -Math.Log(1 - r * r) / Math.Log((1 + r) / (1 - r));

    // Probe rounds at 20 per decade.
    private static bool IsLogSpaced(int t)
    {
        double k = Math.Round(20 * Math.Log10(t));
        return t == (int)Math.Round(Math.Pow(10, k / 20));
    }
}
