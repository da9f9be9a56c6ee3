using System.Buffers.Binary;

namespace Gradscope.Data;

/// <summary>An unsigned-byte IDX array: its magic number, dimensions and payload.</summary>
public sealed record IdxArray(int Magic, int[] Shape, byte[] Data);

/// <summary>
/// The IDX format of the MNIST family (MNIST, Fashion-MNIST): a big-endian 32-bit magic number
/// 0x0000TTNN (TT = element type, 0x08 = unsigned byte; NN = number of dimensions), NN big-endian
/// 32-bit sizes, then the payload in row-major order. Files may be gzip-compressed.
/// Images have magic 2051 (0x803: ubyte, 3 dims), labels 2049 (0x801: ubyte, 1 dim).
/// </summary>
public static class Idx
{
    /// <summary>Magic number of an image file (n, rows, cols).</summary>
    public const int ImagesMagic = 2051;
    /// <summary>Magic number of a label file (n).</summary>
    public const int LabelsMagic = 2049;

    /// <summary>
    /// Reads an unsigned-byte IDX file (gzip or not). Throws InvalidDataException naming the file
    /// when the magic number is wrong, the header is short, or the payload is not exactly prod(shape) bytes.
    /// </summary>
    public static IdxArray Read(string path, int expectedMagic = 0)
    {
        var b = DataFile.ReadAllBytes(path);
        if (b.Length < 4) throw new InvalidDataException($"'{path}': {b.Length} bytes, too short for an IDX magic number.");
        int magic = BinaryPrimitives.ReadInt32BigEndian(b);
        if (expectedMagic != 0 && magic != expectedMagic)
            throw new InvalidDataException($"'{path}': IDX magic number {magic} (0x{magic:X8}), expected {expectedMagic} (0x{expectedMagic:X8}).");
        if (b[0] != 0 || b[1] != 0 || b[2] != 0x08 || b[3] == 0)
            throw new InvalidDataException($"'{path}': magic number 0x{magic:X8} is not an unsigned-byte IDX file (expected 0x000008NN).");
        int dims = b[3];
        int header = 4 + 4 * dims;
        if (b.Length < header) throw new InvalidDataException($"'{path}': truncated IDX header ({b.Length} bytes, need {header} for {dims} dimensions).");
        var shape = new int[dims];
        long count = 1;
        for (int k = 0; k < dims; k++)
        {
            shape[k] = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(4 + 4 * k));
            if (shape[k] < 0) throw new InvalidDataException($"'{path}': IDX dimension {k} is negative ({shape[k]}).");
            count *= shape[k]; // NOTE: both factors are below 2^31, so the product fits a long before the bound check
            if (count > int.MaxValue)
                throw new InvalidDataException($"'{path}': IDX header shape ({string.Join(", ", shape[..(k + 1)])}{(k + 1 < dims ? ", ..." : "")}) has more than {int.MaxValue} elements.");
        }
        long payload = b.Length - header;
        if (payload < count)
            throw new InvalidDataException($"'{path}': truncated IDX payload: header shape ({string.Join(", ", shape)}) needs {count} bytes, file has {payload} (record {payload / Math.Max(1, count / Math.Max(1, shape[0]))} is incomplete).");
        if (payload > count)
            throw new InvalidDataException($"'{path}': IDX payload has {payload} bytes but header shape ({string.Join(", ", shape)}) needs {count}.");
        return new IdxArray(magic, shape, b.AsSpan(header).ToArray());
    }

    /// <summary>
    /// Loads an image/label pair as a dataset of per-sample shape (1, rows, cols). Pixels are divided by 255
    /// when <paramref name="scale"/> (values in [0, 1]), else kept as 0..255. Throws InvalidDataException when
    /// magic numbers are wrong, counts differ, or a label is outside [0, <paramref name="classes"/>) (naming the record).
    /// </summary>
    public static Dataset LoadImagesAndLabels(string imagesPath, string labelsPath, string name, int classes = 10, bool scale = true)
    {
        var images = Read(imagesPath, ImagesMagic);
        var labels = Read(labelsPath, LabelsMagic);
        return ImageDataset.FromBytes(name, images.Data, images.Shape, imagesPath, labels.Data, labelsPath, classes, scale);
    }
}

/// <summary>Builds a dataset from raw uint8 images (n, rows, cols) or (n, channels, rows, cols) and uint8 labels.</summary>
internal static class ImageDataset
{
    public static Dataset FromBytes(string name, byte[] pixels, int[] shape, string imagesSource, byte[] labels, string labelsSource, int classes, bool scale)
    {
        if (shape.Length is < 2 or > 4) throw new InvalidDataException($"'{imagesSource}': image array of rank {shape.Length}, expected (n, rows, cols) or (n, channels, rows, cols).");
        int n = shape[0];
        if (labels.Length != n)
            throw new InvalidDataException($"'{imagesSource}' holds {n} images but '{labelsSource}' holds {labels.Length} labels.");
        int[] sample = shape.Length switch { 2 => [shape[1]], 3 => [1, shape[1], shape[2]], _ => shape[1..] };
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (labels[i] >= classes) throw new InvalidDataException($"'{labelsSource}': label {labels[i]} of record {i} is outside [0, {classes}).");
            y[i] = labels[i];
        }
        var x = new double[pixels.Length];
        double f = scale ? 1.0 / 255.0 : 1.0;
        for (int i = 0; i < x.Length; i++) x[i] = pixels[i] * f;
        return new Dataset(name, x, y, sample, classes);
    }
}
