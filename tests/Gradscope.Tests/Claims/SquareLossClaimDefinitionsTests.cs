namespace Gradscope.Tests.Claims;

/// <summary>The paper-4 claims (square loss) are registered, and every train config of every scale parses and validates.</summary>
public class SquareLossClaimDefinitionsTests
{
    public static TheoryData<string> Ids => new() { "square-loss-lm-wd", "low-rank-bias", "neural-collapse", "sgd-noise" };

    [Theory]
    [MemberData(nameof(Ids))]
    public void DefinitionIsRegisteredAndItsConfigsValidate(string id)
    {
        foreach (var (_, _, cfg) in ClaimConfigs.Validated(id))
            Assert.True(cfg.Algorithm.WeightDecay > 0, "every paper-4 claim runs with weight decay");
    }
}
