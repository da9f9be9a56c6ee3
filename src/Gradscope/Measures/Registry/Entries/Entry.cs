namespace Gradscope.Measures.Registry.Entries;

/// <summary>Shorthand for writing registry entries, and the reasons several of them share.</summary>
internal static class Entry
{
    /// <summary>An entry with key <paramref name="key"/> (or pattern), its description and its two functions.</summary>
    public static MeasureEntry Of(string key, string symbol, string formula, string section, MeasureNeeds needs, MeasureCost cost,
        Func<MeasureContext, string?> notApplicable, Action<MeasureContext, MeasureSink> compute, string? group = null)
    {
        var info = new MeasureInfo(key, symbol, formula, section, needs, cost);
        if (group is not null) info = info with { Group = group };
        return new MeasureEntry(info, notApplicable, compute);
    }

    /// <summary>An array entry (written beside the scalars as .npy under <paramref name="key"/>), with its description and its two functions.</summary>
    public static MeasureEntry Array(string key, string symbol, string formula, string section, MeasureNeeds needs, MeasureCost cost,
        Func<MeasureContext, string?> notApplicable, Action<MeasureContext, MeasureSink> compute, string group) =>
        new(new MeasureInfo(key, symbol, formula, section, needs, cost) { Group = group, IsArray = true }, notApplicable, compute);

    /// <summary>Applies always.</summary>
    public static string? Always(MeasureContext _) => null;

    /// <summary>Each per-layer key of <paramref name="pattern"/> ("layer.{k}.x") for every weight layer k.</summary>
    public static void PerLayer(MeasureContext c, MeasureSink s, string pattern, Func<int, double?> value)
    {
        for (int k = 0; k < c.Weights.Count; k++)
            if (value(k) is double v) s.Set(pattern.Replace("{k}", k.ToString(System.Globalization.CultureInfo.InvariantCulture)), v);
    }

    /// <summary>The key suffix of quantile q as in "margin.q50" (q = 0.5), "margin.q05" (0.05), "margin.q12_5" (0.125).</summary>
    public static string Pct(double q) => Math.Round(q * 100, 4).ToString(System.Globalization.CultureInfo.InvariantCulture).Replace('.', '_').PadLeft(2, '0');
}
