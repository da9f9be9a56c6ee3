using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Claims;

/// <summary>A predeclared verdict threshold: the measured value must satisfy <c>value Op Value</c>; <see cref="Why"/> justifies it in one line.</summary>
public sealed record Threshold(string Name, string Op, double Value, string Why);

/// <summary>
/// A claim of THEORY.md section 6 as data: its id, statement, paper, the thresholds of its verdict
/// rule (fixed before anything runs) and the experiment parameters of each scale. Loaded from the
/// embedded YAML file Claims/Definitions/&lt;id&gt;.yaml.
/// </summary>
public sealed class ClaimDefinition
{
    private readonly Dictionary<string, YamlMappingNode> _scales;

    private ClaimDefinition(string id, string statement, string paper, IReadOnlyDictionary<string, Threshold> thresholds, Dictionary<string, YamlMappingNode> scales, string source)
    {
        Id = id; Statement = statement; Paper = paper; Thresholds = thresholds; _scales = scales; Source = source;
    }

    /// <summary>The claim id ("linear-max-margin").</summary>
    public string Id { get; }
    /// <summary>The claim as THEORY.md states it.</summary>
    public string Statement { get; }
    /// <summary>The source paper(s).</summary>
    public string Paper { get; }
    /// <summary>The verdict thresholds by name.</summary>
    public IReadOnlyDictionary<string, Threshold> Thresholds { get; }
    /// <summary>Where the definition came from (for errors).</summary>
    public string Source { get; }

    /// <summary>The experiment parameters of a scale ("quick" or "full").</summary>
    public ClaimParameters Parameters(string scale) =>
        _scales.TryGetValue(scale, out var m) ? new ClaimParameters(m, $"{Source}: {scale}") :
        throw new InvalidDataException($"{Source}: no parameters for scale '{scale}' (has {string.Join(", ", _scales.Keys)}).");

    /// <summary>Parses a claim definition; errors name the source, line and key.</summary>
    public static ClaimDefinition Parse(string yaml, string source)
    {
        var stream = IO.YamlInput.Load(yaml, (line, what) => new InvalidDataException($"{source}:{line}: {what}"));
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"{source}: expected one YAML mapping.");
        string Str(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var n) && n is YamlScalarNode s && s.Value is { } v
            ? v : throw new InvalidDataException($"{source}: missing string key '{key}'.");
        var known = new HashSet<string> { "id", "statement", "paper", "thresholds", "quick", "full" };
        foreach (var k in root.Children.Keys)
            if (!known.Contains(((YamlScalarNode)k).Value!))
                throw new InvalidDataException($"{source}:{k.Start.Line}: unknown key '{k}' (expected {string.Join(", ", known)}).");
        var thresholds = new Dictionary<string, Threshold>();
        if (root.Children.TryGetValue(new YamlScalarNode("thresholds"), out var tn))
        {
            if (tn is not YamlMappingNode tm) throw new InvalidDataException($"{source}:{tn.Start.Line}: thresholds must be a mapping.");
            foreach (var (k, v) in tm.Children)
            {
                string name = ((YamlScalarNode)k).Value!;
                if (v is not YamlMappingNode vm) throw new InvalidDataException($"{source}:{v.Start.Line}: threshold '{name}' must be a mapping {{op, value, why}}.");
                string Get(string key) => vm.Children.TryGetValue(new YamlScalarNode(key), out var x) && x is YamlScalarNode xs && xs.Value is { } xv
                    ? xv : throw new InvalidDataException($"{source}:{vm.Start.Line}: threshold '{name}' needs '{key}'.");
                string op = Get("op");
                if (op is not ("<=" or ">=" or "<" or ">" or "="))
                    throw new InvalidDataException($"{source}:{vm.Start.Line}: threshold '{name}' has op '{op}'; expected <=, >=, <, > or =.");
                if (!double.TryParse(Get("value"), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                    throw new InvalidDataException($"{source}:{vm.Start.Line}: threshold '{name}' value '{Get("value")}' is not a number.");
                thresholds[name] = new Threshold(name, op, value, Get("why"));
            }
        }
        var scales = new Dictionary<string, YamlMappingNode>();
        foreach (string scale in new[] { "quick", "full" })
            if (root.Children.TryGetValue(new YamlScalarNode(scale), out var sn))
                scales[scale] = sn as YamlMappingNode ?? throw new InvalidDataException($"{source}:{sn.Start.Line}: '{scale}' must be a mapping.");
        if (scales.Count != 2)
            throw new InvalidDataException($"{source}: a claim needs both a quick and a full parameter mapping (has {(scales.Count == 0 ? "neither" : string.Join(", ", scales.Keys))}).");
        return new ClaimDefinition(Str("id"), Str("statement").Trim(), Str("paper"), thresholds, scales, source);
    }
}

/// <summary>Typed access to a claim's experiment parameters; a missing or mistyped key is an error naming the key and line.</summary>
public sealed class ClaimParameters(YamlMappingNode map, string source)
{
    /// <summary>The raw mapping.</summary>
    public YamlMappingNode Map { get; } = map;

    private YamlNode Node(string key) =>
        Map.Children.TryGetValue(new YamlScalarNode(key), out var n) ? n : throw new InvalidDataException($"{source}: missing parameter '{key}'.");

    /// <summary>Whether the parameter is present.</summary>
    public bool Has(string key) => Map.Children.ContainsKey(new YamlScalarNode(key));

    private string Scalar(string key)
    {
        var n = Node(key);
        return n is YamlScalarNode s && s.Value is { } v ? v : throw new InvalidDataException($"{source}:{n.Start.Line}: parameter '{key}' must be a scalar.");
    }

    /// <summary>An integer parameter.</summary>
    public int Int(string key) => int.TryParse(Scalar(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
        : throw new InvalidDataException($"{source}:{Node(key).Start.Line}: parameter '{key}' must be an integer, got '{Scalar(key)}'.");

    /// <summary>A long integer parameter.</summary>
    public long Long(string key) => long.TryParse(Scalar(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v
        : throw new InvalidDataException($"{source}:{Node(key).Start.Line}: parameter '{key}' must be an integer, got '{Scalar(key)}'.");

    /// <summary>A real parameter.</summary>
    public double Double(string key) => double.TryParse(Scalar(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
        : throw new InvalidDataException($"{source}:{Node(key).Start.Line}: parameter '{key}' must be a number, got '{Scalar(key)}'.");

    /// <summary>A string parameter.</summary>
    public string String(string key) => Scalar(key);

    /// <summary>A list of integers.</summary>
    public int[] Ints(string key) => Seq(key).Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
        : throw new InvalidDataException($"{source}: parameter '{key}' must be a list of integers, has '{s}'.")).ToArray();

    /// <summary>A list of reals.</summary>
    public double[] Doubles(string key) => Seq(key).Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
        : throw new InvalidDataException($"{source}: parameter '{key}' must be a list of numbers, has '{s}'.")).ToArray();

    /// <summary>A list of strings.</summary>
    public string[] Strings(string key) => Seq(key).ToArray();

    private IEnumerable<string> Seq(string key)
    {
        var n = Node(key);
        if (n is not YamlSequenceNode seq) throw new InvalidDataException($"{source}:{n.Start.Line}: parameter '{key}' must be a list.");
        return seq.Children.Select(c => c is YamlScalarNode s && s.Value is { } v ? v : throw new InvalidDataException($"{source}:{c.Start.Line}: '{key}' must hold scalars."));
    }

    /// <summary>A nested mapping serialized back to YAML (e.g. an embedded train config).</summary>
    public string Yaml(string key)
    {
        var n = Node(key);
        var doc = new YamlDocument(n);
        var s = new YamlStream(doc);
        using var w = new StringWriter();
        s.Save(w, assignAnchors: false);
        return w.ToString();
    }
}
