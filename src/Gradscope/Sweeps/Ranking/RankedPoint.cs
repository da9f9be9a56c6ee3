namespace Gradscope.Sweeps.Ranking;

/// <summary>One finished point for measure ranking: its hyperparameters (key -> value label, seeds excluded), its
/// generalization gap g = train accuracy - test accuracy, and measure values by name.</summary>
public sealed record RankedPoint(int Index, IReadOnlyDictionary<string, string> Hyperparameters, double Gap, IReadOnlyDictionary<string, double> Measures);
