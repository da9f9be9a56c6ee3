using System.Buffers.Binary;
using System.Text;

namespace Gradscope.Tests.Fuzz;

/// <summary>
/// Seeded mutations of valid input files, for the fuzz tests: text edits aimed at YAML and CSV readers (odd scalars,
/// truncations, deep nesting, aliases, control characters, a second document) and byte edits aimed at binary headers
/// (flips, truncations, extreme integers, invalid UTF-8). One seed gives one sequence of cases on every machine.
/// </summary>
internal sealed class Mutator(int seed)
{
    private readonly Random _r = new(seed);

    /// <summary>Scalars that stress a value parser: extremes, non-numbers, YAML specials, control and non-ASCII characters.</summary>
    public static readonly string[] OddScalars =
    [
        "0", "-1", "-0", "1e400", "-1e400", "1e-400", "NaN", ".nan", ".inf", "-.inf", "Infinity", "2147483647", "2147483648",
        "-2147483648", "9223372036854775807", "99999999999999999999999", "1000000000", "100000", "0x10", "1_000", "1e6", "1.5",
        "~", "null", "\"\"", "''", "true", "yes", "[]", "{}", "[1, [2, [3]]]", "{a: 1}", "\"relu\\0\"", "\"x\\x07y\"",
        "\"\\ud800\"", "\"é\"", "１２", "\"a\\nb\"", "&anc 3", "*nowhere", "!!binary aGVsbG8=", "!!int x", "!custom 3",
        "|\n  block\n", ">-\n  folded\n", "'it''s'", "\"unterminated", "[unclosed", "{unclosed: 1", new string('9', 400),
        new string('x', 5000), "- a\n- b", "? [a, b] : 3", "\t1", " 1 ", "%TAG", "@", "`", "\u0085", "\u2028", "\uFEFF1",
    ];

    public int Next(int max) => _r.Next(max);
    public T Pick<T>(IReadOnlyList<T> items) => items[_r.Next(items.Count)];

    /// <summary>One or two text mutations; <paramref name="how"/> says which, for the failure message.</summary>
    public string Text(string text, out string how)
    {
        var parts = new List<string>();
        int rounds = 1 + (_r.Next(4) == 0 ? 1 : 0);
        for (int i = 0; i < rounds; i++) text = TextOnce(text, parts);
        how = string.Join("; ", parts);
        return text;
    }

    private string TextOnce(string text, List<string> how)
    {
        var lines = text.Split('\n').ToList();
        int kind = _r.Next(14);
        switch (kind)
        {
            case 0 or 1 or 2: // replace the value after a random ': '
            {
                var at = AllIndexes(text, ": ");
                if (at.Count == 0) goto default;
                int p = Pick(at) + 2;
                int end = p;
                while (end < text.Length && text[end] is not ('\n' or ',' or '}' or ']')) end++;
                string v = Pick(OddScalars);
                how.Add($"value at {p} -> {Show(v)}");
                return text[..p] + v + text[end..];
            }
            case 3: { int p = _r.Next(text.Length + 1); how.Add($"truncate at {p}"); return text[..p]; }
            case 4: { int i = _r.Next(lines.Count); how.Add($"delete line {i + 1}"); lines.RemoveAt(i); return string.Join('\n', lines); }
            case 5: { int i = _r.Next(lines.Count); how.Add($"duplicate line {i + 1}"); lines.Insert(i, lines[i]); return string.Join('\n', lines); }
            case 6:
            {
                int p = _r.Next(text.Length + 1);
                string c = Pick(new[] { "\0", "\t", "\r", "\u0001", "{", "}", "[", "]", ",", ":", "&", "*", "!", "|", ">", "\"", "'", "#", "-", "?", "%", "\u00e9", "\ud800", "\n  ", "\n" });
                how.Add($"insert {Show(c)} at {p}");
                return text[..p] + c + text[p..];
            }
            case 7:
            {
                int depth = Pick(new[] { 50, 127, 129, 500, 5000, 20000 });
                bool list = _r.Next(2) == 0;
                string nested = list ? new string('[', depth) + "1" + new string(']', depth)
                    : string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth);
                how.Add($"nesting {depth} ({(list ? "lists" : "mappings")})");
                return ReplaceFirstValue(text, nested);
            }
            case 8:
            {
                int fan = 2 + _r.Next(12), levels = 2 + _r.Next(10);
                var sb = new StringBuilder("\nb0: &b0 [x, x]\n");
                for (int l = 1; l <= levels; l++) sb.Append($"b{l}: &b{l} [{string.Join(", ", Enumerable.Repeat($"*b{l - 1}", fan))}]\n");
                how.Add($"alias bomb {fan}^{levels}");
                return text + sb;
            }
            case 9: how.Add("second document"); return text + "\n---\nextra: 1\n";
            case 10:
            {
                int i = _r.Next(lines.Count);
                how.Add($"reindent line {i + 1}");
                lines[i] = _r.Next(2) == 0 ? "   " + lines[i] : lines[i].TrimStart();
                return string.Join('\n', lines);
            }
            case 11:
            {
                int p = text.IndexOf('{');
                if (p < 0) goto default;
                how.Add($"non-scalar key at {p}");
                return text[..(p + 1)] + Pick(new[] { "? [a, b] : 3, ", "? {k: v} : 3, ", "[x]: 1, " }) + text[(p + 1)..];
            }
            case 12:
            {
                var digits = new List<int>();
                for (int i = 0; i < text.Length; i++) if (char.IsAsciiDigit(text[i]) && (i == 0 || !char.IsAsciiDigit(text[i - 1]))) digits.Add(i);
                if (digits.Count == 0) goto default;
                int p = Pick(digits), end = p;
                while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
                string v = Pick(new[] { "0", "2147483647", "2147483648", "1000000000", "100000", "65536", "99999999999999999999" });
                how.Add($"number at {p} -> {v}");
                return text[..p] + v + text[end..];
            }
            default:
            {
                if (text.Length == 0) { how.Add("empty"); return text; }
                int p = _r.Next(text.Length);
                char c = (char)_r.Next(0x20, 0x7F);
                how.Add($"char {p} -> {Show(c.ToString())}");
                return text[..p] + c + text[(p + 1)..];
            }
        }
    }

    private string ReplaceFirstValue(string text, string value)
    {
        var at = AllIndexes(text, ": ");
        if (at.Count == 0) return text + "\nk: " + value;
        int p = Pick(at) + 2, end = p;
        while (end < text.Length && text[end] is not ('\n' or ',' or '}' or ']')) end++;
        return text[..p] + value + text[end..];
    }

    /// <summary>One or two byte mutations; <paramref name="protect"/> bytes at the start are left alone when asked.</summary>
    public byte[] Bytes(byte[] b, out string how, int headerEnd = -1)
    {
        var parts = new List<string>();
        int rounds = 1 + (_r.Next(3) == 0 ? 1 : 0);
        for (int i = 0; i < rounds; i++) b = BytesOnce(b, parts, headerEnd < 0 ? b.Length : Math.Min(headerEnd, b.Length));
        how = string.Join("; ", parts);
        return b;
    }

    private byte[] BytesOnce(byte[] b, List<string> how, int headerEnd)
    {
        b = (byte[])b.Clone();
        int kind = _r.Next(8);
        int region = Math.Max(1, _r.Next(3) == 0 ? b.Length : headerEnd); // mostly the header
        switch (kind)
        {
            case 0: { if (b.Length == 0) break; int p = _r.Next(Math.Min(region, b.Length)); byte v = (byte)_r.Next(256); how.Add($"byte {p} -> 0x{v:X2}"); b[p] = v; break; }
            case 1: { if (b.Length == 0) break; int p = _r.Next(Math.Min(region, b.Length)); int bit = _r.Next(8); how.Add($"bit {bit} of byte {p}"); b[p] ^= (byte)(1 << bit); break; }
            case 2: { int p = _r.Next(b.Length + 1); how.Add($"truncate at {p}"); return b[..p]; }
            case 3: { int n = 1 + _r.Next(64); how.Add($"append {n} bytes"); return [.. b, .. Enumerable.Range(0, n).Select(_ => (byte)_r.Next(256))]; }
            case 4 or 5:
            {
                if (b.Length < 4) break;
                int p = _r.Next(Math.Max(1, Math.Min(region, b.Length) - 3));
                uint v = Pick(new uint[] { 0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 65536, 0x01000000, 3 });
                bool big = _r.Next(2) == 0;
                how.Add($"u32 at {p} -> 0x{v:X8} {(big ? "BE" : "LE")}");
                if (big) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(p), v); else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(p), v);
                break;
            }
            case 6:
            {
                if (b.Length == 0) break;
                int p = _r.Next(Math.Min(region, b.Length));
                byte[] bad = Pick(new[] { new byte[] { 0xFF }, new byte[] { 0xC0, 0x80 }, new byte[] { 0xED, 0xA0, 0x80 }, new byte[] { 0xF8, 0x88, 0x80, 0x80 }, new byte[] { 0xE2, 0x82 } });
                how.Add($"invalid UTF-8 {Convert.ToHexString(bad)} at {p}");
                int n = Math.Min(bad.Length, b.Length - p);
                bad.AsSpan(0, n).CopyTo(b.AsSpan(p));
                break;
            }
            default:
            {
                int p = _r.Next(b.Length + 1), n = 1 + _r.Next(16);
                how.Add($"delete {n} bytes at {p}");
                return [.. b[..p], .. b[Math.Min(b.Length, p + n)..]];
            }
        }
        return b;
    }

    private static List<int> AllIndexes(string text, string what)
    {
        var r = new List<int>();
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) r.Add(i);
        return r;
    }

    public static string Show(string s) => s.Length > 40 ? Escape(s[..40]) + $"...({s.Length} chars)" : Escape(s);
    private static string Escape(string s) => string.Concat(s.Select(c => c < 0x20 || c > 0x7E ? $"\\u{(int)c:X4}" : c.ToString()));
}
