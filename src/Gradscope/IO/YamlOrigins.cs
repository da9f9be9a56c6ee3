using YamlDotNet.RepresentationModel;

namespace Gradscope.IO;

/// <summary>
/// Where each node of a config tree came from, for error messages: a line of the file (<c>config.yaml:12</c>), or,
/// for a node a command-line override put there, the override itself (<c>override algorithm.eta=0.1</c>). Nodes
/// built by merging (a claim's <c>full</c> over its <c>quick</c>) carry the location of the node they stand for.
/// </summary>
public sealed class YamlOrigins(string source)
{
    private readonly Dictionary<YamlNode, string> _marked = new(ReferenceEqualityComparer.Instance);

    /// <summary>The file (or label) the tree was read from.</summary>
    public string Source { get; } = source;

    /// <summary>The location of <paramref name="node"/>: its mark, else "source:line".</summary>
    public string Of(YamlNode node) => _marked.TryGetValue(node, out var where) ? where : $"{Source}:{node.Start.Line}";

    /// <summary>Whether <paramref name="node"/> came from an override or a merge rather than straight from the file.</summary>
    public bool IsMarked(YamlNode node) => _marked.ContainsKey(node);

    /// <summary>Gives <paramref name="node"/> and everything below it the location <paramref name="where"/>.</summary>
    public void Mark(YamlNode node, string where)
    {
        var stack = new Stack<YamlNode>();
        stack.Push(node);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            _marked[n] = where;
            if (n is YamlMappingNode m) foreach (var (k, v) in m.Children) { stack.Push(k); stack.Push(v); }
            else if (n is YamlSequenceNode q) foreach (var c in q.Children) stack.Push(c);
        }
    }

    /// <summary>Gives <paramref name="node"/> alone the location <paramref name="where"/> (its children keep theirs).</summary>
    public void MarkOne(YamlNode node, string where) => _marked[node] = where;
}
