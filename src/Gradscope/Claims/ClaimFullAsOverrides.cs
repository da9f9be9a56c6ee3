using System.Text;
using Gradscope.IO;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Claims;

/// <summary>
/// The mechanical rewrite of a claim definition whose <c>full</c> section repeats the whole of <c>quick</c> into one whose
/// <c>full</c> states only what differs (<see cref="ClaimDefinition.Parameters"/> merges it over <c>quick</c>): a key whose
/// value equals quick's is dropped, a mapping keeps only its differing keys, any other differing value is kept whole, and
/// a key quick has but full lacks is written <c>key: ~</c> (removed by the merge). Only the <c>full:</c> block of the
/// text changes; its comment lines are kept, each before the first-level key it was written under. A rewritten file
/// carries <see cref="Marker"/> before <c>full:</c>, and is left alone by a second run.
/// </summary>
public static class ClaimFullAsOverrides
{
    /// <summary>The comment line that marks a rewritten definition.</summary>
    public const string Marker = "# full: only what differs from quick (merged over it; a key set to ~ is removed)";

    /// <summary>The rewritten text, or null when <paramref name="text"/> is already rewritten.</summary>
    /// <exception cref="InvalidDataException">The text is not a claim definition with quick and full mappings.</exception>
    public static string? Rewrite(string text, string source)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').ToList();
        int start = lines.FindIndex(l => l.StartsWith("full:", StringComparison.Ordinal));
        if (start < 0) throw new InvalidDataException($"{source}: no top-level 'full:' line");
        if (start > 0 && lines[start - 1] == Marker) return null;
        int end = start + 1;
        while (end < lines.Count && !(lines[end].Length > 0 && !char.IsWhiteSpace(lines[end][0]) && lines[end][0] != '#')) end++;

        var root = YamlInput.Load(text, (line, what) => new InvalidDataException($"{source}:{line}: {what}")).Documents[0].RootNode as YamlMappingNode
            ?? throw new InvalidDataException($"{source}: not a mapping");
        var quick = Child(root, "quick") as YamlMappingNode ?? throw new InvalidDataException($"{source}: 'quick' must be a mapping");
        var full = Child(root, "full") as YamlMappingNode ?? throw new InvalidDataException($"{source}: 'full' must be a mapping");
        var diff = Diff(quick, full);

        var block = new List<string> { Marker };
        if (diff.Children.Count == 0) block.Add("full: {}");
        else
        {
            block.Add("full:");
            block.AddRange(Emit(diff).Select(l => "  " + l));
        }
        PlaceComments(lines.GetRange(start + 1, end - start - 1), block);
        // keep the blank lines and column-0 comments that followed the block
        int tail = end;
        while (tail > start + 1 && (lines[tail - 1].Trim().Length == 0)) tail--;
        var result = lines.Take(start).Concat(block).Concat(lines.Skip(tail));
        return string.Join('\n', result);
    }

    /// <summary>What <paramref name="full"/> changes in <paramref name="quick"/>, as a mapping the merge turns back into full.</summary>
    public static YamlMappingNode Diff(YamlMappingNode quick, YamlMappingNode full)
    {
        var d = new YamlMappingNode { Style = full.Style };
        foreach (var (k, fv) in full.Children)
        {
            var qv = Child(quick, ((YamlScalarNode)k).Value!);
            if (qv is null) { if (!YamlSection.IsNull(fv)) d.Add(k, fv); continue; }
            if (qv is YamlMappingNode qm && fv is YamlMappingNode fm)
            {
                var inner = Diff(qm, fm);
                if (inner.Children.Count > 0) d.Add(k, inner);
            }
            else if (!Same(qv, fv)) d.Add(k, fv);
        }
        foreach (var (k, qv) in quick.Children)
            if (Child(full, ((YamlScalarNode)k).Value!) is null && !YamlSection.IsNull(qv)) d.Add(new YamlScalarNode(((YamlScalarNode)k).Value), new YamlScalarNode("~"));
        return d;
    }

    /// <summary>Whether two trees read the same: scalars by text and quotedness, lists by item, mappings by key (order aside; a null value is an absent key).</summary>
    public static bool Same(YamlNode a, YamlNode b)
    {
        if (YamlSection.IsNull(a) || YamlSection.IsNull(b)) return YamlSection.IsNull(a) && YamlSection.IsNull(b);
        return (a, b) switch
        {
            (YamlScalarNode x, YamlScalarNode y) => x.Value == y.Value && Quoted(x) == Quoted(y),
            (YamlSequenceNode x, YamlSequenceNode y) => x.Children.Count == y.Children.Count && x.Children.Zip(y.Children).All(p => Same(p.First, p.Second)),
            (YamlMappingNode x, YamlMappingNode y) => Keys(x).Union(Keys(y)).All(k => Child(x, k) is { } xv && Child(y, k) is { } yv ? Same(xv, yv)
                : (Child(x, k) ?? Child(y, k)) is { } only && YamlSection.IsNull(only)),
            _ => false,
        };
    }

    private static bool Quoted(YamlScalarNode s) => s.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted;
    private static IEnumerable<string> Keys(YamlMappingNode m) => m.Children.Keys.Select(k => ((YamlScalarNode)k).Value!);
    private static YamlNode? Child(YamlMappingNode m, string key) =>
        m.Children.FirstOrDefault(p => p.Key is YamlScalarNode s && s.Value == key).Value;

    private static IEnumerable<string> Emit(YamlMappingNode diff)
    {
        var w = new StringWriter();
        new YamlStream(new YamlDocument(diff)).Save(w, assignAnchors: false);
        return w.ToString().Split('\n').Where(l => l.Length > 0 && l != "..." && l != "---");
    }

    // Each comment of the old block goes before the first-level key it was written under (or at the top of the block).
    private static void PlaceComments(List<string> old, List<string> block)
    {
        var byKey = new Dictionary<string, List<string>>();
        var pending = new List<string>();
        string? current = null;
        foreach (var line in old)
        {
            var t = line.TrimStart();
            if (t.StartsWith('#')) { pending.Add(t); continue; }
            if (line.StartsWith("  ", StringComparison.Ordinal) && !line.StartsWith("   ", StringComparison.Ordinal) && t.Length > 0 && t.Contains(':'))
                current = t[..t.IndexOf(':')];
            if (TrailingComment(line) is { } c) pending.Add(c);
            if (pending.Count > 0 && current is not null) { Add(current, pending); pending.Clear(); }
        }
        if (pending.Count > 0) Add(current ?? "", pending);
        foreach (var (key, comments) in byKey)
        {
            int at = key.Length == 0 ? -1 : block.FindIndex(l => l.StartsWith($"  {key}:", StringComparison.Ordinal));
            block.InsertRange(at < 0 ? 2 : at, comments.Select(c => "  " + c));
        }

        void Add(string key, List<string> comments)
        {
            if (!byKey.TryGetValue(key, out var list)) byKey[key] = list = [];
            list.AddRange(comments);
        }
    }

    // A '#' comment after a value, outside quotes.
    private static string? TrailingComment(string line)
    {
        bool single = false, dbl = false;
        for (int i = 1; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '"' && !single) dbl = !dbl;
            else if (c == '\'' && !dbl) single = !single;
            else if (c == '#' && !single && !dbl && char.IsWhiteSpace(line[i - 1]) && line[..i].Trim().Length > 0) return line[i..];
        }
        return null;
    }

    /// <summary>Rewrites every definition in <paramref name="directory"/>; copies each original to <paramref name="fixtures"/> first when given.</summary>
    /// <returns>The files rewritten.</returns>
    public static IReadOnlyList<string> RewriteDirectory(string directory, string? fixtures)
    {
        var done = new List<string>();
        foreach (var path in Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(path);
            var rewritten = Rewrite(text, path);
            if (rewritten is null) continue;
            if (fixtures is not null)
            {
                Directory.CreateDirectory(fixtures);
                AtomicFile.WriteText(Path.Combine(fixtures, Path.GetFileName(path)), text);
            }
            AtomicFile.WriteText(path, rewritten);
            done.Add(path);
        }
        return done;
    }
}
