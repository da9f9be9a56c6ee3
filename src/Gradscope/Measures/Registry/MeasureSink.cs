namespace Gradscope.Measures.Registry;

/// <summary>
/// Where measures write: values under their declared keys and omissions with their reasons. A key outside the
/// writing measure's pattern is a programming error (<see cref="InvalidOperationException"/>), so every key in every
/// file is one the registry lists. Omissions keep the first reason given for a key.
/// </summary>
public sealed class MeasureSink
{
    private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);
    private readonly List<OmittedMeasure> _omitted = [];
    private readonly HashSet<string> _omittedKeys = new(StringComparer.Ordinal);
    private readonly Func<string, bool>? _selected;

    /// <summary>Creates a sink; with <paramref name="selected"/> only keys it accepts are kept.</summary>
    public MeasureSink(Func<string, bool>? selected = null) => _selected = selected;

    /// <summary>The measure now writing (set by the registry).</summary>
    internal MeasureInfo? Current { get; set; }

    /// <summary>Sets <paramref name="key"/> (an instance of the current measure's key pattern) to <paramref name="value"/>.</summary>
    /// <exception cref="InvalidOperationException">The key is not declared by the measure writing it.</exception>
    public void Set(string key, double value)
    {
        if (Current is { } info && !info.Matches(key))
            throw new InvalidOperationException($"measure '{info.Key}' wrote undeclared key '{key}'.");
        if (_selected is null || _selected(key)) _values[key] = value;
    }

    /// <summary>
    /// Records that <paramref name="key"/> (a key or a group such as "margin.*") was not computed, and why. The first reason
    /// given for a key is kept, except that a specific reason replaces an "opt-in: ..." one (a member of the group that was
    /// asked for and could not be computed says more than one that was not asked for).
    /// </summary>
    public void Omit(string key, string reason)
    {
        if (_omittedKeys.Add(key)) { _omitted.Add(new OmittedMeasure(key, reason)); return; }
        int i = _omitted.FindIndex(o => o.Key == key);
        if (IsOptIn(_omitted[i].Reason) && !IsOptIn(reason)) _omitted[i] = new OmittedMeasure(key, reason);
    }

    private static bool IsOptIn(string reason) => reason.StartsWith("opt-in", StringComparison.Ordinal);

    private readonly Dictionary<string, (int[] Shape, double[] Data)> _arrays = new(StringComparer.Ordinal);

    /// <summary>Records a large array (a spectrum, a Gram matrix) under <paramref name="key"/>, written beside the scalars (.npy).</summary>
    public void SetArray(string key, int[] shape, double[] data) => _arrays[key] = (shape, data);

    /// <summary>Whether <paramref name="key"/> has a value.</summary>
    public bool Has(string key) => _values.ContainsKey(key);

    /// <summary>The values and omissions written so far.</summary>
    /// <remarks>A group's "opt-in" omission is dropped when some of its keys have values (the group was opted into; its other members were not asked for).</remarks>
    public MeasureReport ToReport() => new(new Dictionary<string, double>(_values),
        _omitted.Where(o => !_values.ContainsKey(o.Key) && !(o.Key.Contains('*') && IsOptIn(o.Reason) && _values.Keys.Any(k => KeyGlob.Matches(o.Key, k)))).ToList())
    {
        Arrays = new Dictionary<string, (int[] Shape, double[] Data)>(_arrays),
    };
}
