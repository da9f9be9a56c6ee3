using System.Globalization;
using Gradscope.IO;
using Gradscope.Training;
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
    private readonly YamlOrigins _origins;

    private ClaimDefinition(string id, string statement, string paper, IReadOnlyDictionary<string, Threshold> thresholds,
        IReadOnlyDictionary<string, Threshold> hypotheses, IReadOnlyList<ControlDefinition> controls, string? notes, bool legacy,
        Dictionary<string, YamlMappingNode> scales, string source, YamlOrigins origins, IReadOnlyList<ClaimOverride> overrides)
    {
        Id = id; Statement = statement; Paper = paper; Thresholds = thresholds; Hypotheses = hypotheses; Controls = controls;
        Notes = notes; Legacy = legacy; _scales = scales; Source = source; _origins = origins; Overrides = overrides;
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

    /// <summary>Command-line overrides of the parameters (<c>reproduce ... balance.quick.relu.algorithm.eta=0.02</c>), in order.</summary>
    public IReadOnlyList<ClaimOverride> Overrides { get; }

    /// <summary>
    /// The experiment parameters of a scale: <c>quick</c> as written; <c>full</c> is <c>quick</c> with the <c>full</c>
    /// section merged over it (<see cref="YamlMerge"/>: it states only what differs); then the overrides of that scale.
    /// </summary>
    /// <exception cref="InvalidDataException">An unknown scale, or an override that cannot apply (message names it).</exception>
    public ClaimParameters Parameters(string scale)
    {
        var map = scale switch
        {
            "quick" => (YamlMappingNode)YamlMerge.Copy(_scales["quick"], _origins),
            "full" => YamlMerge.Merge(_scales["quick"], _scales["full"], _origins),
            _ => throw new InvalidDataException($"{Source}: no parameters for scale '{scale}' (has quick, full)."),
        };
        try { ConfigOverride.ApplyAll(map, _origins, Overrides.Where(o => o.Scale is null || o.Scale == scale).Select(o => o.Override)); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
        return new ClaimParameters(map, _origins, scale);
    }

    /// <summary>
    /// Checks the overrides of <paramref name="scale"/> before anything runs: each applies, names a parameter the scale
    /// has, and an embedded training config it touches still reads and validates (unknown keys and wrong types fail
    /// here, named "override ...: key: message").
    /// </summary>
    /// <exception cref="InvalidDataException">The first override that fails, named with the reason.</exception>
    public void CheckOverrides(string scale)
    {
        var mine = Overrides.Where(o => o.Scale is null || o.Scale == scale).ToList();
        if (mine.Count == 0) return;
        var before = scale == "quick" ? _scales["quick"] : YamlMerge.Merge(_scales["quick"], _scales["full"], _origins);
        var p = Parameters(scale);
        foreach (var o in mine)
        {
            string top = o.Override.Path[0];
            var node = before.Children.FirstOrDefault(c => c.Key is YamlScalarNode k && k.Value == top).Value;
            if (node is null)
                throw new InvalidDataException($"{o.Override.Where}: {scale}.{top}: unknown parameter '{top}' of claim {Id} (known: {string.Join(", ", before.Children.Keys.Select(k => ((YamlScalarNode)k).Value).Order(StringComparer.Ordinal))})");
            if (node is YamlMappingNode m && m.Children.ContainsKey(new YamlScalarNode("algorithm")))
            {
                try { TrainerAlgorithms.Create<double>(p.TrainConfig(top)); } // the algorithm's own keys too
                catch (TrainConfigException e) { throw new InvalidDataException(e.Message); }
            }
            else if (o.Override.Path.Count > 1 && !Exists(before, o.Override.Path))
                throw new InvalidDataException($"{o.Override.Where}: {scale}.{o.Override.Key}: claim {Id} has no parameter '{o.Override.Key}' at scale {scale}");
        }
    }

    private static bool Exists(YamlNode node, IReadOnlyList<string> path)
    {
        foreach (string part in path)
        {
            node = node switch
            {
                YamlMappingNode m when m.Children.TryGetValue(new YamlScalarNode(part), out var c) => c,
                YamlSequenceNode q when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < q.Children.Count => q.Children[i],
                _ => null!,
            };
            if (node is null) return false;
        }
        return true;
    }

    /// <summary>This definition with <paramref name="overrides"/> added to its parameter overrides.</summary>
    public ClaimDefinition WithOverrides(IEnumerable<ClaimOverride> overrides) =>
        new(Id, Statement, Paper, Thresholds, Hypotheses, Controls, Notes, Legacy, _scales, Source, _origins, [.. Overrides, .. overrides]);

    /// <summary>The comparison operators of a check ("in" takes a bracket [lo, hi]).</summary>
    public static IReadOnlyList<string> Ops { get; } = ["<=", ">=", "<", ">", "=", "in"];

    /// <summary>The top-level keys of a claim definition.</summary>
    public static IReadOnlyList<string> TopLevelKeys { get; } = ["id", "statement", "paper", "thresholds", "checks", "hypotheses", "controls", "notes", "quick", "full"];

    /// <summary>Parses a claim definition; errors name the source, line and key.</summary>
    /// <remarks>Read through <see cref="YamlSection"/>, like every Gradscope config: errors read
    /// "claims/x.yaml:12: checks.slope.op: must be one of ..., got '~'".</remarks>
    /// <exception cref="InvalidDataException">The definition is malformed: an unknown key, a check without a measured
    /// quantity or source, a control without checks or naming an undeclared check; the message names source, line and key.</exception>
    public static ClaimDefinition Parse(string yaml, string source)
    {
        var stream = IO.YamlInput.Load(yaml, (line, what) => new InvalidDataException($"{source}:{line}: {what}"));
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException(stream.Documents.Count == 1
                ? $"{source}:{stream.Documents[0].RootNode.Start.Line}: expected one YAML mapping."
                : $"{source}: expected one YAML mapping.");
        var origins = new YamlOrigins(source);
        var r = new YamlSection(origins, "", root, m => new InvalidDataException(m));
        foreach (var k in TopLevelKeys) r.Node(k);
        r.RejectUnknown(); // unknown keys first, as a misspelt key is the likeliest cause of what follows
        string Str(string key) => r.String(key) ?? throw r.Missing(key);
        bool legacy = r.Has("thresholds");
        if (legacy && r.Has("checks"))
            throw r.Error("checks", "the definition has both 'thresholds' (old format) and 'checks'; use 'checks'");
        if (legacy && (r.Has("hypotheses") || r.Has("controls")))
            throw r.Error(r.Has("hypotheses") ? "hypotheses" : "controls", "'hypotheses' and 'controls' need the 'checks' format (each check with quantity and source), not 'thresholds'");
        var thresholds = ParseThresholds(r, legacy ? "thresholds" : "checks", strict: !legacy);
        var hypotheses = ParseThresholds(r, "hypotheses", strict: true);
        var controls = ParseControls(r, thresholds);
        foreach (var h in hypotheses.Values.Where(h => h.Control is not null && controls.All(c => c.Id != h.Control)))
            throw new InvalidDataException(
                $"{(r.Locations.TryGetValue($"hypotheses.{h.Name}.control", out var w) ? w : source)}: hypotheses.{h.Name}.control: names control '{h.Control}', which the definition does not declare (controls: {(controls.Count == 0 ? "none" : string.Join(", ", controls.Select(c => c.Id)))})");
        string? notes = r.Node("notes") is YamlScalarNode ns && !string.IsNullOrWhiteSpace(ns.Value) ? ns.Value.Trim() : null;
        var scales = new Dictionary<string, YamlMappingNode>();
        foreach (string scale in new[] { "quick", "full" })
            if (r.Node(scale) is { } sn)
                scales[scale] = sn as YamlMappingNode ?? throw r.Type(scale, sn, "a mapping of the claim's parameters");
        if (scales.Count != 2)
            throw r.ErrorAt(root, "", $"a claim needs both a quick and a full parameter mapping (has {(scales.Count == 0 ? "neither" : string.Join(", ", scales.Keys))})");
        return new ClaimDefinition(Str("id"), Str("statement").Trim(), Str("paper"), thresholds, hypotheses, controls, notes, legacy, scales, source, origins, []);
    }

    // controls: id -> {description, checks: [names of declared checks]}
    static List<ControlDefinition> ParseControls(YamlSection r, Dictionary<string, Threshold> thresholds)
    {
        var controls = new List<ControlDefinition>();
        var cn = r.Node("controls");
        if (cn is null) return controls;
        if (cn is not YamlMappingNode cm) throw r.Type("controls", cn, "a mapping of control id -> {description, checks}");
        var all = new YamlSection(r.Origins, "controls", cm, m => new InvalidDataException(m), r.Locations);
        foreach (var (k, _) in cm.Children)
        {
            string id = Name(all, k);
            var v = all.Node(id);
            if (v is not YamlMappingNode vm) throw all.ErrorAt(v ?? k, all.Key(id), $"control '{id}' must be a mapping {{description, checks}}, got {(v is null ? "nothing" : YamlSection.Describe(v))}");
            var c = new YamlSection(r.Origins, all.Key(id), vm, m => new InvalidDataException(m), r.Locations);
            c.Node("description"); c.Node("checks");
            c.RejectUnknown();
            string description = c.String("description") is { } d && !string.IsNullOrWhiteSpace(d) ? d.Trim()
                : throw c.Missing("description", "(the variant and what the theory predicts for it)");
            var chs = c.List("checks", "a list of the claim's check names");
            if (chs is null || chs.Children.Count == 0)
                throw c.Error("checks", $"control '{id}' has no check: 'checks' must list at least one of the claim's checks");
            var names = new List<string>();
            for (int i = 0; i < chs.Children.Count; i++)
            {
                var n = chs.Children[i];
                string name = n is YamlScalarNode cs && cs.Value is { Length: > 0 } cv ? cv
                    : throw c.ErrorAt(n, $"{c.Key("checks")}[{i}]", $"must be a check name, got {YamlSection.Describe(n)}");
                if (!thresholds.ContainsKey(name))
                    throw c.ErrorAt(n, $"{c.Key("checks")}[{i}]", $"control '{id}' names check '{name}', which the definition does not declare (checks: {string.Join(", ", thresholds.Keys)})");
                names.Add(name);
            }
            controls.Add(new ControlDefinition(id, description, names));
        }
        return controls;
    }

    static string Name(YamlSection s, YamlNode k) => k is YamlScalarNode ks && ks.Value is { Length: > 0 } v ? v
        : throw s.ErrorAt(k, s.Path, $"keys must be plain names, got {YamlSection.Describe(k)}");

    // checks and hypotheses share one shape: name -> {quantity, op, value, why, source}
    static Dictionary<string, Threshold> ParseThresholds(YamlSection r, string section, bool strict)
    {
        var result = new Dictionary<string, Threshold>();
        var node = r.Node(section);
        if (node is null) return result;
        if (node is not YamlMappingNode map) throw r.Type(section, node, "a mapping of name -> {quantity, op, value, why, source}");
        string[] fields = strict ? ["quantity", "op", "value", "why", "source"] : ["op", "value", "why", "quantity", "source"];
        if (section == "hypotheses") fields = [.. fields, "control"];
        var all = new YamlSection(r.Origins, section, map, m => new InvalidDataException(m), r.Locations);
        foreach (var (k, _) in map.Children)
        {
            string name = Name(all, k);
            var v = all.Node(name);
            if (v is not YamlMappingNode vm)
                throw all.ErrorAt(v ?? k, all.Key(name), $"must be a mapping {{{string.Join(", ", fields)}}}, got {(v is null ? "nothing" : YamlSection.Describe(v))}");
            var e = new YamlSection(r.Origins, all.Key(name), vm, m => new InvalidDataException(m), r.Locations);
            foreach (var f in fields) e.Node(f);
            e.RejectUnknown();
            string? Opt(string key) => e.String(key) is { } x && !string.IsNullOrWhiteSpace(x) ? x.Trim() : null;
            string Get(string key) => Opt(key) ?? throw (key == "quantity"
                ? e.ErrorAt(vm, e.Path, "names no measured quantity: add 'quantity' (what the rule measures and compares)")
                : e.Missing(key));
            string op = Get("op");
            if (!Ops.Contains(op))
                throw e.Error("op", $"must be one of {string.Join(", ", Ops)} (in takes a bracket [lo, hi]), got '{op}'");
            var (value, upper) = ParseValue(e, op);
            result[name] = strict
                ? new Threshold(name, op, value, Get("why"), Get("quantity"), Get("source"), upper, Opt("control"))
                : new Threshold(name, op, value, Get("why"), Opt("quantity"), Opt("source"), upper);
        }
        return result;
    }

    // value: a number for a one-sided op; [lo, hi] (finite, lo < hi) for op "in"
    static (double Value, double? Upper) ParseValue(YamlSection e, string op)
    {
        var node = e.Node("value");
        if (node is null || node is YamlScalarNode { Value: "" }) throw e.Missing("value");
        string where = e.Key("value");
        static bool Number(YamlNode n, out double v)
        {
            v = double.NaN;
            return n is YamlScalarNode s && s.Value is { } text && double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out v) && !double.IsNaN(v);
        }
        if (op != "in")
        {
            if (node is YamlSequenceNode)
                throw e.ErrorAt(node, where, $"is a list, which only op 'in' takes (a bracket [lo, hi]); op '{op}' needs one number");
            if (!Number(node, out double v))
                throw e.ErrorAt(node, where, $"must be a number, got {YamlSection.Describe(node)}");
            return (v, null);
        }
        if (node is not YamlSequenceNode seq || seq.Children.Count != 2)
            throw e.ErrorAt(node, where, $"op 'in' needs value: [lo, hi] (two numbers), got {YamlSection.Describe(node)}");
        if (!Number(seq.Children[0], out double lo) || !Number(seq.Children[1], out double hi))
            throw e.ErrorAt(node, where, $"bracket [{string.Join(", ", seq.Children.Select(c => (c as YamlScalarNode)?.Value ?? c.ToString()))}] must hold two numbers");
        if (!double.IsFinite(lo) || !double.IsFinite(hi))
            throw e.ErrorAt(node, where, $"bracket [{lo}, {hi}] must have finite ends (use a one-sided op for a half-line)");
        if (!(lo < hi))
            throw e.ErrorAt(node, where, $"bracket [{lo}, {hi}] needs lo < hi");
        return (lo, hi);
    }
}

/// <summary>
/// Typed access to a claim's experiment parameters at one scale (a <see cref="YamlSection"/>): a missing or mistyped
/// key is an error "claims/id.yaml:LINE: full.key: message"; an embedded training config is read in place
/// (<see cref="TrainConfig"/>), not serialized and parsed again.
/// </summary>
public sealed class ClaimParameters
{
    private readonly YamlSection _section;

    /// <summary>Wraps the parameter mapping of scale <paramref name="scale"/>.</summary>
    public ClaimParameters(YamlMappingNode map, YamlOrigins origins, string scale)
    {
        Map = map; Origins = origins; Scale = scale;
        _section = new YamlSection(origins, scale, map, m => new InvalidDataException(m));
    }

    /// <summary>The raw mapping (after the merge of <c>full</c> over <c>quick</c> and any overrides).</summary>
    public YamlMappingNode Map { get; }
    /// <summary>Where each node came from (file lines, overrides).</summary>
    public YamlOrigins Origins { get; }
    /// <summary>"quick" or "full".</summary>
    public string Scale { get; }

    /// <summary>Whether the parameter is present (and not null).</summary>
    public bool Has(string key) => _section.Has(key);

    /// <summary>An integer parameter.</summary>
    public int Int(string key) => _section.Int(key) ?? throw _section.Missing(key);
    /// <summary>A long integer parameter.</summary>
    public long Long(string key) => _section.Long(key) ?? throw _section.Missing(key);
    /// <summary>A real parameter.</summary>
    public double Double(string key) => _section.Double(key) ?? throw _section.Missing(key);
    /// <summary>A string parameter.</summary>
    public string String(string key) => _section.String(key) ?? throw _section.Missing(key);
    /// <summary>A list of integers.</summary>
    public int[] Ints(string key) => _section.IntList(key) ?? throw _section.Missing(key);
    /// <summary>A list of reals.</summary>
    public double[] Doubles(string key) => _section.DoubleList(key) ?? throw _section.Missing(key);
    /// <summary>A list of strings.</summary>
    public string[] Strings(string key) => _section.StringList(key) ?? throw _section.Missing(key);

    /// <summary>The mapping of parameter <paramref name="key"/> (e.g. a dataset {name, ...}).</summary>
    public YamlSection Section(string key) => _section.Map(key) ?? throw _section.Missing(key);

    /// <summary>The training config embedded under <paramref name="key"/>, read and validated in place.</summary>
    /// <exception cref="TrainConfigException">The embedded config is invalid (message: file, line, key).</exception>
    public TrainConfig TrainConfig(string key)
    {
        var node = _section.Node(key) ?? throw new TrainConfigException(_section.Missing(key).Message);
        if (node is not YamlMappingNode m) throw new TrainConfigException(_section.Type(key, node, "a training config mapping").Message);
        return TrainConfigYaml.Read(m, Origins) with { Source = $"{Origins.Source} ({Scale}.{key})" };
    }
}
