using System.Text;
using Gradscope.Data;
using Gradscope.Tests.Data;
using Xunit.Abstractions;
using static Gradscope.Tests.Data.InteropFiles;

namespace Gradscope.Tests.Fuzz;

/// <summary>
/// Seeded fuzzing of the PyTorch-shaped data readers (header CSV, .npy pairs, .npz, Parquet): every mutated file gives a
/// valid dataset (n &gt; 0, X holding n x D finite values, labels in [0, C)) or an InvalidDataException naming the file.
/// </summary>
public class InteropFuzzTests(ITestOutputHelper output)
{
    private static void Valid(Dataset d)
    {
        Assert.True(d.N > 0);
        Assert.Equal((long)d.N * d.D, d.X.LongLength);
        Assert.All(d.X, v => Assert.True(double.IsFinite(v)));
        Assert.All(d.Y, y => Assert.InRange(y, 0, d.Classes - 1));
    }

    // a random pandas-like table: optional index column, random names (some quoted), label column at a random place
    private static (string Text, string? Label) RandomCsv(Random r)
    {
        int n = 1 + r.Next(8), d = 1 + r.Next(5), at = r.Next(d + 1);
        bool index = r.Next(2) == 0;
        var names = Enumerable.Range(0, d + 1).Select(j => j == at ? "target" : r.Next(3) == 0 ? $"\"f,{j}\"" : $"f{j}").ToArray();
        var sb = new StringBuilder();
        if (index) sb.Append(',');
        sb.AppendJoin(',', names).Append('\n');
        for (int i = 0; i < n; i++)
        {
            if (index) sb.Append(i).Append(',');
            sb.AppendJoin(',', Enumerable.Range(0, d + 1).Select(j => j == at ? r.Next(4).ToString() : Repr((r.NextDouble() - 0.5) * Math.Pow(10, r.Next(-5, 6)))));
            sb.Append('\n');
        }
        return (sb.ToString(), r.Next(2) == 0 || at != d ? "target" : null);
    }

    // UTF-8, except that a lone surrogate (one of the mutations) becomes the invalid 3-byte sequence ED A0 80
    private static byte[] Utf8(string text)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { bytes.AddRange(Encoding.UTF8.GetBytes(text.Substring(i, 2))); i++; }
            else if (char.IsSurrogate(text[i])) bytes.AddRange([0xED, 0xA0, 0x80]);
            else bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
        }
        return bytes.ToArray();
    }

    [Fact]
    public void HeaderCsvGivesAValidDatasetOrANamedError()
    {
        using var t = new TempDir();
        string path = t.File("d.csv");
        var r = new Random(12);
        var m = new Mutator(1212);
        var tally = new FuzzTally("header csv", typeof(InvalidDataException), path);
        for (int i = 0; i < 600; i++)
        {
            var (valid, label) = RandomCsv(r);
            string how;
            if (i % 5 == 4) File.WriteAllBytes(path, m.Bytes(Encoding.UTF8.GetBytes(valid), out how));
            else if (i % 7 == 6) { File.WriteAllText(path, valid); how = "unchanged"; }
            else File.WriteAllBytes(path, Utf8(m.Text(valid, out how)));
            tally.Case(i, how, () => Valid(TableCsv.Read(path, label)));
        }
        tally.AssertClean(output, 150);
    }

    [Fact]
    public void NpyPairAndNpzGiveAValidDatasetOrANamedError()
    {
        using var t = new TempDir();
        var r = new Random(13);
        var m = new Mutator(1313);
        string x = t.File("X.npy"), y = t.File("y.npy"), z = t.File("d.npz");
        var pair = new FuzzTally("npy pair", typeof(InvalidDataException), t.Path);
        var npz = new FuzzTally("npz", typeof(InvalidDataException), z);
        for (int i = 0; i < 300; i++)
        {
            int n = 1 + r.Next(6), d = 1 + r.Next(4);
            var xs = Npy("<f8", [n, d], F8(Enumerable.Range(0, n * d).Select(_ => r.NextDouble() * 4 - 2).ToArray()));
            var ys = Npy("<i8", [n], I8(Enumerable.Range(0, n).Select(_ => (long)r.Next(3)).ToArray()));
            string how;
            if (r.Next(2) == 0) { File.WriteAllBytes(x, m.Bytes(xs, out how, 128)); File.WriteAllBytes(y, ys); }
            else { File.WriteAllBytes(x, xs); File.WriteAllBytes(y, m.Bytes(ys, out how, 128)); }
            pair.Case(i, how, () => Valid(NpyDataset.ReadPair(x, y)));

            var archive = Npz(r.Next(2) == 0, ("X", xs), ("y", ys));
            File.WriteAllBytes(z, m.Bytes(archive, out how));
            npz.Case(i, how, () => Valid(NpyDataset.ReadNpz(z)));
        }
        pair.AssertClean(output, 100);
        npz.AssertClean(output, 100);
    }

    [Fact]
    public void ParquetGivesAValidDatasetOrANamedError()
    {
        using var t = new TempDir();
        string source = t.File("valid.parquet"), path = t.File("d.parquet");
        var r = new Random(14);
        WriteParquet(source, 5,
            ("a", Enumerable.Range(0, 12).Select(_ => r.NextDouble()).ToArray()),
            ("b", Enumerable.Range(0, 12).Select(_ => (double?)r.NextDouble()).ToArray()),
            ("c", Enumerable.Range(0, 12).Select(_ => r.Next(100)).ToArray()),
            ("label", Enumerable.Range(0, 12).Select(_ => (long)r.Next(3)).ToArray()));
        var valid = File.ReadAllBytes(source);
        var m = new Mutator(1414);
        var tally = new FuzzTally("parquet", typeof(InvalidDataException), path);
        var before = ParquetDataset.DecodeTimeout;
        ParquetDataset.DecodeTimeout = TimeSpan.FromSeconds(3); // some damaged files make the decoder loop: they must end in the timeout error
        try
        {
            for (int i = 0; i < 300; i++)
            {
                File.WriteAllBytes(path, m.Bytes(valid, out var how));
                tally.Case(i, how, () => Valid(ParquetDataset.Read(path)));
            }
        }
        finally { ParquetDataset.DecodeTimeout = before; }
        // NOTE: a decode given up after the timeout may not observe its cancellation inside Parquet.Net's loop; reported, not asserted
        for (int i = 0; i < 100 && ParquetDataset.RunningDecodes > 0; i++) Thread.Sleep(100);
        output.WriteLine($"parquet decodes still running 10 s after the last case: {ParquetDataset.RunningDecodes}");
        tally.AssertClean(output, 100);
    }
}
