using System.Globalization;

namespace Gradscope.Measures.Registry;

/// <summary>
/// Old names of registry quantities, so run directories and files written before the registry still read (the one
/// place old names are mapped): each alias maps to its registry key, with the conversion when the old name stored a
/// different form of the same quantity (an accuracy for an error).
/// </summary>
/// <remarks>
/// Every conversion is its own inverse (x and 1 - x), so <see cref="Alias.Convert"/> also turns a registry value back
/// into the old form (used to continue an old run directory in its own columns).
/// NOTE: 1 - (1 - a) is a bit for bit when a &gt;= 0.5 (1 - a is then exact); below 0.5 it can differ from a in
/// the last place of 1 - a.
/// A conv or locally connected layer's fro[NAME] held its kernel norm ||w_k||_F (layer.{k}.kernel_frobenius), not the
/// operator's ||T_k||_F, and such a run's rho and gamma the kernel products; a file does not say which layers were
/// conv, so those columns read under the dense names (a resume of such a run is refused instead of mixing the two).
/// </remarks>
public static class MeasureAliases
{
    /// <summary>One old name: the registry key it reads as and how its value converts.</summary>
    public sealed record Alias(string Old, string Key, string Conversion, Func<double, double> Convert);

    /// <summary>The fixed aliases (the training probe's, final.json's, <c>measure --run</c>'s and early measure files' names).
    /// Per-weight "fro[NAME]" columns are mapped by <see cref="Columns"/> to layer.{k}.frobenius in the order they appear
    /// (the weight order).</summary>
    public static IReadOnlyList<Alias> Fixed { get; } =
    [
        new("min_margin", "margin.min", "same value", x => x),
        new("gamma", "gamma_min", "same value", x => x),
        new("train_acc", "train_error", "1 - train_acc", x => 1 - x),
        new("test_acc", "test_error", "1 - test_acc", x => 1 - x),
        new("loss", "train_loss", "same value", x => x),
        new("log_loss", "train_log_loss", "same value", x => x),
        new("run.train_acc", "run.train_error", "1 - run.train_acc", x => 1 - x),
        new("run.test_acc", "run.test_error", "1 - run.test_acc", x => 1 - x),
        new("spectral_complexity_R", "spectral_complexity", "same value", x => x),
        new("min_margin_normalized", "gamma_min", "same value", x => x),
    ];

    private static readonly Dictionary<string, Alias> _byOld = Fixed.ToDictionary(a => a.Old, StringComparer.Ordinal);

    /// <summary>The alias of <paramref name="old"/>, or null.</summary>
    public static Alias? Of(string old) => _byOld.GetValueOrDefault(old);

    /// <summary>
    /// The alias of each of <paramref name="names"/> (a file's columns or keys, in file order), null for a name that is
    /// no old name: the fixed aliases, and "fro[NAME]" as layer.{k}.frobenius with k counting the fro columns.
    /// </summary>
    public static Alias?[] Columns(IReadOnlyList<string> names)
    {
        var result = new Alias?[names.Count];
        int layer = 0;
        for (int i = 0; i < names.Count; i++)
        {
            string n = names[i];
            if (IsFro(n)) result[i] = new Alias(n, $"layer.{(layer++).ToString(CultureInfo.InvariantCulture)}.frobenius", "same value", x => x);
            else result[i] = _byOld.GetValueOrDefault(n);
        }
        return result;
    }

    /// <summary>Whether any of <paramref name="names"/> is an old name.</summary>
    public static bool AnyOld(IReadOnlyList<string> names) => Columns(names).Any(a => a is not null);

    /// <summary>
    /// The values under registry keys: registry keys as they are; old names converted (a registry key present in
    /// <paramref name="values"/> wins over an alias of it); "fro[NAME]" columns, in order, as layer.{k}.frobenius.
    /// </summary>
    public static Dictionary<string, double> Canonical(IEnumerable<KeyValuePair<string, double>> values)
    {
        var list = values.ToList();
        var aliases = Columns(list.Select(kv => kv.Key).ToList());
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < list.Count; i++)
            if (aliases[i] is null) result[list[i].Key] = list[i].Value;
        for (int i = 0; i < list.Count; i++)
            if (aliases[i] is { } a) result.TryAdd(a.Key, a.Convert(list[i].Value));
        return result;
    }

    private static bool IsFro(string k) => k.StartsWith("fro[", StringComparison.Ordinal) && k.EndsWith(']');
}
