using Gradscope.Claims;
using Gradscope.Training;

namespace Gradscope.Tests.Claims;

/// <summary>A registered claim's parameters and validated train config at each scale (shared by the per-claim definition tests).</summary>
internal static class ClaimConfigs
{
    public static IEnumerable<(string Scale, ClaimParameters Parameters, TrainConfig Train)> Validated(string id)
    {
        var (def, rule) = ClaimRegistry.Select([id]).Single();
        Assert.Equal(id, rule.Id);
        Assert.NotEmpty(def.Thresholds);
        foreach (string scale in new[] { "quick", "full" })
        {
            var p = def.Parameters(scale);
            var cfg = p.TrainConfig("train");
            cfg.Validate();
            Assert.True(cfg.Stop.Steps > 0);
            yield return (scale, p, cfg);
        }
    }
}
