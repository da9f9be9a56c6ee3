using Gradscope.Claims;
using Gradscope.Training;

namespace Gradscope.Tests.Claims;

/// <summary>The paper-4 claims (square loss) are registered, and every train config of every scale parses and validates.</summary>
public class SquareLossClaimDefinitionsTests
{
    public static TheoryData<string> Ids => new() { "square-loss-lm-wd", "low-rank-bias", "neural-collapse", "sgd-noise" };

    [Theory]
    [MemberData(nameof(Ids))]
    public void DefinitionIsRegisteredAndItsConfigsValidate(string id)
    {
        var (def, rule) = ClaimRegistry.Select([id]).Single();
        Assert.Equal(id, rule.Id);
        Assert.NotEmpty(def.Thresholds);
        foreach (string scale in new[] { "quick", "full" })
        {
            var cfg = TrainConfigYaml.Parse(def.Parameters(scale).Yaml("train"), $"{id}:{scale}");
            cfg.Validate();
            Assert.True(cfg.Stop.Steps > 0);
            Assert.True(cfg.Algorithm.WeightDecay > 0, "every paper-4 claim runs with weight decay");
        }
    }
}
