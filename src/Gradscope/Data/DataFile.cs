using System.Globalization;
using System.IO.Compression;

namespace Gradscope.Data;

/// <summary>
/// Shared helpers for reading dataset files: transparent gzip (detected by the magic bytes
/// 1f 8b, not by the file name), line-numbered text reading, and number parsing whose errors
/// name the file, line and column.
/// </summary>
internal static class DataFile
{
    /// <summary>All bytes of the file, decompressed if it is gzip. Throws FileNotFoundException naming the path.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Dataset file '{path}' does not exist.", path);
        var raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
        try
        {
            using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            return ms.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"'{path}': corrupt or truncated gzip stream ({e.Message}).", e);
        }
    }

    /// <summary>The file's lines (gzip-aware), numbered from 1; a trailing CR is removed.</summary>
    public static IEnumerable<(int Line, string Text)> ReadLines(string path)
    {
        var bytes = ReadAllBytes(path);
        using var reader = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        int line = 0;
        string? text;
        while ((text = reader.ReadLine()) is not null)
        {
            line++;
            yield return (line, text);
        }
    }

    /// <summary>Parses one numeric cell (invariant culture); throws InvalidDataException naming file, line and column (1-based).</summary>
    public static double ParseCell(ReadOnlySpan<char> cell, string path, int line, int column)
    {
        var t = cell.Trim();
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw new InvalidDataException($"'{path}' line {line}, column {column}: '{t.ToString()}' is not a number.");
        if (!double.IsFinite(v))
            throw new InvalidDataException($"'{path}' line {line}, column {column}: value {t.ToString()} is not finite.");
        return v;
    }

    /// <summary>Parses a class label: an integer in [0, classes) (written as "3" or "3.0").</summary>
    public static int ParseLabel(ReadOnlySpan<char> cell, string path, int line, int column, int classes)
    {
        double v = ParseCell(cell, path, line, column);
        if (v != Math.Floor(v) || v < 0 || v >= classes)
            throw new InvalidDataException($"'{path}' line {line}, column {column}: label {cell.Trim().ToString()} is not an integer in [0, {classes}).");
        return (int)v;
    }

    /// <summary>Splits a line on commas.</summary>
    public static string[] SplitCells(string text) => text.Split(',');
}
