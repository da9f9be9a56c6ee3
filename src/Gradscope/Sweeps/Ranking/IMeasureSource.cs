namespace Gradscope.Sweeps.Ranking;

/// <summary>Computes or loads the measure values of one finished point (name -> value).</summary>
public interface IMeasureSource
{
    /// <summary>Measures of the point whose run directory is <paramref name="pointDir"/>.</summary>
    IReadOnlyDictionary<string, double> Measures(string pointDir, PointRecord point);
}
