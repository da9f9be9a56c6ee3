namespace Gradscope.Sweeps.Ranking;

/// <summary>Computes or loads the measure values of one finished point (name -> value).</summary>
public interface IMeasureSource
{
    /// <summary>Measures of the point whose train run directory (final weights, config copy) is <paramref name="runDir"/>.</summary>
    IReadOnlyDictionary<string, double> Measures(string runDir, PointRecord point);
}
