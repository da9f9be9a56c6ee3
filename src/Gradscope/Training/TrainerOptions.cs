using System.Globalization;

namespace Gradscope.Training;

/// <summary>
/// Typed access to string-valued parameters of a config section (algorithm options, layer and
/// generator parameters) with errors that name the key and line; <see cref="RejectUnknown"/>
/// fails on any key nobody read.
/// </summary>
public sealed class TrainerOptions(TrainConfig config, string path, IReadOnlyDictionary<string, string> values)
{
    private readonly HashSet<string> _used = [];

    /// <summary>The raw string of <paramref name="key"/>, or null.</summary>
    public string? String(string key)
    {
        _used.Add(key);
        return values.TryGetValue(key, out var v) ? v : null;
    }

    /// <summary>A number (default when absent); throws naming the key when not a number.</summary>
    public double Double(string key, double fallback)
    {
        var s = String(key);
        if (s is null) return fallback;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : throw Error(key, $"must be a number, got '{s}'");
    }

    /// <summary>A positive number.</summary>
    public double Positive(string key, double fallback)
    {
        double d = Double(key, fallback);
        return d > 0 && double.IsFinite(d) ? d : throw Error(key, $"must be > 0, got {d.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>An integer (default when absent) not below <paramref name="min"/>.</summary>
    public int Int(string key, int fallback, int min = int.MinValue)
    {
        var s = String(key);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) throw Error(key, $"must be an integer, got '{s}'");
        return v >= min ? v : throw Error(key, $"must be >= {min}, got {v}");
    }

    /// <summary>A boolean.</summary>
    public bool Bool(string key, bool fallback)
    {
        var s = String(key);
        return s switch
        {
            null => fallback,
            "true" or "True" or "yes" => true,
            "false" or "False" or "no" => false,
            _ => throw Error(key, $"must be true or false, got '{s}'"),
        };
    }

    /// <summary>One of <paramref name="allowed"/>.</summary>
    public string Choice(string key, string fallback, params string[] allowed)
    {
        var s = String(key) ?? fallback;
        return allowed.Contains(s) ? s : throw Error(key, $"must be one of {string.Join(", ", allowed)}, got '{s}'");
    }

    /// <summary>A list of numbers written "[a, b, c]".</summary>
    public double[]? DoubleList(string key)
    {
        var s = String(key);
        if (s is null) return null;
        var parts = s.Trim().TrimStart('[').TrimEnd(']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : throw Error(key, $"must be a list of numbers, got '{s}'")).ToArray();
    }

    /// <summary>An error naming <paramref name="key"/> and its line.</summary>
    public TrainConfigException Error(string key, string message) => config.Error($"{path}.{key}", message);

    /// <summary>Throws on the first key that no getter asked for, listing the known ones.</summary>
    /// <param name="what">What the keys belong to ("algorithm 'gd'").</param>
    /// <param name="alsoKnown">Keys of the same section read elsewhere (listed as known).</param>
    public void RejectUnknown(string what, IEnumerable<string>? alsoKnown = null)
    {
        var known = _used.Concat(alsoKnown ?? []).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var k in values.Keys.Order(StringComparer.Ordinal))
            if (!_used.Contains(k))
                throw config.Error($"{path}.{k}", $"unknown key '{k}' in section {path} for {what}" + (known.Count > 0 ? $" (known: {string.Join(", ", known)})" : " (it takes no extra keys)"));
    }
}
