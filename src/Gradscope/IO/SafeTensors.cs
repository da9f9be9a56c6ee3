using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gradscope.IO;

/// <summary>Element types Gradscope reads and writes in safetensors files.</summary>
public enum SafeTensorDType
{
    /// <summary>IEEE 754 binary32, little-endian ("F32").</summary>
    F32,
    /// <summary>IEEE 754 binary64, little-endian ("F64").</summary>
    F64,
    /// <summary>Signed 64-bit integer, little-endian ("I64"), e.g. PyTorch's batch-norm step counter; held as doubles (exact up to 2^53).</summary>
    I64,
}

/// <summary>One tensor of a safetensors file, held as doubles (exact for F32, F64 and I64 up to 2^53) with its stored dtype.</summary>
public sealed record SafeTensor(string Name, SafeTensorDType DType, int[] Shape, double[] Data)
{
    /// <summary>Number of elements.</summary>
    public long Length => Data.LongLength;
}

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON mapping each name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
/// relative to the byte after the header; an optional "__metadata__" string map), then the raw
/// little-endian data. Nothing in a file is trusted: the header size is bounded, offsets must be
/// in range, contiguous, non-overlapping and match dtype x shape.
/// </summary>
public static class SafeTensors
{
    /// <summary>The largest header accepted (100 MB, as the reference implementation).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Writes <paramref name="tensors"/> (in order) and optional metadata to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    public static void Write(string path, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        var names = new HashSet<string>();
        foreach (var t in tensors)
        {
            if (!names.Add(t.Name)) throw new ArgumentException($"safetensors write '{path}': duplicate tensor name '{t.Name}'.");
            if (t.Name == "__metadata__") throw new ArgumentException($"safetensors write '{path}': '__metadata__' is reserved.");
            long count = 1; foreach (int s in t.Shape) count *= s;
            if (count != t.Data.LongLength)
                throw new ArgumentException($"safetensors write '{path}': tensor '{t.Name}' has {t.Data.LongLength} values for shape ({string.Join(", ", t.Shape)}).");
            long bytes = count * ElementSize(t.DType);
            header[t.Name] = new JsonObject
            {
                ["dtype"] = t.DType.ToString(),
                ["shape"] = new JsonArray(t.Shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int pad = (8 - json.Length % 8) % 8; // keep the data 8-byte aligned, padding with spaces as the format allows
        var headerBytes = new byte[json.Length + pad];
        json.CopyTo(headerBytes, 0);
        for (int i = json.Length; i < headerBytes.Length; i++) headerBytes[i] = (byte)' ';

        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
            stream.Write(len);
            stream.Write(headerBytes);
            var buffer = new byte[1 << 16];
            foreach (var t in tensors)
            {
                int size = ElementSize(t.DType), k = 0;
                foreach (double v in t.Data)
                {
                    if (k + size > buffer.Length) { stream.Write(buffer, 0, k); k = 0; }
                    if (t.DType == SafeTensorDType.F32) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(k), (float)v);
                    else if (t.DType == SafeTensorDType.I64) BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(k), checked((long)v));
                    else BinaryPrimitives.WriteDoubleLittleEndian(buffer.AsSpan(k), v);
                    k += size;
                }
                stream.Write(buffer, 0, k);
            }
        });
    }

    /// <summary>Reads every tensor of a safetensors file (F32, F64 and I64; other dtypes are rejected by name).</summary>
    public static IReadOnlyList<SafeTensor> Read(string path) => Read(path, out _);

    /// <summary>Reads every tensor and the "__metadata__" map.</summary>
    public static IReadOnlyList<SafeTensor> Read(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InvalidDataException($"safetensors '{path}': cannot read the file: {e.Message}", e); }
        return Parse(bytes, path, out metadata);
    }

    /// <summary>Parses safetensors bytes; <paramref name="source"/> names the file in errors.</summary>
    public static IReadOnlyList<SafeTensor> Parse(ReadOnlySpan<byte> bytes, string source, out IReadOnlyDictionary<string, string> metadata)
    {
        if (bytes.Length < 8) throw Bad(source, $"file is {bytes.Length} bytes, shorter than the 8-byte header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeaderBytes) throw Bad(source, $"header length {n} exceeds the limit of {MaxHeaderBytes} bytes");
        if ((ulong)bytes.Length - 8 < n) throw Bad(source, $"header length {n} runs past the end of the file ({bytes.Length} bytes)");
        var headerBytes = bytes.Slice(8, (int)n);
        try { _ = StrictUtf8.GetCharCount(headerBytes); }
        catch (DecoderFallbackException e) { throw Bad(source, $"header is not valid UTF-8 (invalid byte at header offset {e.Index})"); }
        using var doc = ParseHeader(headerBytes.ToArray(), source);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(source, "header is not a JSON object");
        var data = bytes.Slice(8 + (int)n);
        var meta = new Dictionary<string, string>();
        var entries = new List<(string Name, SafeTensorDType DType, int[] Shape, long Begin, long End)>();
        // NOTE: strings are decoded inside the guard: an escaped lone surrogate ("\ud800") is valid JSON syntax but not
        // valid Unicode, and System.Text.Json reports it only when the string is read.
        try
        {
            foreach (var (name, node) in Members(doc.RootElement, source, "the header"))
            {
                if (name == "__metadata__")
                {
                    if (node.ValueKind != JsonValueKind.Object) throw Bad(source, "__metadata__ is not an object");
                    foreach (var (k, v) in Members(node, source, "__metadata__"))
                        meta[k] = v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Bad(source, $"__metadata__ value '{k}' is not a string");
                    continue;
                }
                if (node.ValueKind != JsonValueKind.Object) throw Bad(source, $"entry '{name}' is not an object");
                var o = Members(node, source, $"tensor '{name}'").ToDictionary(m => m.Name, m => m.Value);
                string dt = o.TryGetValue("dtype", out var dv) && dv.ValueKind == JsonValueKind.String ? dv.GetString()! : throw Bad(source, $"tensor '{name}' has no dtype");
                var dtype = dt switch
                {
                    "F32" => SafeTensorDType.F32,
                    "F64" => SafeTensorDType.F64,
                    "I64" => SafeTensorDType.I64,
                    _ => throw Bad(source, $"tensor '{name}' has dtype {dt}; Gradscope reads F32, F64 and I64"),
                };
                if (!o.TryGetValue("shape", out var sa) || sa.ValueKind != JsonValueKind.Array) throw Bad(source, $"tensor '{name}' has no shape array");
                var shape = new int[sa.GetArrayLength()];
                long count = 1;
                int i = 0;
                foreach (var sv in sa.EnumerateArray())
                {
                    if (sv.ValueKind != JsonValueKind.Number || !sv.TryGetInt64(out long d) || d < 0 || d > int.MaxValue)
                        throw Bad(source, $"tensor '{name}' has an invalid shape entry {sv.GetRawText()}");
                    shape[i++] = (int)d;
                    count = checked(count * d);
                    if (count > int.MaxValue) throw Bad(source, $"tensor '{name}' has too many elements");
                }
                if (!o.TryGetValue("data_offsets", out var oa) || oa.ValueKind != JsonValueKind.Array || oa.GetArrayLength() != 2
                    || oa[0].ValueKind != JsonValueKind.Number || !oa[0].TryGetInt64(out long begin)
                    || oa[1].ValueKind != JsonValueKind.Number || !oa[1].TryGetInt64(out long end))
                    throw Bad(source, $"tensor '{name}' has no valid data_offsets [begin, end]");
                if (begin < 0 || end < begin || end > data.Length)
                    throw Bad(source, $"tensor '{name}' offsets [{begin}, {end}) lie outside the {data.Length} data bytes");
                if (end - begin != count * ElementSize(dtype))
                    throw Bad(source, $"tensor '{name}' occupies {end - begin} bytes but {dt} shape ({string.Join(", ", shape)}) needs {count * ElementSize(dtype)}");
                entries.Add((name, dtype, shape, begin, end));
            }
        }
        catch (InvalidOperationException e) { throw Bad(source, $"header holds a string that is not valid Unicode ({e.Message})"); }
        // The data section must be covered exactly, without overlaps or holes.
        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        long expect = 0;
        foreach (var e in entries)
        {
            if (e.Begin != expect) throw Bad(source, $"tensor '{e.Name}' starts at byte {e.Begin}, expected {expect} (overlapping or non-contiguous offsets)");
            expect = e.End;
        }
        if (expect != data.Length) throw Bad(source, $"data section has {data.Length} bytes but the tensors cover {expect}");
        var result = new List<SafeTensor>(entries.Count);
        foreach (var e in entries)
        {
            var values = new double[(e.End - e.Begin) / ElementSize(e.DType)];
            var src = data.Slice((int)e.Begin, (int)(e.End - e.Begin));
            for (int i = 0; i < values.Length; i++)
                values[i] = e.DType switch
                {
                    SafeTensorDType.F32 => BinaryPrimitives.ReadSingleLittleEndian(src.Slice(i * 4)),
                    SafeTensorDType.I64 => BinaryPrimitives.ReadInt64LittleEndian(src.Slice(i * 8)),
                    _ => BinaryPrimitives.ReadDoubleLittleEndian(src.Slice(i * 8)),
                };
            result.Add(new SafeTensor(e.Name, e.DType, e.Shape, values));
        }
        metadata = meta;
        return result;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static JsonDocument ParseHeader(byte[] header, string source)
    {
        try { return JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e) { throw Bad(source, $"header is not valid JSON ({e.Message})"); }
    }

    // The members of a JSON object in file order; a name given twice is an error naming it (JSON leaves duplicates
    // undefined, and the reference implementation refuses them).
    private static IEnumerable<(string Name, JsonElement Value)> Members(JsonElement obj, string source, string where)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject())
        {
            if (!seen.Add(p.Name)) throw Bad(source, $"{where} has the key '{p.Name}' twice");
            yield return (p.Name, p.Value);
        }
    }

    private static int ElementSize(SafeTensorDType d) => d == SafeTensorDType.F32 ? 4 : 8;

    private static InvalidDataException Bad(string source, string what) => new($"safetensors '{source}': {what}.");
}
