using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Gradscope.Data;

namespace Gradscope.Tests.Data;

/// <summary>Loaders on small hand-written files: correct values, and clear errors on bad input.</summary>
public class LoaderTests
{
    // ---------- Gradscope CSV ----------

    [Fact]
    public void GradscopeCsvRoundTripsExactly()
    {
        using var t = new TempDir();
        var d = new Dataset("tiny", [0.1, -2.5e-300, 1.0 / 3.0, 7, double.Epsilon, -0.0], [2, 0, 1], [2], 3);
        CsvDataset.Write(d, t.File("a.csv"));
        Assert.StartsWith("x0,x1,y\n", File.ReadAllText(t.File("a.csv")));
        var r = CsvDataset.Read(t.File("a.csv"), classes: 3);
        Assert.Equal(d.X, r.X);
        Assert.Equal(d.Y, r.Y);
        Assert.Equal(3, r.Classes);
    }

    [Fact]
    public void GradscopeCsvReadsHandWrittenFile()
    {
        using var t = new TempDir();
        File.WriteAllText(t.File("b.csv"), "x0,x1,y\n1,2,0\n\n3.5,-4,1\n");
        var r = CsvDataset.Read(t.File("b.csv"));
        Assert.Equal([1, 2, 3.5, -4], r.X);
        Assert.Equal([0, 1], r.Y);
        Assert.Equal(2, r.Classes);
    }

    [Theory]
    [InlineData("x0,x1,y\n1,2,0\n3,1\n", "line 3", "2 columns")]
    [InlineData("x0,x1,y\n1,2,0\n3,abc,1\n", "line 3, column 2", "'abc'")]
    [InlineData("x0,x1,y\n1,2,0\n3,4,5\n", "line 3, column 3", "label 5")]
    [InlineData("a,b,y\n1,2,0\n", "line 1", "header")]
    [InlineData("x0,x1,y\n1,2,0.5\n", "line 2, column 3", "label 0.5")]
    public void GradscopeCsvErrorsNameFileLineAndColumn(string text, string where, string what)
    {
        using var t = new TempDir();
        var path = t.File("bad.csv");
        File.WriteAllText(path, text);
        var ex = Assert.Throws<InvalidDataException>(() => CsvDataset.Read(path, classes: 2));
        Assert.Contains("bad.csv", ex.Message);
        Assert.Contains(where, ex.Message);
        Assert.Contains(what, ex.Message);
    }

    // ---------- scikit-learn CSV ----------

    [Fact]
    public void SklearnCsvReadsMetadataLine()
    {
        using var t = new TempDir();
        File.WriteAllText(t.File("s.csv"), "3,2,a,b\n1,2,0\n3,4,1\n5,6,1\n");
        var r = SklearnCsv.Read(t.File("s.csv"), "s", out var names);
        Assert.Equal(["a", "b"], names);
        Assert.Equal([0, 1, 1], r.Y);
        Assert.Equal(6, r.X[5]);
    }

    [Theory]
    [InlineData("4,2,a,b\n1,2,0\n3,4,1\n", "says 4 samples")]
    [InlineData("2,2,a,b\n1,2,0\n3,4,2\n", "line 3, column 3")]
    [InlineData("2,2,a,b\n1,2,0\n3,4\n", "line 3")]
    [InlineData("hello\n1,2,0\n", "line 1")]
    public void SklearnCsvRejectsInconsistentFiles(string text, string what)
    {
        using var t = new TempDir();
        File.WriteAllText(t.File("s.csv"), text);
        var ex = Assert.Throws<InvalidDataException>(() => SklearnCsv.Read(t.File("s.csv")));
        Assert.Contains("s.csv", ex.Message);
        Assert.Contains(what, ex.Message);
    }

    // ---------- optdigits ----------

    [Fact]
    public void LabelLastCsvSkipsBlankLinesAndReadsGzip()
    {
        using var t = new TempDir();
        var text = "0,1,2,3\n4,5,6,9\n\n";
        using (var gz = new GZipStream(File.Create(t.File("o.gz")), CompressionLevel.Fastest)) gz.Write(Encoding.ASCII.GetBytes(text));
        File.WriteAllText(t.File("o.txt"), text);
        foreach (var p in new[] { t.File("o.gz"), t.File("o.txt") })
        {
            var r = LabelLastCsv.Read(p, 10);
            Assert.Equal([3, 9], r.Y);
            Assert.Equal([0, 1, 2, 4, 5, 6], r.X);
        }
        File.WriteAllText(t.File("r.txt"), "0,1,2,3\n4,5,6\n");
        var ex = Assert.Throws<InvalidDataException>(() => LabelLastCsv.Read(t.File("r.txt"), 10));
        Assert.Contains("r.txt' line 2", ex.Message);
        File.WriteAllText(t.File("l.txt"), "0,1,2,3\n4,5,6,10\n");
        ex = Assert.Throws<InvalidDataException>(() => LabelLastCsv.Read(t.File("l.txt"), 10));
        Assert.Contains("line 2, column 4", ex.Message);
    }

    // ---------- IDX ----------

    private static byte[] IdxBytes(int magic, int[] dims, byte[] payload)
    {
        var b = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(b, magic);
        for (int k = 0; k < dims.Length; k++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * k), dims[k]);
        payload.CopyTo(b, 4 + 4 * dims.Length);
        return b;
    }

    [Fact]
    public void IdxReadsImagesAndLabelsGzippedOrNot()
    {
        using var t = new TempDir();
        var pixels = new byte[] { 0, 255, 51, 102, 7, 8, 9, 10 }; // two 2x2 images
        File.WriteAllBytes(t.File("img"), IdxBytes(2051, [2, 2, 2], pixels));
        using (var gz = new GZipStream(File.Create(t.File("lab.gz")), CompressionLevel.Fastest)) gz.Write(IdxBytes(2049, [2], [3, 1]));
        var d = Idx.LoadImagesAndLabels(t.File("img"), t.File("lab.gz"), "tiny", classes: 4);
        Assert.Equal([1, 2, 2], d.SampleShape);
        Assert.Equal([3, 1], d.Y);
        Assert.Equal(1.0, d.X[1]);
        Assert.Equal(0.2, d.X[2], 15);
        var raw = Idx.LoadImagesAndLabels(t.File("img"), t.File("lab.gz"), "tiny", classes: 4, scale: false);
        Assert.Equal(102, raw.X[3]);
    }

    [Fact]
    public void IdxRejectsBadFiles()
    {
        using var t = new TempDir();
        File.WriteAllBytes(t.File("wrongmagic"), IdxBytes(2049, [2], [0, 1]));
        File.WriteAllBytes(t.File("labels"), IdxBytes(2049, [2], [0, 1]));
        File.WriteAllBytes(t.File("truncated"), IdxBytes(2051, [3, 2, 2], new byte[10]));
        File.WriteAllBytes(t.File("long"), IdxBytes(2051, [1, 2, 2], new byte[5]));
        File.WriteAllBytes(t.File("img1"), IdxBytes(2051, [1, 2, 2], new byte[4]));
        File.WriteAllBytes(t.File("badlabel"), IdxBytes(2049, [1], [12]));
        File.WriteAllBytes(t.File("shortheader"), [0, 0, 8, 3, 0, 0]);

        Assert.Contains("magic number 2049", Assert.Throws<InvalidDataException>(() => Idx.LoadImagesAndLabels(t.File("wrongmagic"), t.File("labels"), "x")).Message);
        Assert.Contains("truncated IDX payload", Assert.Throws<InvalidDataException>(() => Idx.Read(t.File("truncated"))).Message);
        Assert.Contains("needs 4", Assert.Throws<InvalidDataException>(() => Idx.Read(t.File("long"))).Message);
        Assert.Contains("truncated IDX header", Assert.Throws<InvalidDataException>(() => Idx.Read(t.File("shortheader"))).Message);
        var count = Assert.Throws<InvalidDataException>(() => Idx.LoadImagesAndLabels(t.File("img1"), t.File("labels"), "x"));
        Assert.Contains("1 images", count.Message);
        Assert.Contains("2 labels", count.Message);
        Assert.Contains("record 0", Assert.Throws<InvalidDataException>(() => Idx.LoadImagesAndLabels(t.File("img1"), t.File("badlabel"), "x")).Message);
        // a gzip stream cut in half: either the gzip layer or the IDX size check must reject it
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.NoCompression, leaveOpen: true)) gz.Write(IdxBytes(2051, [50, 4, 4], new byte[800]));
        File.WriteAllBytes(t.File("cut.gz"), ms.ToArray().AsSpan(0, (int)ms.Length / 2).ToArray());
        Assert.Contains("cut.gz", Assert.Throws<InvalidDataException>(() => Idx.Read(t.File("cut.gz"))).Message);
    }

    // ---------- NumPy ----------

    /// <summary>Writes a .npy as numpy.save does: magic, version, header padded with spaces to a multiple of 64, newline.</summary>
    internal static byte[] NpyBytes(string descr, int[] shape, byte[] payload, int major = 1, bool fortran = false)
    {
        string shp = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shp}, }}";
        int pre = major == 1 ? 10 : 12;
        int total = (pre + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - pre - 1) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        var len = new byte[major == 1 ? 2 : 4];
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length); else BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)header.Length);
        ms.Write(len);
        ms.Write(Encoding.ASCII.GetBytes(header));
        ms.Write(payload);
        return ms.ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void NpyReadsVersionsAndDtypes(int major)
    {
        var f8 = new byte[16]; BinaryPrimitives.WriteDoubleLittleEndian(f8, 1.5); BinaryPrimitives.WriteDoubleLittleEndian(f8.AsSpan(8), -2.25);
        var a = Npy.Read(NpyBytes("<f8", [2], f8, major), "a.npy");
        Assert.Equal([1.5, -2.25], a.Data);
        var f4 = new byte[8]; BinaryPrimitives.WriteSingleLittleEndian(f4, 0.5f); BinaryPrimitives.WriteSingleLittleEndian(f4.AsSpan(4), 3f);
        Assert.Equal([0.5, 3.0], Npy.Read(NpyBytes("<f4", [1, 2], f4, major), "b.npy").Data);
        var i8 = new byte[8]; BinaryPrimitives.WriteInt64LittleEndian(i8, -7);
        Assert.Equal([-7.0], Npy.Read(NpyBytes("<i8", [1], i8, major), "c.npy").Data);
        var u1 = Npy.Read(NpyBytes("|u1", [2, 3], [0, 1, 2, 253, 254, 255], major), "d.npy");
        Assert.Equal([2, 3], u1.Shape);
        Assert.Equal(255, u1.Data[5]);
    }

    [Fact]
    public void NpyRejectsBadFiles()
    {
        Assert.Contains("Fortran", Assert.Throws<InvalidDataException>(() => Npy.Read(NpyBytes("|u1", [2, 2], new byte[4], fortran: true), "f.npy")).Message);
        Assert.Contains("needs 4", Assert.Throws<InvalidDataException>(() => Npy.Read(NpyBytes("|u1", [2, 2], new byte[3]), "t.npy")).Message);
        Assert.Contains("'>f8' is not supported", Assert.Throws<InvalidDataException>(() => Npy.Read(NpyBytes(">f8", [1], new byte[8]), "e.npy")).Message);
        Assert.Contains("\\x93NUMPY", Assert.Throws<InvalidDataException>(() => Npy.Read(Encoding.ASCII.GetBytes("not numpy at all"), "m.npy")).Message);
        var bad = NpyBytes("|u1", [1], [1]); bad[6] = 9;
        Assert.Contains("version 9", Assert.Throws<InvalidDataException>(() => Npy.Read(bad, "v.npy")).Message);
    }

    [Fact]
    public void NpzReadsArraysAndImageLabelPairs()
    {
        using var t = new TempDir();
        void Npz(string path, string entry, byte[] npy)
        {
            using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
            using var s = zip.CreateEntry(entry, CompressionLevel.Optimal).Open();
            s.Write(npy);
        }
        Npz(t.File("img.npz"), "arr_0.npy", NpyBytes("|u1", [3, 1, 2], [0, 255, 10, 20, 30, 40]));
        Npz(t.File("lab.npz"), "arr_0.npy", NpyBytes("|u1", [3], [2, 0, 1]));
        Npz(t.File("lab2.npz"), "arr_0.npy", NpyBytes("|u1", [2], [2, 0]));
        Npz(t.File("lab3.npz"), "arr_0.npy", NpyBytes("|u1", [3], [2, 0, 11]));
        var d = Npy.LoadImagesAndLabels(t.File("img.npz"), t.File("lab.npz"), "k");
        Assert.Equal([1, 1, 2], d.SampleShape);
        Assert.Equal([2, 0, 1], d.Y);
        Assert.Equal(1.0, d.X[1]);
        Assert.Contains("2 labels", Assert.Throws<InvalidDataException>(() => Npy.LoadImagesAndLabels(t.File("img.npz"), t.File("lab2.npz"), "k")).Message);
        Assert.Contains("record 2", Assert.Throws<InvalidDataException>(() => Npy.LoadImagesAndLabels(t.File("img.npz"), t.File("lab3.npz"), "k")).Message);
        File.WriteAllText(t.File("junk.npz"), "junk");
        Assert.Contains("junk.npz", Assert.Throws<InvalidDataException>(() => Npy.ReadNpz(t.File("junk.npz"))).Message);
    }

    // ---------- CIFAR-10 ----------

    [Fact]
    public void Cifar10ReadsRecordsAndRejectsPartialOnes()
    {
        using var t = new TempDir();
        var rec = new byte[2 * Cifar10.RecordBytes];
        rec[0] = 7; rec[1] = 255; rec[1 + 1024] = 51; // label 7, red(0,0) = 255, green(0,0) = 51
        rec[Cifar10.RecordBytes] = 2; rec[Cifar10.RecordBytes + 3072] = 10; // second: label 2, last blue pixel 10
        File.WriteAllBytes(t.File("b.bin"), rec);
        var d = Cifar10.Load("c", [t.File("b.bin"), t.File("b.bin")]);
        Assert.Equal(4, d.N);
        Assert.Equal([7, 2, 7, 2], d.Y);
        Assert.Equal([3, 32, 32], d.SampleShape);
        Assert.Equal(1.0, d.X[0]);
        Assert.Equal(0.2, d.X[1024], 15);
        Assert.Equal(10 / 255.0, d.X[3072 + 3071], 15);
        File.WriteAllBytes(t.File("p.bin"), rec.AsSpan(0, Cifar10.RecordBytes + 5).ToArray());
        Assert.Contains("record 1 is incomplete", Assert.Throws<InvalidDataException>(() => Cifar10.Load("c", [t.File("p.bin")])).Message);
        rec[Cifar10.RecordBytes] = 10;
        File.WriteAllBytes(t.File("l.bin"), rec);
        Assert.Contains("record 1 has label 10", Assert.Throws<InvalidDataException>(() => Cifar10.Load("c", [t.File("l.bin")])).Message);
    }
}
