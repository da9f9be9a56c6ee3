using YamlDotNet.RepresentationModel;

namespace Gradscope.IO;

/// <summary>
/// Deep copy and deep merge of config trees, keeping each node's location (<see cref="YamlOrigins"/>): a claim's
/// <c>full</c> section states only what differs from its <c>quick</c> one.
/// Merge rule: mappings merge key by key (recursively); any other value (scalar, list) in the overlay replaces the
/// base value whole; a null value (<c>~</c>) in the overlay removes the key.
/// </summary>
public static class YamlMerge
{
    /// <summary>A deep copy of <paramref name="node"/>; every copied node keeps the location of its original.</summary>
    public static YamlNode Copy(YamlNode node, YamlOrigins origins)
    {
        YamlNode copy = node switch
        {
            YamlScalarNode s => new YamlScalarNode(s.Value) { Style = s.Style, Tag = s.Tag },
            YamlSequenceNode q => new YamlSequenceNode(q.Children.Select(c => Copy(c, origins))) { Style = q.Style },
            YamlMappingNode m => CopyMapping(m, origins),
            _ => throw new InvalidDataException($"{origins.Of(node)}: unsupported YAML node {node.NodeType}"),
        };
        origins.MarkOne(copy, origins.Of(node));
        return copy;
    }

    private static YamlMappingNode CopyMapping(YamlMappingNode m, YamlOrigins origins)
    {
        var copy = new YamlMappingNode { Style = m.Style };
        foreach (var (k, v) in m.Children) copy.Add(Copy(k, origins), Copy(v, origins));
        return copy;
    }

    /// <summary>A new tree: <paramref name="overlay"/> merged over <paramref name="baseMap"/> (neither is changed).</summary>
    public static YamlMappingNode Merge(YamlMappingNode baseMap, YamlMappingNode overlay, YamlOrigins origins)
    {
        var result = (YamlMappingNode)Copy(baseMap, origins);
        foreach (var (k, v) in overlay.Children)
        {
            var key = k as YamlScalarNode ?? throw new InvalidDataException($"{origins.Of(k)}: keys must be plain names");
            var existing = result.Children.FirstOrDefault(p => p.Key is YamlScalarNode rk && rk.Value == key.Value);
            if (YamlSection.IsNull(v))
            {
                if (existing.Key is not null) result.Children.Remove(existing.Key);
                continue;
            }
            YamlNode merged = existing.Value is YamlMappingNode bm && v is YamlMappingNode om ? Merge(bm, om, origins) : Copy(v, origins);
            if (existing.Key is not null)
            {
                if (merged is not YamlMappingNode) origins.MarkOne(existing.Key, origins.Of(key)); // errors point at the overlay's line
                result.Children[existing.Key] = merged;
            }
            else result.Children.Add(Copy(key, origins), merged);
        }
        return result;
    }
}
