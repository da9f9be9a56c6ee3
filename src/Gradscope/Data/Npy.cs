using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Gradscope.Data;

/// <summary>A NumPy array read from .npy: its dtype descriptor, C-order shape and values (as double), plus the raw bytes for |u1.</summary>
public sealed record NpyArray(string Descr, int[] Shape, double[] Data)
{
    /// <summary>Number of elements, prod(Shape).</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// NumPy's .npy format (versions 1.0, 2.0, 3.0): magic "\x93NUMPY", major/minor bytes, a little-endian
/// header length (2 bytes in v1, 4 in v2/v3), an ASCII (v3: UTF-8) Python dict
/// {'descr': ..., 'fortran_order': ..., 'shape': (...)}, then the raw array. Supported dtypes:
/// |u1 |i1 |b1 &lt;u2 &lt;i2 &lt;i4 &lt;u4 &lt;i8 &lt;f4 &lt;f8 (little-endian). Fortran order is rejected.
/// .npz archives (ZIP, stored or deflated) are read with <see cref="ZipArchive"/>.
/// </summary>
public static partial class Npy
{
    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")] private static partial Regex DescrRx();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")] private static partial Regex FortranRx();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapeRx();

    /// <summary>Reads a .npy file. Throws InvalidDataException naming the file for bad magic, headers, dtypes or payload sizes.</summary>
    public static NpyArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"NumPy file '{path}' does not exist.", path);
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses .npy bytes; <paramref name="source"/> names them in errors.</summary>
    public static NpyArray Read(byte[] b, string source)
    {
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        if (b.Length < 10 || !b.AsSpan(0, 6).SequenceEqual(magic))
            throw new InvalidDataException($"'{source}': not a NumPy .npy file (missing the \\x93NUMPY magic).");
        int major = b[6];
        int headerLen, start;
        switch (major)
        {
            case 1: headerLen = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)); start = 10; break;
            case 2 or 3:
                if (b.Length < 12) throw new InvalidDataException($"'{source}': truncated .npy v{major} header.");
                long hl = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8));
                if (hl > int.MaxValue) throw new InvalidDataException($"'{source}': .npy header length {hl} is absurd.");
                headerLen = (int)hl; start = 12; break;
            default: throw new InvalidDataException($"'{source}': .npy format version {major}.{b[7]} is not supported (1, 2 or 3).");
        }
        if ((long)start + headerLen > b.Length)
            throw new InvalidDataException($"'{source}': .npy header of {headerLen} bytes runs past the end of the file ({b.Length} bytes).");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(b, start, headerLen);
        var dm = DescrRx().Match(header);
        var fm = FortranRx().Match(header);
        var sm = ShapeRx().Match(header);
        if (!dm.Success || !fm.Success || !sm.Success)
            throw new InvalidDataException($"'{source}': .npy header lacks 'descr', 'fortran_order' or 'shape': {header.Trim()}");
        string descr = dm.Groups[1].Value;
        if (fm.Groups[1].Value == "True")
            throw new InvalidDataException($"'{source}': Fortran-order arrays are not supported (save with C order, e.g. np.ascontiguousarray).");
        var dims = sm.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new int[dims.Length];
        long count = 1;
        for (int k = 0; k < dims.Length; k++)
        {
            if (!int.TryParse(dims[k].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out shape[k]))
                throw new InvalidDataException($"'{source}': .npy shape entry '{dims[k]}' is not a non-negative integer.");
            count *= shape[k]; // NOTE: both factors are below 2^31, so the product fits a long before the bound check
            if (count > b.Length)
                throw new InvalidDataException($"'{source}': .npy shape ({string.Join(", ", dims)}) has more elements than the file has bytes ({b.Length}).");
        }
        int size = ItemSize(descr, source);
        long payload = b.Length - (start + headerLen);
        if (payload != count * size)
            throw new InvalidDataException($"'{source}': .npy payload has {payload} bytes but shape ({string.Join(", ", shape)}) of {descr} needs {count * size}.");
        var data = new double[count];
        var p = b.AsSpan(start + headerLen);
        for (long i = 0; i < count; i++)
        {
            var e = p.Slice((int)(i * size), size);
            data[i] = descr[1..] switch
            {
                "u1" => e[0],
                "i1" => (sbyte)e[0],
                "b1" => e[0] != 0 ? 1 : 0,
                "u2" => BinaryPrimitives.ReadUInt16LittleEndian(e),
                "i2" => BinaryPrimitives.ReadInt16LittleEndian(e),
                "u4" => BinaryPrimitives.ReadUInt32LittleEndian(e),
                "i4" => BinaryPrimitives.ReadInt32LittleEndian(e),
                "i8" => BinaryPrimitives.ReadInt64LittleEndian(e),
                "f4" => BinaryPrimitives.ReadSingleLittleEndian(e),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(e),
            };
        }
        return new NpyArray(descr, shape, data);
    }

    private static int ItemSize(string descr, string source) => descr switch
    {
        "|u1" or "<u1" or "|i1" or "<i1" or "|b1" => 1,
        "<u2" or "<i2" => 2,
        "<i4" or "<u4" or "<f4" => 4,
        "<i8" or "<f8" => 8,
        _ => throw new InvalidDataException($"'{source}': .npy dtype '{descr}' is not supported (|u1 |i1 |b1 <u2 <i2 <i4 <u4 <i8 <f4 <f8)."),
    };

    /// <summary>Reads every array of a .npz archive, keyed by entry name without ".npy" (e.g. "arr_0").</summary>
    public static Dictionary<string, NpyArray> ReadNpz(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"NumPy archive '{path}' does not exist.", path);
        var result = new Dictionary<string, NpyArray>();
        // NOTE: a damaged archive can fail while the entries are enumerated or opened, not only in OpenRead; every such
        // failure names the archive (the .npy errors of an entry already name it, as 'archive!entry').
        try { ReadEntries(path, result); }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or NotSupportedException or OverflowException
                                  && !e.Message.StartsWith($"'{path}", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{path}': not a readable .npz (ZIP) archive ({e.Message}).", e);
        }
        if (result.Count == 0) throw new InvalidDataException($"'{path}': the .npz archive holds no .npy arrays.");
        return result;
    }

    private static void ReadEntries(string path, Dictionary<string, NpyArray> result)
    {
        using var zip = ZipFile.OpenRead(path);
        {
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal)) continue;
                byte[] bytes;
                try
                {
                    using var s = entry.Open();
                    using var ms = new MemoryStream();
                    s.CopyTo(ms);
                    bytes = ms.ToArray();
                }
                catch (InvalidDataException e) { throw new InvalidDataException($"'{path}': entry '{entry.FullName}' is corrupt ({e.Message}).", e); }
                result[entry.FullName[..^4]] = Read(bytes, $"{path}!{entry.FullName}");
            }
        }
    }

    /// <summary>The single array of a one-array .npz (such as KMNIST's "arr_0").</summary>
    public static NpyArray ReadSingle(string path)
    {
        var all = ReadNpz(path);
        if (all.Count != 1) throw new InvalidDataException($"'{path}': expected one array, found {all.Count} ({string.Join(", ", all.Keys)}).");
        return all.Values.First();
    }

    /// <summary>
    /// Loads an image array (n, rows, cols) of |u1 and a label vector (n) from two .npz files (the KMNIST layout)
    /// as a dataset of shape (1, rows, cols); pixels divided by 255 when <paramref name="scale"/>.
    /// </summary>
    public static Dataset LoadImagesAndLabels(string imagesNpz, string labelsNpz, string name, int classes = 10, bool scale = true)
    {
        var img = ReadSingle(imagesNpz);
        var lab = ReadSingle(labelsNpz);
        if (img.Descr is not ("|u1" or "<u1")) throw new InvalidDataException($"'{imagesNpz}': images have dtype {img.Descr}, expected |u1.");
        if (lab.Shape.Length != 1) throw new InvalidDataException($"'{labelsNpz}': labels have shape ({string.Join(", ", lab.Shape)}), expected (n).");
        var pixels = new byte[img.Data.Length];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)img.Data[i];
        var labels = new byte[lab.Data.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            double v = lab.Data[i];
            if (v < 0 || v >= classes || v != Math.Floor(v)) throw new InvalidDataException($"'{labelsNpz}': label {v} of record {i} is outside [0, {classes}).");
            labels[i] = (byte)v;
        }
        return ImageDataset.FromBytes(name, pixels, img.Shape, imagesNpz, labels, labelsNpz, classes, scale);
    }
}
