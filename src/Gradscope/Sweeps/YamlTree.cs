using System.Globalization;
using System.Text;
using System.Text.Json;
using Gradscope.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Sweeps;

/// <summary>Helpers on the YamlDotNet representation model: load, deep copy, dotted-key lookup and
/// replacement, canonical JSON (for hashing) and YAML text.</summary>
public static class YamlTree
{
    /// <summary>Parses YAML text whose root must be a mapping.</summary>
    /// <exception cref="SweepException">The text is not YAML or its root is not a mapping (message names <paramref name="source"/>).</exception>
    public static YamlMappingNode LoadMapping(string text, string source)
    {
        var stream = YamlInput.Load(text, (line, what) => new SweepException($"{source}:{line}: {what}"));
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new SweepException($"{source}: expected a YAML mapping at the top level");
        return root;
    }

    /// <summary>Deep copy of a node (scalars keep their style and tag).</summary>
    public static YamlNode Clone(YamlNode node) => node switch
    {
        YamlScalarNode s => new YamlScalarNode(s.Value) { Style = s.Style, Tag = s.Tag },
        YamlSequenceNode q => new YamlSequenceNode(q.Children.Select(Clone)) { Style = q.Style },
        YamlMappingNode m => CloneMapping(m),
        _ => throw new SweepException($"unsupported YAML node {node.NodeType}"),
    };

    static YamlMappingNode CloneMapping(YamlMappingNode m)
    {
        var copy = new YamlMappingNode { Style = m.Style };
        foreach (var (k, v) in m.Children) copy.Add(Clone(k), Clone(v));
        return copy;
    }

    /// <summary>Whether the dotted key (e.g. "model.width", "model.layers.0.out") names an existing entry of <paramref name="root"/>.</summary>
    public static bool Contains(YamlMappingNode root, string dottedKey) => Absent(root, dottedKey) is null;

    /// <summary>
    /// Null when the dotted key names an existing entry of <paramref name="root"/>; otherwise why not, naming what is
    /// there instead ("section algorithm has: eta, name"). Path segments follow the command-line overrides
    /// (<see cref="ConfigOverride"/>): a name selects a mapping key, a number an item of a list.
    /// </summary>
    public static string? Absent(YamlMappingNode root, string dottedKey)
    {
        var parts = dottedKey.Split('.');
        if (parts.Any(p => p.Length == 0)) return $"'{dottedKey}' has an empty part (write a.b.c)";
        YamlNode current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            string at = i == 0 ? "the top level" : $"'{string.Join('.', parts.Take(i))}'";
            switch (current)
            {
                case YamlMappingNode m:
                    if (!m.Children.TryGetValue(new YamlScalarNode(parts[i]), out var child))
                        return m.Children.Count == 0 ? $"{at} has no keys"
                            : $"{at} has: {string.Join(", ", m.Children.Keys.Select(k => ((YamlScalarNode)k).Value).Order(StringComparer.Ordinal))}";
                    current = child;
                    break;
                case YamlSequenceNode q:
                    if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                        return $"{at} is a list; index it by a number ({string.Join('.', parts.Take(i))}.0)";
                    if (index >= q.Children.Count) return $"{at} is a list of {q.Children.Count} items";
                    current = q.Children[index];
                    break;
                default:
                    return $"{at} is the value {YamlSection.Describe(current)}, which has no key '{parts[i]}'";
            }
        }
        return null;
    }

    /// <summary>Replaces the value at an existing dotted key (a number indexes a list) by <paramref name="value"/> (copied).</summary>
    /// <exception cref="SweepException">The key does not exist in the tree.</exception>
    public static void Set(YamlMappingNode root, string dottedKey, YamlNode value)
    {
        if (Absent(root, dottedKey) is { } why) throw new SweepException($"key '{dottedKey}' does not exist in the config ({why})");
        var parts = dottedKey.Split('.');
        YamlNode parent = root;
        foreach (var p in parts[..^1])
            parent = parent is YamlMappingNode m ? m.Children[new YamlScalarNode(p)] : ((YamlSequenceNode)parent).Children[int.Parse(p, CultureInfo.InvariantCulture)];
        if (parent is YamlMappingNode pm) pm.Children[new YamlScalarNode(parts[^1])] = Clone(value);
        else ((YamlSequenceNode)parent).Children[int.Parse(parts[^1], CultureInfo.InvariantCulture)] = Clone(value);
    }

    /// <summary>Sets a top-level key, adding it when absent (used for <c>seed</c>).</summary>
    public static void SetTopLevel(YamlMappingNode root, string key, YamlNode value) =>
        root.Children[new YamlScalarNode(key)] = Clone(value);

    /// <summary>YAML text of a mapping (no anchors).</summary>
    public static string ToYaml(YamlMappingNode root)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(root)).Save(w, assignAnchors: false);
        var text = w.ToString();
        // YamlDotNet ends a document with "...": keep the file a plain single document.
        if (text.EndsWith("...\n", StringComparison.Ordinal)) text = text[..^4];
        return text;
    }

    /// <summary>Canonical JSON: mapping keys sorted ordinally, plain scalars typed (null, bool, number) as YAML 1.2 core
    /// reads them, everything else a string. Two configs that read the same give the same text.</summary>
    public static string ToCanonicalJson(YamlNode node)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) Write(w, node);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    static void Write(Utf8JsonWriter w, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode m:
                w.WriteStartObject();
                foreach (var (k, v) in m.Children.Select(p => (Key: ((YamlScalarNode)p.Key).Value ?? "", p.Value)).OrderBy(p => p.Key, StringComparer.Ordinal))
                { w.WritePropertyName(k); Write(w, v); }
                w.WriteEndObject();
                break;
            case YamlSequenceNode q:
                w.WriteStartArray();
                foreach (var c in q.Children) Write(w, c);
                w.WriteEndArray();
                break;
            case YamlScalarNode s:
                WriteScalar(w, s);
                break;
        }
    }

    static void WriteScalar(Utf8JsonWriter w, YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        { w.WriteStringValue(v); return; }
        if (v is "" or "~" or "null" or "Null" or "NULL") { w.WriteNullValue(); return; }
        if (v is "true" or "True" or "TRUE") { w.WriteBooleanValue(true); return; }
        if (v is "false" or "False" or "FALSE") { w.WriteBooleanValue(false); return; }
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) { w.WriteNumberValue(l); return; }
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) { w.WriteNumberValue(d); return; }
        w.WriteStringValue(v);
    }

    /// <summary>Display text of a scalar or the canonical JSON of a collection (used as a hyperparameter value label).</summary>
    public static string Label(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : ToCanonicalJson(node);
}
