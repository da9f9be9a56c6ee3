using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gradscope.IO;

/// <summary>
/// One mapping of a config tree read through typed getters (string, enum, integer, real, boolean, lists, nested
/// sections): the one reader behind every Gradscope config (training config, model description, claim definition,
/// sweep file). Each getter marks its key as known, so <see cref="RejectUnknown"/> can name a misspelt key with the
/// keys of its section; an absent key or an explicit null (<c>~</c>) reads as null, and the caller supplies the default
/// kept next to its owner (the config record). Every error has ONE format,
/// <c>where: dotted.key: message</c>, where <c>where</c> is <c>file:line</c> or, for a value a command-line override
/// set, <c>override key=value</c> (see <see cref="YamlOrigins"/>).
/// </summary>
public sealed class YamlSection
{
    private readonly HashSet<string> _used = [];
    private readonly Func<string, Exception> _error;

    /// <summary>Wraps <paramref name="node"/>, the mapping at dotted path <paramref name="path"/> ("" for the root).</summary>
    /// <param name="origins">Where each node came from.</param>
    /// <param name="path">Dotted path of the mapping ("algorithm", "model.layers[0]"; "" for the root).</param>
    /// <param name="node">The mapping.</param>
    /// <param name="error">Makes the reader's exception type from a complete message.</param>
    /// <param name="locations">Receives the location of every key read (dotted path -> "file:line" or "override ..."), for later errors.</param>
    public YamlSection(YamlOrigins origins, string path, YamlMappingNode node, Func<string, Exception> error, Dictionary<string, string>? locations = null)
    {
        Origins = origins; Path = path; Mapping = node; _error = error; Locations = locations ?? [];
        if (path.Length > 0 && !Locations.ContainsKey(path)) Locations[path] = origins.Of(node);
    }

    /// <summary>Where the tree's nodes came from.</summary>
    public YamlOrigins Origins { get; }
    /// <summary>Dotted path of this mapping ("" at the root).</summary>
    public string Path { get; }
    /// <summary>The mapping read.</summary>
    public YamlMappingNode Mapping { get; }
    /// <summary>Location of each key read so far, shared by all sections of one tree.</summary>
    public Dictionary<string, string> Locations { get; }

    /// <summary>The dotted path of child <paramref name="key"/>.</summary>
    public string Key(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    /// <summary>The error "where: path.key: message" for child <paramref name="key"/>, located at the key (or this mapping when absent).</summary>
    public Exception Error(string key, string message) =>
        _error($"{(Locations.TryGetValue(Key(key), out var w) ? w : Origins.Of(Mapping))}: {Key(key)}: {message}");

    /// <summary>The error "where: path: message" located at <paramref name="node"/>.</summary>
    public Exception ErrorAt(YamlNode node, string path, string message) =>
        _error(path.Length == 0 ? $"{Origins.Of(node)}: {message}" : $"{Origins.Of(node)}: {path}: {message}");

    /// <summary>The error for a required key that is absent.</summary>
    public Exception Missing(string key, string? hint = null) =>
        _error($"{(Locations.TryGetValue(Path, out var w) ? w : Origins.Of(Mapping))}: {(Path.Length == 0 ? "" : Path + ": ")}missing key '{key}'{(hint is null ? "" : " " + hint)}");

    /// <summary>The error for a value of the wrong shape.</summary>
    public Exception Type(string key, YamlNode v, string expected) => ErrorAt(v, Key(key), $"must be {expected}, got {Describe(v)}");

    /// <summary>The raw node of <paramref name="key"/> (marking it known), or null when absent or null.</summary>
    public YamlNode? Node(string key)
    {
        _used.Add(key);
        foreach (var (k, v) in Mapping.Children)
            if (k is YamlScalarNode ks && ks.Value == key)
            {
                Locations[Key(key)] = Origins.Of(k);
                return IsNull(v) ? null : v;
            }
        return null;
    }

    /// <summary>Whether <paramref name="key"/> is present with a non-null value (does not mark it known).</summary>
    public bool Has(string key) => Mapping.Children.Any(p => p.Key is YamlScalarNode ks && ks.Value == key && !IsNull(p.Value));

    /// <summary>A plain <c>~</c>, <c>null</c> or empty value.</summary>
    public static bool IsNull(YamlNode v) => v is YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain or ScalarStyle.Any };

    /// <summary>The keys present that no getter has asked for, in file order.</summary>
    public IReadOnlyList<string> UnusedKeys() =>
        Mapping.Children.Keys.Select(k => (k as YamlScalarNode)?.Value ?? "").Where(k => !_used.Contains(k)).ToList();

    /// <summary>Throws on the first key no getter asked for: "where: path.key: unknown key 'key' in section path (known: ...)".</summary>
    public void RejectUnknown()
    {
        foreach (var (k, _) in Mapping.Children)
        {
            string name = (k as YamlScalarNode)?.Value ?? k.ToString();
            if (_used.Contains(name)) continue;
            string known = string.Join(", ", _used.Order(StringComparer.Ordinal));
            string section = Path.Length == 0 ? "at the top level" : $"in section {Path}";
            throw ErrorAt(k, Key(name), $"unknown key '{name}' {section}" + (known.Length > 0 ? $" (known: {known})" : " (it takes no keys)"));
        }
    }

    /// <summary>A nested mapping, or null when absent.</summary>
    public YamlSection? Map(string key)
    {
        var v = Node(key);
        if (v is null) return null;
        if (v is not YamlMappingNode m) throw Type(key, v, "a mapping");
        return new YamlSection(Origins, Key(key), m, _error, Locations);
    }

    /// <summary>A list, or null when absent.</summary>
    public YamlSequenceNode? List(string key, string expected = "a list")
    {
        var v = Node(key);
        if (v is null) return null;
        return v as YamlSequenceNode ?? throw Type(key, v, expected);
    }

    /// <summary>The section of item <paramref name="index"/> of a list under this section (path "key[i]").</summary>
    public YamlSection Item(string key, int index, YamlMappingNode item)
    {
        string path = $"{Key(key)}[{index}]";
        Locations[path] = Origins.Of(item);
        return new YamlSection(Origins, path, item, _error, Locations);
    }

    private string? Scalar(string key, string expected)
    {
        var v = Node(key);
        if (v is null) return null;
        if (v is not YamlScalarNode s) throw Type(key, v, expected);
        return s.Value;
    }

    /// <summary>A string.</summary>
    public string? String(string key) => Scalar(key, "a string");

    /// <summary>One of <paramref name="allowed"/>.</summary>
    public string? Enum(string key, IReadOnlyList<string> allowed)
    {
        var s = Scalar(key, $"one of {string.Join(", ", allowed)}");
        if (s is null) return null;
        return allowed.Contains(s) ? s : throw Error(key, $"must be one of {string.Join(", ", allowed)}, got '{s}'");
    }

    /// <summary>A real number, checked against [<paramref name="min"/>, <paramref name="max"/>] when given.</summary>
    public double? Double(string key, double? min = null, double? max = null)
    {
        var s = Scalar(key, "a number");
        if (s is null) return null;
        if (!TryDouble(s, out double d)) throw Error(key, $"must be a number, got '{s}'");
        if (min is double lo && !(d >= lo) || max is double hi && !(d <= hi))
            throw Error(key, $"must lie in [{Fmt(min ?? double.NegativeInfinity)}, {Fmt(max ?? double.PositiveInfinity)}], got {Fmt(d)}");
        return d;
    }

    /// <summary>An integer (1e6-style integers accepted), checked against [<paramref name="min"/>, <paramref name="max"/>] when given.</summary>
    public long? Long(string key, long? min = null, long? max = null)
    {
        var s = Scalar(key, "an integer");
        if (s is null) return null;
        if (!TryLong(s, out long v)) throw Error(key, $"must be an integer, got '{s}'");
        if (min is long lo && v < lo) throw Error(key, $"must be >= {lo}, got {v}");
        if (max is long hi && v > hi) throw Error(key, $"must be <= {hi}, got {v}");
        return v;
    }

    /// <summary>A 32-bit integer.</summary>
    public int? Int(string key, int? min = null, int? max = null)
    {
        long? v = Long(key, min, max);
        if (v is null) return null;
        if (v < int.MinValue || v > int.MaxValue) throw Error(key, $"is out of range, got {v}");
        return (int)v;
    }

    /// <summary>A non-negative 64-bit integer (seeds).</summary>
    public ulong? ULong(string key)
    {
        var s = Scalar(key, "a non-negative integer");
        if (s is null) return null;
        return ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v) ? v
            : throw Error(key, $"must be a non-negative integer, got '{s}'");
    }

    /// <summary>true or false (also True/False, yes/no).</summary>
    public bool? Bool(string key)
    {
        var s = Scalar(key, "true or false");
        if (s is null) return null;
        return ParseBool(s) ?? throw Error(key, $"must be true or false, got '{s}'");
    }

    /// <summary>A list of integers.</summary>
    public int[]? IntList(string key) => Items(key, "integers", s => (TryLong(s, out long v) && v is >= int.MinValue and <= int.MaxValue, (int)v));

    /// <summary>A list of 64-bit integers.</summary>
    public long[]? LongList(string key) => Items(key, "integers", s => (TryLong(s, out long v), v));

    /// <summary>A list of reals.</summary>
    public double[]? DoubleList(string key) => Items(key, "numbers", s => (TryDouble(s, out double d), d));

    /// <summary>A list of strings.</summary>
    public string[]? StringList(string key) => Items(key, "strings", s => (true, s));

    private T[]? Items<T>(string key, string what, Func<string, (bool Ok, T Value)> parse)
    {
        var seq = List(key, $"a list of {what}");
        if (seq is null) return null;
        var result = new T[seq.Children.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var c = seq.Children[i];
            var (ok, v) = c is YamlScalarNode { Value: { } s } ? parse(s) : (false, default!);
            result[i] = ok ? v : throw ErrorAt(c, $"{Key(key)}[{i}]", $"must be {Singular(what)}, got {Describe(c)}");
        }
        return result;
    }

    private static string Singular(string what) => what switch { "integers" => "an integer", "numbers" => "a number", _ => "a string" };

    /// <summary>A real in invariant culture.</summary>
    public static bool TryDouble(string s, out double d) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d);

    /// <summary>An integer in invariant culture; an integral real below 9e15 ("1e6") counts.</summary>
    public static bool TryLong(string s, out long v)
    {
        if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v)) return true;
        if (TryDouble(s, out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) { v = (long)d; return true; }
        return false;
    }

    /// <summary>true/True/yes or false/False/no; null otherwise.</summary>
    public static bool? ParseBool(string s) => s switch
    {
        "true" or "True" or "yes" => true,
        "false" or "False" or "no" => false,
        _ => null,
    };

    /// <summary>How a value is named in an error: 'text', a list, a mapping.</summary>
    public static string Describe(YamlNode v) => v switch
    {
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => v.NodeType.ToString(),
    };

    private static string Fmt(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
