using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Gradscope.IO;

/// <summary>
/// Loads a YAML file that Gradscope reads as input (training config, model description, sweep file, claim
/// definition) without trusting it. Before the representation model is built, one streaming pass over the
/// parser's events (iterative, so no input can exhaust the stack) refuses:
/// nesting deeper than <see cref="MaxDepth"/> levels, more than <see cref="MaxExpandedNodes"/> nodes once
/// aliases are expanded (an "alias bomb"), undefined aliases, mapping keys that are not plain values
/// (<c>? [a, b] : 3</c>), control characters in a value (<c>"relu\0"</c>) and a second document (<c>---</c>).
/// Every error, including YamlDotNet's own syntax errors, names the real line and, where there is one, the
/// dotted key (<c>model.layers[2].type</c>).
/// </summary>
public static class YamlInput
{
    /// <summary>Deepest nesting of mappings and lists accepted (a config needs fewer than 10 levels).</summary>
    public const int MaxDepth = 128;

    /// <summary>Most nodes accepted, counting each alias as a copy of the node it names.</summary>
    public const long MaxExpandedNodes = 100_000;

    /// <summary>Checks and loads <paramref name="text"/>; the result holds zero or one document.</summary>
    /// <param name="text">The YAML text.</param>
    /// <param name="error">Makes the caller's input-error exception from a 1-based line and what is wrong there.</param>
    public static YamlStream Load(string text, Func<long, string, Exception> error)
    {
        var frames = new Stack<Frame>();
        try { Check(text, error, frames); }
        catch (YamlException e) { throw error(LineOf(e, text), $"YAML syntax error: {e.Message}{OpenFlow(frames)}"); }
        catch (ScannerFailure e) { throw error(e.Line, $"YAML syntax error: a flow collection or a scalar in it is not closed{OpenFlow(frames)}"); }
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw error(LineOf(e, text), $"YAML syntax error: {e.Message}"); }
        return stream;
    }

    /// <summary>One open mapping or list of the event pass.</summary>
    private sealed class Frame(bool mapping, string path, string? anchor, long line, bool flow)
    {
        public long Line { get; } = line;
        public bool Flow { get; } = flow;
        public bool Mapping { get; } = mapping;
        public string Path { get; } = path;
        public string? Anchor { get; } = anchor;
        public bool ExpectKey { get; set; } = true;
        public string? Key { get; set; }
        public int Index { get; set; }
        public long Count { get; set; } = 1;
    }

    // Where the innermost unclosed '[' or '{' began: the place to look when the parser only notices at the end of the file.
    private static string OpenFlow(Stack<Frame> frames) =>
        frames.FirstOrDefault(f => f.Flow) is { } f ? $" (the '{(f.Mapping ? '{' : '[')}' opened on line {f.Line})" : "";

    private static void Check(string text, Func<long, string, Exception> error, Stack<Frame> frames)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, (long Size, bool Scalar)>();
        long total = 0;
        int documents = 0;
        long lastLine = 1;
        while (MoveNext(parser, lastLine))
        {
            var ev = parser.Current!;
            long line = ev.Start.Line;
            lastLine = ev.End.Line;
            if (ev is DocumentStart && ++documents > 1)
                throw error(line, "a second YAML document ('---') is not allowed; the file must hold one document");
            if (ev is MappingEnd or SequenceEnd)
            {
                var done = frames.Pop();
                if (done.Anchor is not null) anchors[done.Anchor] = (done.Count, false);
                Completed(frames, done.Count);
                continue;
            }
            if (ev is not (NodeEvent or AnchorAlias)) continue;
            var parent = frames.Count > 0 ? frames.Peek() : null;
            bool isKey = parent is { Mapping: true, ExpectKey: true };
            string path = ChildPath(parent);
            long size;
            string key;
            if (ev is AnchorAlias alias)
            {
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                    throw error(line, $"{Where(path)}alias '*{alias.Value.Value}' names no anchor defined before it");
                if (isKey && !target.Scalar) throw error(line, $"{Where(parent!.Path)}a mapping key must be a plain value, not an alias of a list or mapping");
                size = target.Size;
                key = "*" + alias.Value.Value;
            }
            else if (ev is Scalar s)
            {
                if (FirstControl(s.Value) is char c)
                    throw error(line, $"{Where(isKey ? parent!.Path : path)}value '{Printable(s.Value)}' contains the control character U+{(int)c:X4}");
                if (!s.Anchor.IsEmpty) anchors[s.Anchor.Value] = (1, true);
                size = 1;
                key = s.Value;
            }
            else // MappingStart or SequenceStart
            {
                var node = (NodeEvent)ev;
                if (frames.Count >= MaxDepth) throw error(line, $"{Where(path)}nesting is deeper than {MaxDepth} levels");
                if (isKey) throw error(line, $"{Where(parent!.Path)}a mapping key must be a plain value, got a {(node is MappingStart ? "mapping" : "list")}");
                if (++total > MaxExpandedNodes) throw TooLarge(error, line);
                bool flow = node is MappingStart { Style: MappingStyle.Flow } or SequenceStart { Style: SequenceStyle.Flow };
                frames.Push(new Frame(node is MappingStart, path, node.Anchor.IsEmpty ? null : node.Anchor.Value, line, flow));
                continue;
            }
            total += size;
            if (total > MaxExpandedNodes) throw TooLarge(error, line);
            if (isKey) { parent!.Key = key; parent.ExpectKey = false; parent.Count += size; }
            else Completed(frames, size);
        }
    }

    // NOTE: YamlDotNet 16's scanner throws a bare InvalidOperationException (no position) on a plain scalar that runs out
    // of an unclosed flow collection ("b: [unclosed\nc: 2"); it becomes a syntax error at the last line parsed.
    private sealed class ScannerFailure(long line) : Exception
    {
        public long Line { get; } = line;
    }

    private static bool MoveNext(Parser parser, long lastLine)
    {
        try { return parser.MoveNext(); }
        catch (InvalidOperationException) { throw new ScannerFailure(lastLine); }
    }

    private static Exception TooLarge(Func<long, string, Exception> error, long line) =>
        error(line, $"the document expands to more than {MaxExpandedNodes} nodes (aliases count as copies); refusing it");

    // A value of size n is complete: add it to its parent and move the parent on to its next key or item.
    private static void Completed(Stack<Frame> frames, long n)
    {
        if (frames.Count == 0) return;
        var p = frames.Peek();
        p.Count += n;
        if (p.Mapping) { p.ExpectKey = true; p.Key = null; }
        else p.Index++;
    }

    private static string ChildPath(Frame? parent) => parent switch
    {
        null => "",
        { Mapping: true, ExpectKey: true } => parent.Path,
        { Mapping: true } => parent.Path.Length == 0 ? parent.Key ?? "" : $"{parent.Path}.{parent.Key}",
        _ => $"{parent.Path}[{parent.Index}]",
    };

    private static string Where(string path) => path.Length == 0 ? "" : (path.Length > 80 ? path[..80] + "..." : path) + ": ";

    // YAML allows tab, line feed and carriage return in values; every other C0/C1 control character (NUL among
    // them, reachable through "\0") is refused rather than silently becoming part of a name or an enum value.
    private static char? FirstControl(string value)
    {
        foreach (char c in value)
            if ((c < 0x20 && c is not '\t' and not '\n' and not '\r') || (c >= 0x7F && c <= 0x9F)) return c;
        return null;
    }

    private static string Printable(string value)
    {
        var s = new string(value.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return value.Length > 40 ? s + "..." : s;
    }

    // NOTE: YamlDotNet reports a few errors (a tab in block indentation) at line 1, column 1, index 0; the real
    // line is then the first one indented with a tab.
    private static long LineOf(YamlException e, string text)
    {
        if (e.Start.Index > 0 || e.Start.Line > 1 || !e.Message.Contains("tab", StringComparison.Ordinal)) return e.Start.Line;
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
            if (lines[i].TrimStart(' ').StartsWith('\t')) return i + 1;
        return e.Start.Line;
    }
}
