using System.Globalization;

namespace Gradscope.Measures.Registry;

/// <summary>
/// Old names of registry quantities, so run directories and files written before the registry still read: each alias
/// maps to its registry key, with the conversion when the old name stored a different form of the same quantity
/// (an accuracy for an error).
/// </summary>
public static class MeasureAliases
{
    /// <summary>One old name: the registry key it reads as and how its value converts.</summary>
    public sealed record Alias(string Old, string Key, string Conversion, Func<double, double> Convert);

    /// <summary>The fixed aliases (the training probe's and early measure files' names). Per-weight "fro[NAME]" columns are
    /// mapped by <see cref="Canonical"/> to layer.{k}.frobenius in the order they appear (the weight order).</summary>
    public static IReadOnlyList<Alias> Fixed { get; } =
    [
        new("min_margin", "margin.min", "same value", x => x),
        new("gamma", "gamma_min", "same value", x => x),
        new("train_acc", "train_error", "1 - train_acc", x => 1 - x),
        new("test_acc", "test_error", "1 - test_acc", x => 1 - x),
        new("spectral_complexity_R", "spectral_complexity", "same value", x => x),
        new("min_margin_normalized", "gamma_min", "same value", x => x),
    ];

    private static readonly Dictionary<string, Alias> _byOld = Fixed.ToDictionary(a => a.Old, StringComparer.Ordinal);

    /// <summary>The alias of <paramref name="old"/>, or null.</summary>
    public static Alias? Of(string old) => _byOld.GetValueOrDefault(old);

    /// <summary>
    /// The values under registry keys: registry keys as they are; old names converted (a registry key present in
    /// <paramref name="values"/> wins over an alias of it); "fro[NAME]" columns, in order, as layer.{k}.frobenius.
    /// </summary>
    public static Dictionary<string, double> Canonical(IEnumerable<KeyValuePair<string, double>> values)
    {
        var list = values.ToList();
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (k, v) in list)
            if (_byOld.ContainsKey(k) is false && !IsFro(k)) result[k] = v;
        int layer = 0;
        foreach (var (k, v) in list)
        {
            string? key = null; double x = v;
            if (IsFro(k)) key = $"layer.{(layer++).ToString(CultureInfo.InvariantCulture)}.frobenius";
            else if (_byOld.TryGetValue(k, out var a)) { key = a.Key; x = a.Convert(v); }
            if (key is not null) result.TryAdd(key, x);
        }
        return result;
    }

    private static bool IsFro(string k) => k.StartsWith("fro[", StringComparison.Ordinal) && k.EndsWith(']');
}
