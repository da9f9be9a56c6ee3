using Gradscope.Claims;
using Gradscope.Training;

namespace Gradscope.Tests.Claims;

/// <summary>
/// The redesigned generalization claims (random-labels, bound-tracks-error, conv-bound, lazy-training,
/// no-overfitting-with-width, compositional-sparsity): v2 definitions with hypotheses, checks with sources and at least
/// one control, and experiment settings that build the runs the rules make.
/// </summary>
public class GeneralizationClaimDefinitionsTests
{
    public static TheoryData<string> Ids => new() { "random-labels", "bound-tracks-error", "conv-bound", "lazy-training", "no-overfitting-with-width", "compositional-sparsity" };

    [Theory]
    [MemberData(nameof(Ids))]
    public void DefinitionIsV2WithHypothesesChecksAndControls(string id)
    {
        var (def, rule) = ClaimRegistry.Select([id]).Single();
        Assert.Equal(id, rule.Id);
        Assert.False(def.Legacy);
        Assert.NotEmpty(def.Hypotheses);
        Assert.NotEmpty(def.Controls);
        Assert.All(def.Thresholds.Values, t => Assert.False(string.IsNullOrWhiteSpace(t.Source)));
        Assert.All(def.Controls, c => Assert.All(c.Checks, k => Assert.Contains(k, def.Thresholds.Keys)));
    }

    [Fact]
    public void CompositionalNetsHaveMatchedParameterCounts()
    {
        var p = ClaimRegistry.Select(["compositional-sparsity"]).Single().Definition.Parameters("quick");
        long Count(string key) => new Trainer<double>(p.TrainConfig(key)).Model.ParameterCount;
        // by hand: locally connected 2x2/stride 2 on a 4x4 image: 4 positions x 16 x 4 taps, then 1 position x 16 x (16 x 4), then 16 -> 1
        Assert.Equal(4 * 16 * 4 + 16 * 64 + 16, Count("deep"));
        Assert.Equal(4 * 16 * 4 + 16 * 64 + 16, Count("scrambled"));
        Assert.Equal(16 * 76 + 76, Count("shallow"));
        var full = ClaimRegistry.Select(["compositional-sparsity"]).Single().Definition.Parameters("full");
        var deep = full.TrainConfig("deep");
        var shallow = full.TrainConfig("shallow");
        // 8x8 image: 16 positions x 16 x 4, 4 positions x 16 x 64, 1 position x 16 x 64, 16 -> 1 against 64 -> 95 -> 1
        double ratio = (64.0 * 95 + 95) / (16 * 16 * 4 + 4 * 16 * 64 + 16 * 64 + 16);
        Assert.InRange(ratio, 0.9, 1.1);
        Assert.Equal(new[] { 64, 95, 1 }, shallow.Model.Mlp!.Widths);
        Assert.Equal(3, deep.Model.Layers!.Count(l => l.Kind == "locally_connected2d"));
    }

    [Fact]
    public void SweepsBuildAtTheQuickScale()
    {
        var conv = ClaimRegistry.Select(["conv-bound"]).Single().Definition.Parameters("quick");
        var c = conv.TrainConfig("train");
        foreach (int n in conv.Ints("sizes").Take(2))
            Assert.Equal(n, new Trainer<double>(c with { Data = c.Data with { Subsample = n } }).Train.N);
        var lazy = ClaimRegistry.Select(["lazy-training"]).Single().Definition.Parameters("quick");
        var l = lazy.TrainConfig("train");
        Assert.Equal(3, l.Model.Mlp!.Widths.Length);  // the mean-field control rescales the first of two layers
        Assert.NotNull(l.Stop.Loss);                  // every width stops at the same training loss
        var width = ClaimRegistry.Select(["no-overfitting-with-width"]).Single().Definition.Parameters("quick");
        var w = width.TrainConfig("train");
        Assert.Equal(ScheduleKind.LossScaled, w.Schedule.Kind);
        Assert.True(w.Stop.Loss <= 1e-6);
    }
}
