namespace Gradscope.Sweeps.Ranking;

/// <summary>One finished point for measure ranking: its hyperparameters (key -> value label, seeds excluded), its
/// generalization gap g = train accuracy - test accuracy, measure values by name, and its seed (null when the
/// sweep has none): two points that differ only in their seed are replicates of one configuration.
/// <paramref name="ReachedTarget"/> is false for a run stopped by its step or time cap before its training target
/// (<see cref="SweepMeasures.ReachedTarget"/>): such a point is not scored, but it counts against every measure's coverage.</summary>
public sealed record RankedPoint(int Index, IReadOnlyDictionary<string, string> Hyperparameters, double Gap, IReadOnlyDictionary<string, double> Measures,
    string? Seed = null, bool ReachedTarget = true);
