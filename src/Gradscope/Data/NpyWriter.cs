using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Gradscope.Data;

using Gradscope.IO;

public static partial class Npy
{
    /// <summary>
    /// Writes a C-order little-endian float64 array ('&lt;f8') as a .npy file (format 1.0, or 2.0 when the header exceeds
    /// 65535 bytes), atomically. The header is padded with spaces and ends in '\n' so that the data start at a multiple
    /// of 64 bytes, as NumPy writes it (NEP 1). Throws ArgumentException when the shape does not match the data.
    /// </summary>
    public static void Write(string path, int[] shape, ReadOnlySpan<double> data)
    {
        var bytes = new byte[checked(data.Length * 8)];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), data[i]);
        WriteRaw(path, "<f8", shape, data.Length, bytes);
    }

    /// <summary>Writes a C-order little-endian int64 array ('&lt;i8') as a .npy file (see <see cref="Write(string, int[], ReadOnlySpan{double})"/>).</summary>
    public static void Write(string path, int[] shape, ReadOnlySpan<long> data)
    {
        var bytes = new byte[checked(data.Length * 8)];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), data[i]);
        WriteRaw(path, "<i8", shape, data.Length, bytes);
    }

    /// <summary>The .npy header dictionary NumPy writes: {'descr': ..., 'fortran_order': False, 'shape': (a, b), } (a 1-tuple keeps its comma).</summary>
    public static string HeaderDict(string descr, int[] shape) =>
        $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture)))}{(shape.Length == 1 ? "," : "")}), }}";

    private static void WriteRaw(string path, string descr, int[] shape, int count, byte[] payload)
    {
        if (shape.Any(s => s < 0)) throw new ArgumentException($"'{path}': .npy shape ({string.Join(", ", shape)}) has a negative dimension.");
        long expected = shape.Aggregate(1L, (a, b) => a * b);
        if (expected != count) throw new ArgumentException($"'{path}': .npy shape ({string.Join(", ", shape)}) holds {expected} values but {count} were given.");
        string dict = HeaderDict(descr, shape);
        int prefix = 10;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        int major = 1;
        if (total - prefix > ushort.MaxValue) { major = 2; prefix = 12; total = (prefix + dict.Length + 1 + 63) / 64 * 64; }
        var header = Encoding.Latin1.GetBytes(dict + new string(' ', total - prefix - dict.Length - 1) + "\n");
        AtomicFile.Write(path, s =>
        {
            s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
            var len = new byte[major == 1 ? 2 : 4];
            if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
            else BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)header.Length);
            s.Write(len);
            s.Write(header);
            s.Write(payload);
        });
    }
}
