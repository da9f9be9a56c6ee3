using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace Gradscope.Tests.Data;

/// <summary>
/// Data files written independently of Gradscope's readers: .npy bytes built by hand from the NPY format spec (NEP 1:
/// magic, version, little-endian header length, Python dict header padded with spaces to a multiple of 64 bytes, ending in
/// a newline, then the C-order payload), .npz as a ZIP of such entries (what np.savez writes), Parquet through
/// Parquet.Net's writer API.
/// </summary>
internal static class InteropFiles
{
    /// <summary>The bytes of a version-1.0 .npy file with the given dtype, shape and raw payload.</summary>
    public static byte[] Npy(string descr, int[] shape, byte[] payload)
    {
        string tuple = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple}, }}";
        int total = (10 + dict.Length + 1 + 63) / 64 * 64;
        var header = Encoding.ASCII.GetBytes(dict + new string(' ', total - 10 - dict.Length - 1) + "\n");
        var b = new byte[10 + header.Length + payload.Length];
        b[0] = 0x93; "NUMPY"u8.CopyTo(b.AsSpan(1)); b[6] = 1; b[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), (ushort)header.Length);
        header.CopyTo(b, 10);
        payload.CopyTo(b, 10 + header.Length);
        return b;
    }

    public static byte[] F8(params double[] v) { var b = new byte[8 * v.Length]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(8 * i), v[i]); return b; }
    public static byte[] F4(params float[] v) { var b = new byte[4 * v.Length]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]); return b; }
    public static byte[] I8(params long[] v) { var b = new byte[8 * v.Length]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(8 * i), v[i]); return b; }
    public static byte[] I4(params int[] v) { var b = new byte[4 * v.Length]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * i), v[i]); return b; }

    /// <summary>A .npz: a ZIP whose entries are "{name}.npy" (deflated when <paramref name="deflate"/>, as np.savez_compressed).</summary>
    public static byte[] Npz(bool deflate, params (string Name, byte[] Npy)[] arrays)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, npy) in arrays)
            {
                var e = zip.CreateEntry(name + ".npy", deflate ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
                using var s = e.Open();
                s.Write(npy);
            }
        return ms.ToArray();
    }

    /// <summary>A Parquet file written with Parquet.Net's writer: one column per (name, values) in order, split into row groups of <paramref name="groupRows"/>.</summary>
    public static void WriteParquet(string path, int groupRows, params (string Name, Array Values)[] columns)
    {
        var fields = columns.Select(c => (DataField)(c.Values switch
        {
            double[] => new DataField<double>(c.Name),
            float[] => new DataField<float>(c.Name),
            int[] => new DataField<int>(c.Name),
            long[] => new DataField<long>(c.Name),
            bool[] => new DataField<bool>(c.Name),
            double?[] => new DataField<double?>(c.Name),
            string[] => new DataField<string>(c.Name),
            _ => throw new ArgumentException(c.Values.GetType().Name),
        })).ToArray();
        int n = columns[0].Values.Length;
        Task.Run(async () =>
        {
            using var fs = File.Create(path);
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), fs);
            for (int start = 0; start < n; start += groupRows)
            {
                int len = Math.Min(groupRows, n - start);
                using var rg = writer.CreateRowGroup();
                for (int c = 0; c < columns.Length; c++)
                {
                    var f = fields[c];
                    switch (columns[c].Values)
                    {
                        case double[] a: await rg.WriteAsync<double>(f, a.AsMemory(start, len)); break;
                        case float[] a: await rg.WriteAsync<float>(f, a.AsMemory(start, len)); break;
                        case int[] a: await rg.WriteAsync<int>(f, a.AsMemory(start, len)); break;
                        case long[] a: await rg.WriteAsync<long>(f, a.AsMemory(start, len)); break;
                        case bool[] a: await rg.WriteAsync<bool>(f, a.AsMemory(start, len)); break;
                        case double?[] a: await rg.WriteAsync<double>(f, (ReadOnlyMemory<double?>)a.AsMemory(start, len)); break;
                        case string[] a: await rg.WriteAsync(f, a.Skip(start).Take(len).ToArray()); break;
                    }
                }
            }
        }).GetAwaiter().GetResult();
    }

    /// <summary>A number as pandas' to_csv writes a float64 (repr: shortest round-trip form).</summary>
    public static string Repr(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
