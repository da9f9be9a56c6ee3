using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Gradscope.IO;

/// <summary>
/// One command-line override <c>dotted.key=value</c> of a config tree (<c>algorithm.eta=0.1</c>,
/// <c>model.layers.0.out=64</c>, <c>model.mlp.widths=[2, 64, 1]</c>). The value is YAML (a scalar, a flow list
/// <c>[a, b]</c> or a flow mapping <c>{k: v}</c>); a numeric path segment indexes a list. Applying an override sets
/// the value in the tree (adding the key when absent) and marks the new nodes with the override's text, so that the
/// config's own reader judges it like a line of the file: an unknown key or a wrong type is reported as
/// <c>override algorithm.etaa=0.1: algorithm.etaa: unknown key 'etaa' in section algorithm (known: ...)</c>.
/// </summary>
public sealed record ConfigOverride(string Text, IReadOnlyList<string> Path, string Value)
{
    /// <summary>The dotted key as written ("algorithm.eta").</summary>
    public string Key => string.Join('.', Path);

    /// <summary>How errors name it: "override algorithm.eta=0.1".</summary>
    public string Where => $"override {Text}";

    /// <summary>Parses <c>key=value</c>.</summary>
    /// <exception cref="ArgumentException">No '=', an empty key or key segment, or an empty value; the message quotes the argument.</exception>
    public static ConfigOverride Parse(string text)
    {
        int eq = text.IndexOf('=');
        if (eq < 0) throw new ArgumentException($"override '{text}': expected key=value (e.g. algorithm.eta=0.1)");
        string key = text[..eq].Trim(), value = text[(eq + 1)..].Trim();
        if (key.Length == 0) throw new ArgumentException($"override '{text}': the key before '=' is empty");
        var path = key.Split('.');
        if (path.Any(p => p.Length == 0)) throw new ArgumentException($"override '{text}': key '{key}' has an empty part (write a.b.c)");
        if (value.Length == 0) throw new ArgumentException($"override '{text}': no value after '=' (write {key}=VALUE; null is written ~)");
        return new ConfigOverride(text, path, value);
    }

    /// <summary>Whether a command-line argument is an override (contains '=' and does not start with '-').</summary>
    public static bool Looks(string arg) => arg.Contains('=') && !arg.StartsWith('-');

    /// <summary>The value as a YAML node, marked with this override's location.</summary>
    /// <exception cref="ArgumentException">The value is not valid YAML (message names the override).</exception>
    public YamlNode ValueNode(YamlOrigins origins)
    {
        var stream = YamlInput.Load(Value, (_, what) => new ArgumentException($"{Where}: {Key}: the value is not valid YAML: {what}"));
        YamlNode node = stream.Documents.Count == 0 ? new YamlScalarNode("~") : stream.Documents[0].RootNode;
        origins.Mark(node, Where);
        return node;
    }

    /// <summary>
    /// Sets the value in <paramref name="root"/>: missing mappings on the way are created (the reader then rejects
    /// unknown keys); a numeric segment must index an existing list item.
    /// </summary>
    /// <exception cref="ArgumentException">The path runs through a value that is not a mapping or list, or past the end of a list.</exception>
    public void Apply(YamlMappingNode root, YamlOrigins origins)
    {
        var value = ValueNode(origins);
        YamlNode current = root;
        for (int i = 0; i < Path.Count; i++)
        {
            string part = Path[i];
            bool last = i == Path.Count - 1;
            string here = string.Join('.', Path.Take(i + 1));
            switch (current)
            {
                case YamlMappingNode m:
                {
                    var k = new YamlScalarNode(part);
                    if (last)
                    {
                        origins.MarkOne(k, Where);
                        m.Children.Remove(k);
                        m.Children.Add(k, value);
                        return;
                    }
                    if (!m.Children.TryGetValue(k, out var child) || YamlSection.IsNull(child))
                    {
                        child = new YamlMappingNode();
                        origins.MarkOne(k, Where);
                        origins.MarkOne(child, Where);
                        m.Children.Remove(k);
                        m.Children.Add(k, child);
                    }
                    current = child;
                    break;
                }
                case YamlSequenceNode q:
                {
                    if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                        throw new ArgumentException($"{Where}: {here}: '{string.Join('.', Path.Take(i))}' is a list; index it by a number (e.g. {string.Join('.', Path.Take(i))}.0)");
                    if (index >= q.Children.Count)
                        throw new ArgumentException($"{Where}: {here}: index {index} is past the end of the list ({q.Children.Count} items)");
                    if (last) { q.Children[index] = value; return; }
                    current = q.Children[index];
                    break;
                }
                default:
                    throw new ArgumentException($"{Where}: {here}: '{string.Join('.', Path.Take(i))}' is the value {YamlSection.Describe(current)}, which has no key '{part}'");
            }
        }
    }

    /// <summary>Applies <paramref name="overrides"/> in order to <paramref name="root"/>.</summary>
    public static void ApplyAll(YamlMappingNode root, YamlOrigins origins, IEnumerable<ConfigOverride> overrides)
    {
        foreach (var o in overrides) o.Apply(root, origins);
    }
}
