using Gradscope.Claims;
using Gradscope.Training;

namespace Gradscope.Tests.Claims;

/// <summary>The label-noise claims (random-labels, bound-tracks-error) are registered and their configs validate at every noise level they use.</summary>
public class NoiseClaimDefinitionsTests
{
    public static TheoryData<string> Ids => new() { "random-labels", "bound-tracks-error" };

    [Theory]
    [MemberData(nameof(Ids))]
    public void DefinitionIsRegisteredAndItsConfigsValidate(string id)
    {
        foreach (var (_, p, cfg) in ClaimConfigs.Validated(id))
        {
            Assert.Equal(0, cfg.Data.LabelNoise);
            double[] levels = p.Has("noise_levels") ? p.Doubles("noise_levels") : [p.Double("random_label_noise")];
            foreach (double level in levels) ConfigVariants.WithLabelNoise(cfg, level).Validate();
        }
    }
}
