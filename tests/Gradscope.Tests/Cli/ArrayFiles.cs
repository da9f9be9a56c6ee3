using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gradscope.Tests.Cli;

/// <summary>
/// Readers of what <c>gradscope measure</c> writes, independent of the project's own: a .npy parser, a safetensors tensor
/// parser, the files an "arrays" object names; value comparisons; and the balance matrix formed by explicit sums.
/// </summary>
internal static class ArrayFiles
{
    /// <summary>A .npy file (format 1.0/2.0/3.0, '&lt;f8', C order) read by hand: shape and values.</summary>
    internal static (int[] Shape, double[] Data) ReadNpy(string path)
    {
        var b = File.ReadAllBytes(path);
        Assert.Equal("\x93NUMPY", Encoding.Latin1.GetString(b, 0, 6));
        int major = b[6];
        int headerLen = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8));
        int start = major == 1 ? 10 : 12;
        string header = Encoding.Latin1.GetString(b, start, headerLen);
        Assert.Contains("'descr': '<f8'", header);
        Assert.Contains("'fortran_order': False", header);
        var shapeText = Regex.Match(header, @"'shape': \(([^)]*)\)").Groups[1].Value;
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        int count = shape.Aggregate(1, (x, y) => x * y);
        int data = start + headerLen;
        Assert.Equal(count * 8, b.Length - data);
        var v = new double[count];
        for (int i = 0; i < count; i++) v[i] = BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(data + 8 * i));
        return (shape, v);
    }

    /// <summary>One tensor of a safetensors file (F32 or F64) read by hand: 8-byte header length, JSON header, raw values.</summary>
    internal static double[] ReadTensor(string path, string name)
    {
        var b = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(b);
        var h = JsonDocument.Parse(Encoding.UTF8.GetString(b, 8, (int)n)).RootElement.GetProperty(name);
        var off = h.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        bool f64 = h.GetProperty("dtype").GetString() == "F64";
        int size = f64 ? 8 : 4, at = 8 + (int)n + off[0];
        return Enumerable.Range(0, (off[1] - off[0]) / size)
            .Select(i => f64 ? BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(at + 8 * i)) : BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(at + 4 * i))).ToArray();
    }

    /// <summary>The file an "arrays" key of the JSON names, read by hand.</summary>
    internal static (int[] Shape, double[] Data) NpyOf(string json, string key)
    {
        var arrays = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("arrays");
        Assert.True(arrays.TryGetProperty(key, out var file), $"'{key}' missing from arrays");
        return ReadNpy(Path.Combine(Path.GetDirectoryName(json)!, file.GetString()!));
    }

    internal static JsonElement Root(string json) => JsonDocument.Parse(File.ReadAllText(json)).RootElement;

    internal static void Near(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected}, got {actual}");

    internal static void SameValues(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Near(expected[i], actual[i], tol, $"{what}[{i}]");
    }

    /// <summary>B = W_next^T W_next - W W^T by explicit sums: W (n x cols), W_next (rows x n).</summary>
    internal static double[] BalanceMatrix(double[] w, double[] next, int cols, int n, int rows)
    {
        var b = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double a = 0, c = 0;
                for (int r = 0; r < rows; r++) a += next[r * n + i] * next[r * n + j];
                for (int q = 0; q < cols; q++) c += w[i * cols + q] * w[j * cols + q];
                b[i * n + j] = a - c;
            }
        return b;
    }
}
