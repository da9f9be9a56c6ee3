using System.Security.Cryptography;
using Gradscope.Data;

namespace Gradscope.Tests.Data;

/// <summary>The bundled data folder: checksums, and the class counts published in data/README.md.</summary>
public class RepositoryDataTests
{
    private static readonly DataRegistry Registry = DataRegistry.Default();

    private static int[] Counts(Dataset d)
    {
        var c = new int[d.Classes];
        foreach (int y in d.Y) c[y]++;
        return c;
    }

    [Fact]
    public void EveryChecksumInSha256SumsMatches()
    {
        var dir = DataPaths.DataDirectory;
        var lines = File.ReadAllLines(Path.Combine(dir, "SHA256SUMS")).Where(l => l.Length > 0).ToArray();
        Assert.Equal(17, lines.Length);
        foreach (var line in lines)
        {
            var expected = line[..64];
            var rel = line[66..];
            var actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, rel))));
            Assert.True(expected == actual, $"{rel}: SHA-256 {actual}, expected {expected}");
        }
    }

    [Fact]
    public void DataFolderIsFoundFromAnotherWorkingDirectory()
    {
        var old = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = Path.GetTempPath();
            Assert.True(File.Exists(Path.Combine(DataPaths.DataDirectory, "SHA256SUMS")));
        }
        finally { Environment.CurrentDirectory = old; }
    }

    [Fact]
    public void OptdigitsTrainHasPublishedClassCounts()
    {
        var d = Registry.Load("optdigits-train");
        Assert.Equal(3823, d.N);
        Assert.Equal(64, d.D);
        Assert.Equal([376, 389, 380, 389, 387, 376, 377, 387, 380, 382], Counts(d));
        Assert.Equal(16.0, d.X.Max());
        Assert.Equal(0.0, d.X.Min());
    }

    [Fact]
    public void OptdigitsTestSkipsTrailingBlankLineAndEqualsDigits()
    {
        var t = Registry.Load("optdigits-test");
        var g = Registry.Load("digits");
        Assert.Equal([178, 182, 177, 183, 181, 182, 181, 179, 174, 180], Counts(t));
        Assert.Equal(t.X, g.X);
        Assert.Equal(t.Y, g.Y);
    }

    [Theory]
    [InlineData("breast_cancer", 569, 30, new[] { 212, 357 })]
    [InlineData("iris", 150, 4, new[] { 50, 50, 50 })]
    [InlineData("wine", 178, 13, new[] { 59, 71, 48 })]
    public void SklearnSetsHavePublishedShapesAndCounts(string name, int n, int d, int[] counts)
    {
        var ds = Registry.Load(name);
        Assert.Equal(n, ds.N);
        Assert.Equal(d, ds.D);
        Assert.Equal(counts, Counts(ds));
    }

    [Fact]
    public void IrisFirstRowIsFishersFirstFlower()
    {
        var ds = Registry.Load("iris");
        Assert.Equal([5.1, 3.5, 1.4, 0.2], ds.Row(0).ToArray());
    }

    [Fact]
    public void MnistTestHasPublishedClassCountsAndScaledPixels()
    {
        var d = Registry.Load("mnist-test");
        Assert.Equal([1, 28, 28], d.SampleShape);
        Assert.Equal([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], Counts(d));
        Assert.Equal(1.0, d.X.Max());
        Assert.Equal(0.0, d.X.Min());
    }

    [Fact]
    public void KmnistTestHasThousandPerClass()
    {
        var d = Registry.Load("kmnist-test");
        Assert.Equal([1, 28, 28], d.SampleShape);
        Assert.All(Counts(d), c => Assert.Equal(1000, c));
        Assert.InRange(d.X.Max(), 0.99, 1.0);
    }

    [Fact]
    public void FetchedSetsAreListedAndMissingOnesSayHowToFetch()
    {
        var reg = new DataRegistry(DataPaths.DataDirectory, Path.Combine(Path.GetTempPath(), "gradscope-no-fetch-" + Guid.NewGuid().ToString("N")));
        Assert.Contains(reg.Entries, e => e.Name == "cifar10-train" && e.Fetched && !e.IsPresent);
        var ex = Assert.Throws<FileNotFoundException>(() => reg.Load("fashion-mnist-test"));
        Assert.Contains("gradscope data fetch fashion-mnist", ex.Message);
        Assert.Throws<KeyNotFoundException>(() => reg.Load("nope"));
    }
}
