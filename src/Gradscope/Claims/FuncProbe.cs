using System.Numerics;

namespace Gradscope.Claims;

using Gradscope.Training;

/// <summary>A probe defined by a function: the claim-specific measurements a verdict rule adds to the shared trainer.</summary>
public sealed class FuncProbe<T>(IReadOnlyList<string> keys, Action<ProbeContext<T>, MetricRow> measure) : IProbe<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public IReadOnlyList<string> Keys { get; } = keys;

    /// <inheritdoc/>
    public void Measure(ProbeContext<T> context, MetricRow row) => measure(context, row);
}

/// <summary>Helpers to read the probe rows of a run.</summary>
public static class Rows
{
    /// <summary>The values of <paramref name="key"/> over rows that have it (with their steps).</summary>
    public static (List<double> Steps, List<double> Values) Series(IReadOnlyList<IReadOnlyDictionary<string, double>> rows, string key, string x = "step")
    {
        var xs = new List<double>(); var ys = new List<double>();
        foreach (var r in rows)
            if (r.TryGetValue(key, out double v) && r.TryGetValue(x, out double s)) { xs.Add(s); ys.Add(v); }
        return (xs, ys);
    }
}
