using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Gradscope.Data;

/// <summary>
/// The rows of one source a run used (ascending, distinct), stored compactly in a run's <c>data_indices.json</c>:
/// as inclusive ranges [first, last] when they are few, otherwise as a bitmap over the source's rows (bit i of byte i/8,
/// least significant bit first, base64). <c>sha256</c> is the SHA-256 of the rows as little-endian 32-bit integers in
/// ascending order, so two runs' subsets compare by one string.
/// </summary>
/// <param name="Source">What the row numbers index: a dataset name, or a generator with its parameters and stream (train/test).</param>
/// <param name="SourceRows">Number of rows of that source.</param>
/// <param name="Rows">Row indices, ascending and distinct.</param>
public sealed record RowIndexSet(string Source, int SourceRows, int[] Rows)
{
    /// <summary>SHA-256 of <see cref="Rows"/> as little-endian int32s, lowercase hex.</summary>
    public string Sha256()
    {
        var bytes = new byte[Rows.Length * 4];
        for (int i = 0; i < Rows.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), Rows[i]);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>The JSON object: source, source_rows, count, sha256, and ranges or bitmap (whichever is shorter).</summary>
    public JsonObject ToJson()
    {
        var ranges = new List<(int First, int Last)>();
        for (int i = 0; i < Rows.Length; i++)
        {
            if (ranges.Count > 0 && ranges[^1].Last + 1 == Rows[i]) ranges[^1] = (ranges[^1].First, Rows[i]);
            else ranges.Add((Rows[i], Rows[i]));
        }
        var o = new JsonObject
        {
            ["source"] = Source,
            ["source_rows"] = SourceRows,
            ["count"] = Rows.Length,
            ["sha256"] = Sha256(),
        };
        // A range costs about 2 numbers (~12 characters); the bitmap costs 4/3 characters per 8 source rows.
        if (ranges.Count * 12 <= (SourceRows + 7) / 8 * 4 / 3 + 4)
            o["ranges"] = new JsonArray(ranges.Select(r => (JsonNode)new JsonArray(r.First, r.Last)).ToArray());
        else
        {
            var bitmap = new byte[(SourceRows + 7) / 8];
            foreach (int r in Rows) bitmap[r >> 3] |= (byte)(1 << (r & 7));
            o["bitmap"] = Convert.ToBase64String(bitmap);
        }
        return o;
    }

    /// <summary>Reads an object written by <see cref="ToJson"/>; throws InvalidDataException when it is malformed or its sha256 does not match.</summary>
    public static RowIndexSet FromJson(JsonObject o)
    {
        try
        {
            string source = (string?)o["source"] ?? throw new InvalidDataException("missing 'source'");
            int n = (int?)o["source_rows"] ?? throw new InvalidDataException("missing 'source_rows'");
            var rows = new List<int>();
            if (o["ranges"] is JsonArray ranges)
            {
                foreach (var r in ranges)
                {
                    int first = (int)r![0]!, last = (int)r[1]!;
                    for (int i = first; i <= last; i++) rows.Add(i);
                }
            }
            else if ((string?)o["bitmap"] is string b64)
            {
                var bitmap = Convert.FromBase64String(b64);
                for (int i = 0; i < n; i++) if ((bitmap[i >> 3] >> (i & 7) & 1) != 0) rows.Add(i);
            }
            else throw new InvalidDataException("needs 'ranges' or 'bitmap'");
            var set = new RowIndexSet(source, n, rows.ToArray());
            if ((string?)o["sha256"] is string sha && sha != set.Sha256())
                throw new InvalidDataException($"rows do not match their sha256 {sha}");
            return set;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IndexOutOfRangeException or NullReferenceException)
        {
            throw new InvalidDataException($"malformed row index set ({e.Message}).", e);
        }
    }
}
