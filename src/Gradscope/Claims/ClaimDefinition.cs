using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Claims;

/// <summary>
/// A predeclared check or hypothesis: the measured <see cref="Quantity"/> must satisfy <c>value Op Value</c>, or for
/// <c>op: in</c> the closed bracket <c>Value &lt;= value &lt;= Upper</c>; <see cref="Why"/> justifies the threshold in one
/// line (what the theory predicts there) and <see cref="Source"/> names the literature statement it operationalizes
/// (null only in legacy definitions). A hypothesis with a <see cref="Control"/> belongs to that control's own setup.
/// </summary>
public sealed record Threshold(string Name, string Op, double Value, string Why, string? Quantity = null, string? Source = null,
    double? Upper = null, string? Control = null)
{
    /// <summary>Whether <paramref name="value"/> satisfies the threshold (NaN never does).</summary>
    public bool Holds(double value) => Report.Evidence.Compare(value, Op, Value, Upper);

    /// <summary>What the threshold needs, in words: "&lt;= 0.05" or "in [1.7, 2.3]".</summary>
    public string Needs => Report.Evidence.Needs(Op, Value, Upper, ClaimContext.Fmt);
}

/// <summary>A negative control: a variant where the theory predicts the opposite, judged by the listed checks.</summary>
public sealed record ControlDefinition(string Id, string Description, IReadOnlyList<string> Checks);

/// <summary>
/// A claim of THEORY.md section 6 as data: its id, statement, paper, the theorem's hypotheses (certified
/// on every run), the checks of its verdict rule and their thresholds (fixed before anything runs), its
/// negative controls, and the experiment parameters of each scale. Loaded from the embedded YAML file
/// Claims/Definitions/&lt;id&gt;.yaml (format: docs/claims.md).
/// </summary>
public sealed class ClaimDefinition
{
    private readonly Dictionary<string, YamlMappingNode> _scales;

    private ClaimDefinition(string id, string statement, string paper, IReadOnlyDictionary<string, Threshold> thresholds,
        IReadOnlyDictionary<string, Threshold> hypotheses, IReadOnlyList<ControlDefinition> controls, string? notes, bool legacy,
        Dictionary<string, YamlMappingNode> scales, string source)
    {
        Id = id; Statement = statement; Paper = paper; Thresholds = thresholds; Hypotheses = hypotheses; Controls = controls;
        Notes = notes; Legacy = legacy; _scales = scales; Source = source;
    }

    /// <summary>The claim id ("linear-max-margin").</summary>
    public string Id { get; }
    /// <summary>The claim as THEORY.md states it.</summary>
    public string Statement { get; }
    /// <summary>The source paper(s).</summary>
    public string Paper { get; }
    /// <summary>The checks (verdict thresholds) by name.</summary>
    public IReadOnlyDictionary<string, Threshold> Thresholds { get; }
    /// <summary>The theorem's hypotheses by name, certified on the run before any check is judged.</summary>
    public IReadOnlyDictionary<string, Threshold> Hypotheses { get; }
    /// <summary>The negative controls, in definition order.</summary>
    public IReadOnlyList<ControlDefinition> Controls { get; }
    /// <summary>Design notes (where the predeclared design departs from the literature, and why); null if none.</summary>
    public string? Notes { get; }
    /// <summary>True for a definition in the old format (<c>thresholds:</c>, no hypotheses, no controls).</summary>
    public bool Legacy { get; }
    /// <summary>Where the definition came from (for errors).</summary>
    public string Source { get; }

    /// <summary>The experiment parameters of a scale ("quick" or "full").</summary>
    public ClaimParameters Parameters(string scale) =>
        _scales.TryGetValue(scale, out var m) ? new ClaimParameters(m, $"{Source}: {scale}") :
        throw new InvalidDataException($"{Source}: no parameters for scale '{scale}' (has {string.Join(", ", _scales.Keys)}).");

    /// <summary>Parses a claim definition; errors name the source, line and key.</summary>
    /// <exception cref="InvalidDataException">The definition is malformed: an unknown key, a check without a measured
    /// quantity or source, a control without checks or naming an undeclared check; the message names source, line and key.</exception>
    public static ClaimDefinition Parse(string yaml, string source)
    {
        var stream = IO.YamlInput.Load(yaml, (line, what) => new InvalidDataException($"{source}:{line}: {what}"));
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"{source}: expected one YAML mapping.");
        string Str(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var n) && n is YamlScalarNode s && s.Value is { } v
            ? v : throw new InvalidDataException($"{source}: missing string key '{key}'.");
        var known = new HashSet<string> { "id", "statement", "paper", "thresholds", "checks", "hypotheses", "controls", "notes", "quick", "full" };
        foreach (var k in root.Children.Keys)
            if (k is not YamlScalarNode ks || ks.Value is null || !known.Contains(ks.Value))
                throw new InvalidDataException($"{source}:{k.Start.Line}: unknown key '{k}' (expected {string.Join(", ", known)}).");
        YamlNode? Child(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var n) ? n : null;
        bool legacy = Child("thresholds") is not null;
        if (legacy && Child("checks") is not null)
            throw new InvalidDataException($"{source}: has both 'thresholds' (old format) and 'checks'; use 'checks'.");
        if (legacy && (Child("hypotheses") is not null || Child("controls") is not null))
            throw new InvalidDataException($"{source}: 'hypotheses' and 'controls' need the 'checks' format (each check with quantity and source), not 'thresholds'.");
        var thresholds = ParseThresholds(Child(legacy ? "thresholds" : "checks"), legacy ? "thresholds" : "checks", strict: !legacy, source);
        var hypotheses = ParseThresholds(Child("hypotheses"), "hypotheses", strict: true, source);
        var controls = new List<ControlDefinition>();
        if (Child("controls") is { } cn)
        {
            if (cn is not YamlMappingNode cm) throw new InvalidDataException($"{source}:{cn.Start.Line}: controls must be a mapping of control id -> {{description, checks}}.");
            foreach (var (k, v) in cm.Children)
            {
                string id = Key(k, "controls", source);
                if (v is not YamlMappingNode vm) throw new InvalidDataException($"{source}:{v.Start.Line}: control '{id}' must be a mapping {{description, checks}}.");
                foreach (var ck in vm.Children.Keys)
                    if (Key(ck, $"controls.{id}", source) is not ("description" or "checks"))
                        throw new InvalidDataException($"{source}:{ck.Start.Line}: control '{id}' has unknown key '{ck}' (expected description, checks).");
                string description = vm.Children.TryGetValue(new YamlScalarNode("description"), out var d) && d is YamlScalarNode ds && !string.IsNullOrWhiteSpace(ds.Value)
                    ? ds.Value.Trim() : throw new InvalidDataException($"{source}:{vm.Start.Line}: control '{id}' needs a 'description' (the variant and what the theory predicts for it).");
                if (!vm.Children.TryGetValue(new YamlScalarNode("checks"), out var chn) || chn is not YamlSequenceNode chs || chs.Children.Count == 0)
                    throw new InvalidDataException($"{source}:{vm.Start.Line}: control '{id}' has no check: 'checks' must list at least one of the claim's checks.");
                var names = new List<string>();
                foreach (var c in chs.Children)
                {
                    string name = c is YamlScalarNode cs && cs.Value is { Length: > 0 } cv ? cv
                        : throw new InvalidDataException($"{source}:{c.Start.Line}: control '{id}': checks must be check names.");
                    if (!thresholds.ContainsKey(name))
                        throw new InvalidDataException($"{source}:{c.Start.Line}: control '{id}' names check '{name}', which the definition does not declare (checks: {string.Join(", ", thresholds.Keys)}).");
                    names.Add(name);
                }
                controls.Add(new ControlDefinition(id, description, names));
            }
        }
        foreach (var h in hypotheses.Values.Where(h => h.Control is not null && controls.All(c => c.Id != h.Control)))
            throw new InvalidDataException($"{source}:{HypothesisLine(Child("hypotheses"), h.Name)}: hypotheses.{h.Name} names control '{h.Control}', which the definition does not declare (controls: {(controls.Count == 0 ? "none" : string.Join(", ", controls.Select(c => c.Id)))}).");
        string? notes = Child("notes") is YamlScalarNode ns && !string.IsNullOrWhiteSpace(ns.Value) ? ns.Value.Trim() : null;
        var scales = new Dictionary<string, YamlMappingNode>();
        foreach (string scale in new[] { "quick", "full" })
            if (Child(scale) is { } sn)
                scales[scale] = sn as YamlMappingNode ?? throw new InvalidDataException($"{source}:{sn.Start.Line}: '{scale}' must be a mapping.");
        if (scales.Count != 2)
            throw new InvalidDataException($"{source}: a claim needs both a quick and a full parameter mapping (has {(scales.Count == 0 ? "neither" : string.Join(", ", scales.Keys))}).");
        return new ClaimDefinition(Str("id"), Str("statement").Trim(), Str("paper"), thresholds, hypotheses, controls, notes, legacy, scales, source);
    }

    static long HypothesisLine(YamlNode? hypotheses, string name) =>
        hypotheses is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(name), out var v) ? v.Start.Line : 0;

    static string Key(YamlNode k, string where, string source) => k is YamlScalarNode s && s.Value is { Length: > 0 } v ? v
        : throw new InvalidDataException($"{source}:{k.Start.Line}: {where}: keys must be plain names.");

    // checks and hypotheses share one shape: name -> {quantity, op, value, why, source}
    static Dictionary<string, Threshold> ParseThresholds(YamlNode? node, string section, bool strict, string source)
    {
        var result = new Dictionary<string, Threshold>();
        if (node is null) return result;
        if (node is not YamlMappingNode map) throw new InvalidDataException($"{source}:{node.Start.Line}: {section} must be a mapping.");
        var fields = strict ? new[] { "quantity", "op", "value", "why", "source" } : new[] { "op", "value", "why", "quantity", "source" };
        if (section == "hypotheses") fields = [.. fields, "control"];
        foreach (var (k, v) in map.Children)
        {
            string name = Key(k, section, source);
            if (v is not YamlMappingNode vm) throw new InvalidDataException($"{source}:{v.Start.Line}: {section}.{name} must be a mapping {{{string.Join(", ", fields)}}}.");
            foreach (var fk in vm.Children.Keys)
                if (Array.IndexOf(fields, Key(fk, $"{section}.{name}", source)) < 0)
                    throw new InvalidDataException($"{source}:{fk.Start.Line}: {section}.{name} has unknown key '{fk}' (expected {string.Join(", ", fields)}).");
            string? Opt(string key) => vm.Children.TryGetValue(new YamlScalarNode(key), out var x) && x is YamlScalarNode xs && !string.IsNullOrWhiteSpace(xs.Value) ? xs.Value.Trim() : null;
            string Get(string key) => Opt(key) ?? throw new InvalidDataException(key == "quantity"
                ? $"{source}:{vm.Start.Line}: {section}.{name} names no measured quantity: add 'quantity' (what the rule measures and compares)."
                : $"{source}:{vm.Start.Line}: {section}.{name} needs '{key}'.");
            string op = Get("op");
            if (op is not ("<=" or ">=" or "<" or ">" or "=" or "in"))
                throw new InvalidDataException($"{source}:{vm.Start.Line}: {section}.{name} has op '{op}'; expected <=, >=, <, >, = or in (a bracket [lo, hi]).");
            var (value, upper) = ParseValue(vm, op, $"{section}.{name}", source);
            result[name] = strict
                ? new Threshold(name, op, value, Get("why"), Get("quantity"), Get("source"), upper, Opt("control"))
                : new Threshold(name, op, value, Get("why"), Opt("quantity"), Opt("source"), upper);
        }
        return result;
    }

    // value: a number for a one-sided op; [lo, hi] (finite, lo < hi) for op "in"
    static (double Value, double? Upper) ParseValue(YamlMappingNode vm, string op, string where, string source)
    {
        if (!vm.Children.TryGetValue(new YamlScalarNode("value"), out var node) || node is YamlScalarNode { Value: null or "" })
            throw new InvalidDataException($"{source}:{vm.Start.Line}: {where} needs 'value'.");
        static bool Number(YamlNode n, out double v)
        {
            v = double.NaN;
            return n is YamlScalarNode s && s.Value is { } text && double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out v) && !double.IsNaN(v);
        }
        if (op != "in")
        {
            if (node is YamlSequenceNode)
                throw new InvalidDataException($"{source}:{node.Start.Line}: {where} value is a list, which only op 'in' takes (a bracket [lo, hi]); op '{op}' needs one number.");
            if (!Number(node, out double v))
                throw new InvalidDataException($"{source}:{node.Start.Line}: {where} value '{(node as YamlScalarNode)?.Value ?? node.ToString()}' is not a number.");
            return (v, null);
        }
        if (node is not YamlSequenceNode seq || seq.Children.Count != 2)
            throw new InvalidDataException($"{source}:{node.Start.Line}: {where} has op 'in' and needs value: [lo, hi] (two numbers), got '{(node as YamlScalarNode)?.Value ?? node.ToString()}'.");
        if (!Number(seq.Children[0], out double lo) || !Number(seq.Children[1], out double hi))
            throw new InvalidDataException($"{source}:{node.Start.Line}: {where} bracket [{string.Join(", ", seq.Children.Select(c => (c as YamlScalarNode)?.Value ?? c.ToString()))}] must hold two numbers.");
        if (!double.IsFinite(lo) || !double.IsFinite(hi))
            throw new InvalidDataException($"{source}:{node.Start.Line}: {where} bracket [{lo}, {hi}] must have finite ends (use a one-sided op for a half-line).");
        if (!(lo < hi))
            throw new InvalidDataException($"{source}:{node.Start.Line}: {where} bracket [{lo}, {hi}] needs lo < hi.");
        return (lo, hi);
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
