namespace Gradscope.Data;

/// <summary>
/// The CIFAR-10 binary format (cifar-10-binary.tar.gz): each record is 1 label byte (0..9) followed by
/// 3072 pixel bytes, the 1024 red, then green, then blue values of a 32x32 image in row-major order.
/// A batch file holds 10,000 records (30,730,000 bytes).
/// </summary>
public static class Cifar10
{
    /// <summary>Bytes per record: 1 + 3 * 32 * 32.</summary>
    public const int RecordBytes = 3073;

    /// <summary>The 10 class names in label order.</summary>
    public static readonly string[] ClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>
    /// Reads and concatenates batch files into a dataset of shape (3, 32, 32); pixels divided by 255 when
    /// <paramref name="scale"/>. Throws InvalidDataException naming the file and record when a file is not
    /// a whole number of records or a label is above 9.
    /// </summary>
    public static Dataset Load(string name, IReadOnlyList<string> batchFiles, bool scale = true)
    {
        var x = new List<double[]>();
        var y = new List<int>();
        double f = scale ? 1.0 / 255.0 : 1.0;
        foreach (var path in batchFiles)
        {
            var b = DataFile.ReadAllBytes(path);
            if (b.Length == 0 || b.Length % RecordBytes != 0)
                throw new InvalidDataException($"'{path}': {b.Length} bytes is not a whole number of {RecordBytes}-byte CIFAR-10 records (record {b.Length / RecordBytes} is incomplete).");
            int n = b.Length / RecordBytes;
            var px = new double[n * 3072];
            for (int r = 0; r < n; r++)
            {
                int o = r * RecordBytes;
                if (b[o] > 9) throw new InvalidDataException($"'{path}': record {r} has label {b[o]}, expected 0..9.");
                y.Add(b[o]);
                for (int j = 0; j < 3072; j++) px[r * 3072 + j] = b[o + 1 + j] * f;
            }
            x.Add(px);
        }
        var all = new double[x.Sum(a => a.Length)];
        int off = 0;
        foreach (var a in x) { a.CopyTo(all, off); off += a.Length; }
        return new Dataset(name, all, y.ToArray(), [3, 32, 32], 10);
    }
}
