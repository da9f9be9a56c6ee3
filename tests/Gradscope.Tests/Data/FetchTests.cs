using System.CommandLine;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Gradscope.Cli;
using Gradscope.Data;

namespace Gradscope.Tests.Data;

/// <summary>A tiny HTTP server on 127.0.0.1 serving fixed bytes per path (404 otherwise); counts requests.</summary>
internal sealed class LocalServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files;
    private readonly Task _loop;
    public int Requests;

    public LocalServer(Dictionary<string, byte[]> files)
    {
        _files = files;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public string BaseUrl { get; }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); } catch (Exception) { return; }
            Interlocked.Increment(ref Requests);
            var path = ctx.Request.Url!.AbsolutePath.TrimStart('/');
            if (_files.TryGetValue(path, out var body))
            {
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentLength64 = body.Length;
                await ctx.Response.OutputStream.WriteAsync(body);
            }
            else ctx.Response.StatusCode = 404;
            ctx.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(2000); } catch (AggregateException) { }
    }
}

/// <summary>Downloads against a local server: verified files land, corrupt ones are rejected and leave nothing behind.</summary>
public class FetchTests
{
    // FIPS 180-2 test vector: SHA-256("abc")
    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public async Task VerifiedDownloadIsMovedIntoPlace()
    {
        using var server = new LocalServer(new() { ["good/x.bin"] = Encoding.ASCII.GetBytes("abc") });
        using var t = new TempDir();
        var set = new RemoteSet("tiny", "http://unused.invalid/", "tiny", [new RemoteFile("x.bin", 3, AbcSha256)]);
        var folder = await DataFetcher.FetchAsync(set, t.Path, server.BaseUrl + "good", attempts: 1);
        Assert.Equal("abc", File.ReadAllText(Path.Combine(folder, "x.bin")));
        Assert.Single(Directory.GetFiles(folder));
        int before = server.Requests;
        await DataFetcher.FetchAsync(set, t.Path, server.BaseUrl + "good", attempts: 1); // already present and verified
        Assert.Equal(before, server.Requests);
    }

    [Fact]
    public async Task CorruptDownloadIsRejectedAndNothingIsLeftBehind()
    {
        using var server = new LocalServer(new() { ["bad/x.bin"] = Encoding.ASCII.GetBytes("abd") });
        using var t = new TempDir();
        var set = new RemoteSet("tiny", "http://unused.invalid/", "tiny", [new RemoteFile("x.bin", 3, AbcSha256)]);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => DataFetcher.FetchAsync(set, t.Path, server.BaseUrl + "bad", attempts: 3));
        Assert.Contains("SHA-256", ex.Message);
        Assert.Contains(AbcSha256, ex.Message);
        Assert.Empty(Directory.GetFiles(t.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task MissingFileIsRetriedThenReportedWithTheUrl()
    {
        using var server = new LocalServer([]);
        using var t = new TempDir();
        var set = new RemoteSet("tiny", "http://unused.invalid/", "tiny", [new RemoteFile("x.bin", 3, AbcSha256)]);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => DataFetcher.FetchAsync(set, t.Path, server.BaseUrl, attempts: 2));
        Assert.Contains(server.BaseUrl + "x.bin", ex.Message);
        Assert.Equal(2, server.Requests);
        Assert.Empty(Directory.GetFiles(t.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task TarGzArchiveIsVerifiedAndItsBatchesExtracted()
    {
        var record = new byte[2 * Cifar10.RecordBytes];
        record[0] = 3; record[Cifar10.RecordBytes] = 8;
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "cifar-10-batches-bin/"));
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "cifar-10-batches-bin/test_batch.bin") { DataStream = new MemoryStream(record) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "elsewhere/evil.bin") { DataStream = new MemoryStream([1]) });
        }
        var archive = ms.ToArray();
        using var server = new LocalServer(new() { ["c.tar.gz"] = archive });
        using var t = new TempDir();
        var set = new RemoteSet("c", "http://unused.invalid/", "cifar10", [new RemoteFile("c.tar.gz", archive.Length, Convert.ToHexStringLower(SHA256.HashData(archive)))], ExtractTarGz: "cifar-10-batches-bin");
        var folder = await DataFetcher.FetchAsync(set, t.Path, server.BaseUrl, attempts: 1);
        var d = Cifar10.Load("c", [Path.Combine(folder, "test_batch.bin")]);
        Assert.Equal([3, 8], d.Y);
        Assert.False(File.Exists(Path.Combine(folder, "evil.bin")));
    }

    [Fact]
    public async Task CliFetchReportsCorruptDownloadAndLeavesNothing()
    {
        using var server = new LocalServer(new() { ["train-images-idx3-ubyte.gz"] = Encoding.ASCII.GetBytes("not mnist") });
        using var t = new TempDir();
        var root = new RootCommand();
        root.Subcommands.Add(DataCommand.Create());
        var err = new StringWriter();
        var oldErr = Console.Error;
        Console.SetError(err);
        int rc;
        try { rc = await root.Parse(["data", "fetch", "fashion-mnist", "--dir", t.Path, "--base-url", server.BaseUrl, "--attempts", "1"]).InvokeAsync(); }
        finally { Console.SetError(oldErr); }
        Assert.Equal(1, rc);
        Assert.Contains("failed verification", err.ToString());
        Assert.Empty(Directory.GetFiles(t.Path, "*", SearchOption.AllDirectories));
    }
}
