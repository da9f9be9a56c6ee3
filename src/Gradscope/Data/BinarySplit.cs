namespace Gradscope.Data;

/// <summary>
/// A binary task from a multiclass set by thresholding the label: y = 1 iff label &gt;= threshold
/// (e.g. MNIST digits 0-4 vs 5-9 with threshold 5, as in Dziugaite &amp; Roy 2017). Keeps every sample.
/// </summary>
public static class BinarySplit
{
    /// <summary>Relabels every sample to 0 (label &lt; threshold) or 1 (label &gt;= threshold); both sides must be non-empty classes.</summary>
    public static Dataset Apply(Dataset data, int threshold)
    {
        if (threshold < 1 || threshold >= data.Classes)
            throw new ArgumentException($"binary_split: threshold {threshold} must lie in [1, {data.Classes - 1}] for '{data.Name}' ({data.Classes} classes), so both sides hold at least one class.");
        var y = data.Y.Select(v => v >= threshold ? 1 : 0).ToArray();
        return new Dataset($"{data.Name}[<{threshold} vs >={threshold}]", data.X, y, data.SampleShape, 2);
    }
}
