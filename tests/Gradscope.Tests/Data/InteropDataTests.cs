using System.IO.Compression;
using System.Text;
using Gradscope.Data;
using Gradscope.Tensors;
using Gradscope.Training;
using static Gradscope.Tests.Data.InteropFiles;

namespace Gradscope.Tests.Data;

/// <summary>
/// PyTorch-shaped data files: CSV as pandas writes it, .npy pairs and .npz archives built byte by byte from the NPY spec,
/// Parquet written by Parquet.Net's writer. Every value is compared with the literal it was written from.
/// </summary>
public class InteropDataTests
{
    private static readonly double[][] Rows = [[5.1, 3.5, 0.25], [4.9, -3.0, 1e-7], [6.2, 2.9, 12.5], [5.9, 3.0, -0.5]];
    private static readonly int[] Y = [0, 2, 1, 2];

    // Assert.Contains with the whole message on failure (xunit shortens long strings)
    private static void Has(string expected, string actual) => Assert.True(actual.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in: {actual}");

    private static void Has(double expected, double[] actual) => Assert.Contains(expected, actual);

    private static void AssertRows(Dataset d)
    {
        Assert.Equal(Rows.Length, d.N);
        Assert.Equal(3, d.D);
        Assert.Equal(Rows.SelectMany(r => r).ToArray(), d.X);
        Assert.Equal(Y, d.Y);
        Assert.Equal(3, d.Classes);
    }

    // pandas.DataFrame(rows, columns=[...]).assign(species=y).to_csv(path): an unnamed index column 0..n-1 first
    private static string PandasCsv(bool index, string labelName = "species", bool labelFirst = false)
    {
        var sb = new StringBuilder();
        if (index) sb.Append(',');
        if (labelFirst) sb.Append(labelName).Append(',');
        sb.Append("sepal length (cm),\"width, petal\",z");
        if (!labelFirst) sb.Append(',').Append(labelName);
        sb.Append('\n');
        for (int i = 0; i < Rows.Length; i++)
        {
            if (index) sb.Append(i).Append(',');
            if (labelFirst) sb.Append(Y[i]).Append(',');
            sb.Append(string.Join(",", Rows[i].Select(Repr)));
            if (!labelFirst) sb.Append(',').Append(Y[i]);
            sb.Append('\n');
        }
        return sb.ToString();
    }

    [Fact]
    public void PandasCsvWithItsIndexColumnReadsWithTheLastColumnAsLabel()
    {
        using var t = new TempDir();
        File.WriteAllText(t.File("iris.csv"), PandasCsv(index: true));
        AssertRows(TableCsv.Read(t.File("iris.csv")));
        File.WriteAllText(t.File("noindex.csv"), PandasCsv(index: false));
        AssertRows(TableCsv.Read(t.File("noindex.csv")));
        // a named label column anywhere, e.g. first; Windows line endings and gzip (to_csv(compression="gzip"))
        File.WriteAllText(t.File("first.csv"), PandasCsv(index: true, "target", labelFirst: true).Replace("\n", "\r\n"));
        AssertRows(TableCsv.Read(t.File("first.csv"), label: "target"));
        using (var gz = new GZipStream(File.Create(t.File("g.csv.gz")), CompressionLevel.Optimal))
            gz.Write(Encoding.UTF8.GetBytes(PandasCsv(index: true)));
        AssertRows(TableCsv.Read(t.File("g.csv.gz")));
        // Gradscope's own x0..,y header is the special case
        var own = new Dataset("own", Rows.SelectMany(r => r).ToArray(), Y, [3], 3);
        CsvDataset.Write(own, t.File("own.csv"));
        AssertRows(TableCsv.Read(t.File("own.csv")));
    }

    [Theory]
    [InlineData("a,b,y\n1,2,0\n3,,1\n", "line 3, column 'b' (2): empty cell")]
    [InlineData("a,b,y\n1,2,0\n3,cat,1\n", "line 3, column 'b' (2): 'cat' is not a number")]
    [InlineData("a,b,y\n1,2,0\n3,nan,1\n", "line 3, column 'b' (2): value nan is not finite")]
    [InlineData("a,b,y\n1,2,0\n3,4\n", "line 3: 2 cells, but the header (line 1) names 3 columns")]
    [InlineData("a,b,y\n1,2,0.5\n", "line 2, label column 'y' (3): label 0.5 is not a class number")]
    [InlineData("a,b,y\n1,2,-1\n", "label -1 is not a class number")]
    [InlineData("a,b,y\n1,2,setosa\n", "'setosa' is not a number")]
    [InlineData(",a,y\n3,1,0\n5,2,1\n", "line 2: the first column has no name but is not pandas' default index")]
    [InlineData("1,2,0\n3,4,1\n", "line 1: the first line holds numbers, not column names")]
    [InlineData("a,b,y\n", "no data rows after the header")]
    [InlineData("y\n1\n", "no feature columns besides the label column 'y'")]
    [InlineData("\"a,b,y\n1,2,0\n", "line 1: a quoted cell is not closed")]
    public void BadCsvIsAClearErrorNamingFileLineAndColumn(string text, string expected)
    {
        using var t = new TempDir();
        string path = t.File("bad.csv");
        File.WriteAllText(path, text);
        var e = Assert.Throws<InvalidDataException>(() => TableCsv.Read(path));
        Assert.StartsWith($"'{path}'", e.Message);
        Has(expected, e.Message);
    }

    [Fact]
    public void AMissingLabelColumnListsTheColumns()
    {
        using var t = new TempDir();
        File.WriteAllText(t.File("iris.csv"), PandasCsv(index: true));
        var e = Assert.Throws<InvalidDataException>(() => TableCsv.Read(t.File("iris.csv"), label: "target"));
        Has("no label column 'target'; the header names 'sepal length (cm)', 'width, petal', 'z', 'species'", e.Message);
    }

    [Fact]
    public void NpyPairAndNpzBuiltFromTheSpecReadBack()
    {
        using var t = new TempDir();
        var flat = Rows.SelectMany(r => r).ToArray();
        File.WriteAllBytes(t.File("X.npy"), Npy("<f8", [4, 3], F8(flat)));
        File.WriteAllBytes(t.File("y.npy"), Npy("<i8", [4], I8(Y.Select(v => (long)v).ToArray())));
        AssertRows(NpyDataset.ReadPair(t.File("X.npy"), t.File("y.npy")));
        // np.savez(X=..., y=...) stored and np.savez_compressed deflated; y of shape (n, 1) as int32
        foreach (bool deflate in new[] { false, true })
        {
            File.WriteAllBytes(t.File("d.npz"), Npz(deflate, ("X", Npy("<f8", [4, 3], F8(flat))), ("y", Npy("<i4", [4, 1], I4(Y)))));
            AssertRows(NpyDataset.ReadNpz(t.File("d.npz")));
        }
        // images as uint8 (n, 1, 2, 2) with labels under other names, and float32 features
        var pixels = Enumerable.Range(0, 2 * 4).Select(i => (byte)(i * 30)).ToArray();
        File.WriteAllBytes(t.File("img.npz"), Npz(false, ("images", Npy("|u1", [2, 1, 2, 2], pixels)), ("digits", Npy("<f4", [2], F4(1f, 0f)))));
        var img = NpyDataset.ReadNpz(t.File("img.npz"), "images", "digits");
        Assert.Equal([1, 2, 2], img.SampleShape);
        Assert.Equal(pixels.Select(p => (double)p).ToArray(), img.X);
        Assert.Equal([1, 0], img.Y);
        File.WriteAllBytes(t.File("f4.npy"), Npy("<f4", [2, 2], F4(0.1f, -2f, 3.5f, 1e-3f)));
        File.WriteAllBytes(t.File("y2.npy"), Npy("|u1", [2], [1, 0]));
        Assert.Equal(new[] { 0.1f, -2f, 3.5f, 1e-3f }.Select(v => (double)v).ToArray(), NpyDataset.ReadPair(t.File("f4.npy"), t.File("y2.npy")).X);
    }

    [Fact]
    public void BadNpyInputIsAClearErrorNamingFileAndArray()
    {
        using var t = new TempDir();
        File.WriteAllBytes(t.File("X.npy"), Npy("<f8", [4, 3], F8(Rows.SelectMany(r => r).ToArray())));
        File.WriteAllBytes(t.File("y3.npy"), Npy("<i8", [3], I8(0, 1, 2)));
        var e = Assert.Throws<InvalidDataException>(() => NpyDataset.ReadPair(t.File("X.npy"), t.File("y3.npy")));
        Assert.Equal($"'{t.File("X.npy")}' holds 4 samples but '{t.File("y3.npy")}' holds 3 labels; X and y must have the same length.", e.Message);

        File.WriteAllBytes(t.File("nan.npy"), Npy("<f8", [2, 2], F8(1, 2, double.NaN, 4)));
        File.WriteAllBytes(t.File("y2.npy"), Npy("<i8", [2], I8(0, 1)));
        Has($"'{t.File("nan.npy")}': sample 1, feature 0 is NaN", Assert.Throws<InvalidDataException>(() => NpyDataset.ReadPair(t.File("nan.npy"), t.File("y2.npy"))).Message);

        File.WriteAllBytes(t.File("c.npy"), Npy("<c16", [2, 1], new byte[32]));
        Has($"'{t.File("c.npy")}': .npy dtype '<c16' is not supported", Assert.Throws<InvalidDataException>(() => NpyDataset.ReadPair(t.File("c.npy"), t.File("y2.npy"))).Message);
        File.WriteAllBytes(t.File("be.npy"), Npy(">f8", [2, 1], new byte[16]));
        Has("dtype '>f8' is not supported", Assert.Throws<InvalidDataException>(() => NpyDataset.ReadPair(t.File("be.npy"), t.File("y2.npy"))).Message);

        File.WriteAllBytes(t.File("yh.npy"), Npy("<f8", [2, 3], new byte[48]));
        Has("labels have shape (2, 3), expected (n) or (n, 1)", Assert.Throws<InvalidDataException>(() => NpyDataset.ReadPair(t.File("X.npy"), t.File("yh.npy"))).Message);

        File.WriteAllBytes(t.File("d.npz"), Npz(false, ("arr_0", Npy("<f8", [2, 2], F8(1, 2, 3, 4))), ("y", Npy("<i8", [2], I8(0, 1)))));
        var m = Assert.Throws<InvalidDataException>(() => NpyDataset.ReadNpz(t.File("d.npz"))).Message;
        Has($"'{t.File("d.npz")}': no features array (looked for 'X', 'x', 'features', 'data', 'inputs'; the archive holds 'arr_0', 'y'); name it with the parameter x.", m);
        Has("no array 'labels' (labels, parameter y)", Assert.Throws<InvalidDataException>(() => NpyDataset.ReadNpz(t.File("d.npz"), "arr_0", "labels")).Message);
        Assert.Equal(2, NpyDataset.ReadNpz(t.File("d.npz"), xName: "arr_0").N);
    }

    [Fact]
    public void ParquetWrittenByParquetNetReadsBackAcrossRowGroups()
    {
        using var t = new TempDir();
        string path = t.File("d.parquet");
        WriteParquet(path, groupRows: 3,
            ("f_double", Rows.Select(r => r[0]).ToArray()),
            ("f_float", Rows.Select(r => (float)r[1]).ToArray()),
            ("f_nullable", Rows.Select(r => (double?)r[2]).ToArray()),
            ("label", Y.Select(v => (long)v).ToArray()));
        var d = ParquetDataset.Read(path);
        Assert.Equal(4, d.N);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(Rows[i][0], d.Row(i)[0]);
            Assert.Equal((double)(float)Rows[i][1], d.Row(i)[1]);
            Assert.Equal(Rows[i][2], d.Row(i)[2]);
        }
        Assert.Equal(Y, d.Y);
        // a named label column in the middle; int and bool features; pandas' stored index column is dropped
        WriteParquet(path, 2, ("__index_level_0__", new long[] { 7, 8, 9 }), ("cls", new[] { 1, 0, 1 }), ("a", new[] { 3, -4, 5 }), ("b", new[] { true, false, true }));
        var m = ParquetDataset.Read(path, label: "cls");
        Assert.Equal(new double[] { 3, 1, -4, 0, 5, 1 }, m.X);
        Assert.Equal([1, 0, 1], m.Y);
    }

    [Fact]
    public void BadParquetInputIsAClearErrorNamingFileAndColumn()
    {
        using var t = new TempDir();
        string path = t.File("d.parquet");
        WriteParquet(path, 10, ("a", new[] { 1.0, 2.0 }), ("name", new[] { "x", "y" }), ("label", new long[] { 0, 1 }));
        Has($"'{path}': column 'name' has type string; only numeric columns", Assert.Throws<InvalidDataException>(() => ParquetDataset.Read(path)).Message);
        WriteParquet(path, 10, ("a", new double?[] { 1.0, null, 3.0 }), ("label", new long[] { 0, 1, 1 }));
        Has($"'{path}': column 'a', row 1: null (a missing value)", Assert.Throws<InvalidDataException>(() => ParquetDataset.Read(path)).Message);
        WriteParquet(path, 10, ("a", new[] { 1.0, double.NaN }), ("label", new long[] { 0, 1 }));
        Has("column 'a', row 1: value NaN is not finite", Assert.Throws<InvalidDataException>(() => ParquetDataset.Read(path)).Message);
        WriteParquet(path, 10, ("a", new[] { 1.0, 2.0 }), ("label", new long[] { 0, 1 }));
        Has($"'{path}': no label column 'target'; the file has columns 'a', 'label'", Assert.Throws<InvalidDataException>(() => ParquetDataset.Read(path, label: "target")).Message);
        WriteParquet(path, 10, ("a", new[] { 1.0, 2.0 }), ("label", new[] { 0.0, 1.5 }));
        Has("label column 'label', row 1: label 1.5 is not a class number", Assert.Throws<InvalidDataException>(() => ParquetDataset.Read(path)).Message);
        File.WriteAllText(path, "a,b\n1,0\n");
        Has("not a Parquet file", Assert.Throws<InvalidDataException>(() => ParquetDataset.Read(path)).Message);
    }

    [Fact]
    public void FilesAreDataSourcesInConfigsWithSplitsLeakageChecksAndRowIndices()
    {
        using var t = new TempDir();
        // 40 samples, 2 classes, in every format
        var x = new double[40 * 2];
        var y = new int[40];
        for (int i = 0; i < 40; i++) { x[2 * i] = i; x[2 * i + 1] = -0.5 * i; y[i] = i % 2; }
        var csv = new StringBuilder(",u,v,label\n");
        for (int i = 0; i < 40; i++) csv.Append($"{i},{Repr(x[2 * i])},{Repr(x[2 * i + 1])},{y[i]}\n");
        File.WriteAllText(t.File("d.csv"), csv.ToString());
        File.WriteAllBytes(t.File("X.npy"), Npy("<f8", [40, 2], F8(x)));
        File.WriteAllBytes(t.File("y.npy"), Npy("<i8", [40], I8(y.Select(v => (long)v).ToArray())));
        File.WriteAllBytes(t.File("d.npz"), Npz(true, ("X", File.ReadAllBytes(t.File("X.npy"))), ("y", File.ReadAllBytes(t.File("y.npy")))));
        WriteParquet(t.File("d.parquet"), 16, ("u", Enumerable.Range(0, 40).Select(i => x[2 * i]).ToArray()), ("v", Enumerable.Range(0, 40).Select(i => x[2 * i + 1]).ToArray()), ("label", y.Select(v => (long)v).ToArray()));
        foreach (var name in new[] { t.File("d.csv"), $"{t.File("X.npy")},{t.File("y.npy")}", t.File("d.npz"), t.File("d.parquet") })
        {
            var c = TrainConfigYaml.Parse($$"""
                seed: 4
                model: { mlp: { widths: [2, 4, 1] } }
                data:
                  train: { name: "{{name}}" }
                  split: { test: 0.25 }
                loss: { kind: logistic }
                algorithm: { name: gd, eta: 0.1 }
                stop: { steps: 1 }
                """, "cfg.yaml");
            var l = TrainerData.LoadAll(c, new Rng(c.Seed).Fork());
            Assert.Equal(30, l.Train.N);
            Assert.Equal(10, l.Test!.N);
            Assert.Empty(l.Indices.Train.Rows.Intersect(l.Indices.Test!.Rows));
            Assert.StartsWith("file:", l.Indices.Train.Source);
            // every training row is the file's row it names
            for (int k = 0; k < l.Train.N; k++)
            {
                int row = l.Indices.Train.Rows[k];
                Assert.Equal(x.AsSpan(2 * row, 2).ToArray(), l.Train.Row(k).ToArray());
                Assert.Equal(y[row], l.Train.Y[k]);
            }
        }
        // train and test drawn from one file without a split is the leakage error; per_class subsets work on files
        var leak = Assert.Throws<TrainConfigException>(() => TrainerData.LoadAll(TrainConfigYaml.Parse($$"""
            seed: 1
            model: { mlp: { widths: [2, 4, 1] } }
            data: { train: { name: "{{t.File("d.csv")}}", per_class: 5 }, test: { name: "{{t.Path}}/./d.csv" } }
            loss: { kind: logistic }
            algorithm: { name: gd, eta: 0.1 }
            stop: { steps: 1 }
            """, "leak.yaml"), new Rng(1)));
        Has("the same source", leak.Message);
        var pc = DataResolver.Resolve(t.File("d.parquet"), new Dictionary<string, string> { ["per_class"] = "3", ["label"] = "label" }, false, 1)!;
        Assert.Equal(6, pc.N);
        var bad = Assert.Throws<ArgumentException>(() => DataResolver.Resolve(t.File("d.npz"), new Dictionary<string, string> { ["label"] = "label" }, false, 1));
        Has("unknown parameter(s) 'label'", bad.Message);
        var single = Assert.Throws<TrainConfigException>(() => TrainerData.LoadAll(TrainConfigYaml.Parse($"seed: 1\nmodel: {{ mlp: {{ widths: [2, 4, 1] }} }}\ndata: {{ train: \"{t.File("X.npy")}\" }}\nloss: {{ kind: logistic }}\nalgorithm: {{ name: gd, eta: 0.1 }}\nstop: {{ steps: 1 }}\n", "one.yaml"), new Rng(1)));
        Has("a .npy file holds one array", single.Message);
    }

    [Fact]
    public void CommandLineDataSpecsCarryParameters()
    {
        var (source, parameters) = DataFiles.ParseSpec("d.csv:label=species");
        Assert.Equal("d.csv", source);
        Assert.Equal("species", Assert.Single(parameters).Value);
        Assert.Equal(2, DataFiles.ParseSpec("d.npz:x=images:y=digits").Parameters.Count);
        Assert.Empty(DataFiles.ParseSpec("X.npy,y.npy").Parameters);
        Has("'oops' is not a key=value parameter", Assert.Throws<ArgumentException>(() => DataFiles.ParseSpec("d.csv:oops")).Message);
    }
}
