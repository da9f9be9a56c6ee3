namespace Gradscope.Sweeps.Ranking;

/// <summary>One finished point for measure ranking: its hyperparameters (key -> value label, seeds excluded), its
/// generalization gap g = train accuracy - test accuracy, measure values by name, and its seed (null when the
/// sweep has none): two points that differ only in their seed are replicates of one configuration.</summary>
public sealed record RankedPoint(int Index, IReadOnlyDictionary<string, string> Hyperparameters, double Gap, IReadOnlyDictionary<string, double> Measures,
    string? Seed = null);
