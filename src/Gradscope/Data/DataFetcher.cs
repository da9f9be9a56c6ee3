using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Gradscope.Data;

/// <summary>A file of a downloadable set: its name at the source, size if known, and published SHA-256.</summary>
public sealed record RemoteFile(string Name, long Bytes, string Sha256);

/// <summary>A downloadable dataset: canonical base URL, the files to fetch, and the sub-folder they go to.</summary>
/// <param name="Name">Set name for <c>gradscope data fetch</c>.</param>
/// <param name="BaseUrl">Canonical base URL (files are BaseUrl + file name).</param>
/// <param name="Folder">Sub-folder of the fetched-data folder.</param>
/// <param name="Files">Files with their SHA-256.</param>
/// <param name="ExtractTarGz">For tar.gz archives: the member folder whose files are extracted into <paramref name="Folder"/> (null = keep files as downloaded).</param>
public sealed record RemoteSet(string Name, string BaseUrl, string Folder, RemoteFile[] Files, string? ExtractTarGz = null);

/// <summary>
/// Downloads dataset files, verifies each against its published SHA-256 before it becomes visible, and
/// moves it into place atomically (download to a temporary file beside the target, hash, rename).
/// A file that fails verification is deleted. Network errors are retried; after the last attempt the
/// error names the URL and how to work offline.
/// </summary>
public static class DataFetcher
{
    /// <summary>Environment variable that overrides every set's base URL (for mirrors and tests).</summary>
    public const string BaseUrlEnvironmentVariable = "GRADSCOPE_DATA_BASE_URL";

    /// <summary>
    /// The sets <c>gradscope data fetch</c> downloads from a URL, with SHA-256 sums listed in data/README.md. MNIST is not
    /// here: it comes from an npm package or the offline collection (<see cref="PackagedSetFetcher"/>).
    /// </summary>
    public static readonly IReadOnlyList<RemoteSet> Sets =
    [
        new("fashion-mnist", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "fashion-mnist",
        [
            new("train-images-idx3-ubyte.gz", 26421880, "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc"),
            new("train-labels-idx1-ubyte.gz", 29515, "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc"),
            new("t10k-images-idx3-ubyte.gz", 4422102, "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229"),
            new("t10k-labels-idx1-ubyte.gz", 5148, "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf"),
        ]),
        new("cifar10", "https://www.cs.toronto.edu/~kriz/", "cifar10",
        [
            new("cifar-10-binary.tar.gz", 170052171, "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"),
        ], ExtractTarGz: "cifar-10-batches-bin"),
    ];

    /// <summary>The set named <paramref name="name"/>; throws ArgumentException listing the known sets.</summary>
    public static RemoteSet Find(string name) => Sets.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown dataset to fetch '{name}'. Known: {string.Join(", ", PackagedSetFetcher.Sets.Select(s => s.Name).Concat(Sets.Select(s => s.Name)))}.");

    /// <summary>
    /// Fetches every file of <paramref name="set"/> into <paramref name="directory"/>/Folder. Files already present
    /// with the right SHA-256 are kept. <paramref name="baseUrl"/> (else $GRADSCOPE_DATA_BASE_URL, else the canonical URL)
    /// is the folder URL the file names are appended to. Returns the set's folder.
    /// Throws InvalidDataException when a download's SHA-256 differs (nothing is left behind) and
    /// HttpRequestException after <paramref name="attempts"/> failed attempts.
    /// </summary>
    public static async Task<string> FetchAsync(RemoteSet set, string directory, string? baseUrl = null, HttpClient? client = null,
        Action<string>? log = null, int attempts = 3, CancellationToken cancel = default)
    {
        baseUrl ??= Environment.GetEnvironmentVariable(BaseUrlEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(baseUrl)) baseUrl = set.BaseUrl;
        if (!baseUrl.EndsWith('/')) baseUrl += "/";
        var folder = Path.Combine(Path.GetFullPath(directory), set.Folder);
        Directory.CreateDirectory(folder);
        using var own = client is null ? new HttpClient { Timeout = TimeSpan.FromMinutes(30) } : null;
        var http = client ?? own!;
        foreach (var file in set.Files)
        {
            var target = Path.Combine(folder, file.Name);
            if (File.Exists(target) && await Sha256Async(target, cancel) == file.Sha256)
            {
                log?.Invoke($"{file.Name}: present, SHA-256 verified");
            }
            else
            {
                await DownloadVerifiedAsync(http, new Uri(baseUrl + file.Name), target, file, log, attempts, cancel);
            }
            if (set.ExtractTarGz is not null) ExtractMembers(target, set.ExtractTarGz, folder, log);
        }
        return folder;
    }

    private static async Task DownloadVerifiedAsync(HttpClient http, Uri url, string target, RemoteFile file, Action<string>? log, int attempts, CancellationToken cancel)
    {
        var dir = Path.GetDirectoryName(target)!;
        for (int attempt = 1; ; attempt++)
        {
            var tmp = Path.Combine(dir, $".{file.Name}.{Environment.ProcessId}.{Guid.NewGuid():N}.part");
            try
            {
                log?.Invoke($"{file.Name}: downloading {url} (attempt {attempt}/{attempts})");
                string sha;
                using (var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel))
                {
                    response.EnsureSuccessStatusCode();
                    await using var body = await response.Content.ReadAsStreamAsync(cancel);
                    await using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    var buffer = new byte[1 << 16];
                    int read;
                    while ((read = await body.ReadAsync(buffer, cancel)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        await fs.WriteAsync(buffer.AsMemory(0, read), cancel);
                    }
                    await fs.FlushAsync(cancel);
                    sha = Convert.ToHexStringLower(hash.GetHashAndReset());
                }
                if (sha != file.Sha256)
                    throw new InvalidDataException($"Download of {url} failed verification: SHA-256 {sha}, expected {file.Sha256}. The file was discarded.");
                File.Move(tmp, target, overwrite: true);
                log?.Invoke($"{file.Name}: SHA-256 verified");
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancel.IsCancellationRequested)
            {
                TryDelete(tmp);
                if (attempt >= attempts)
                    throw new HttpRequestException($"Could not download {url} after {attempts} attempts ({e.Message}). If this machine is offline, copy {file.Name} (SHA-256 {file.Sha256}) into '{dir}' or set --base-url / {BaseUrlEnvironmentVariable} to a reachable mirror.", e);
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), cancel);
            }
            catch
            {
                TryDelete(tmp);
                throw;
            }
        }
    }

    /// <summary>Extracts the regular files under <paramref name="member"/>/ of a .tar.gz into <paramref name="folder"/>, each atomically; skips up-to-date files.</summary>
    private static void ExtractMembers(string archive, string member, string folder, Action<string>? log)
    {
        using var gz = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        TarEntry? entry;
        while ((entry = tar.GetNextEntry()) is not null)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            var parts = entry.Name.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || parts[0] != member || parts[1].StartsWith('.')) continue; // no path traversal: only member/name
            var target = Path.Combine(folder, parts[1]);
            if (File.Exists(target) && new FileInfo(target).Length == entry.Length) continue;
            var tmp = target + $".{Guid.NewGuid():N}.part";
            try
            {
                using (var fs = File.Create(tmp)) entry.DataStream.CopyTo(fs);
                File.Move(tmp, target, overwrite: true);
                log?.Invoke($"extracted {parts[1]}");
            }
            catch { TryDelete(tmp); throw; }
        }
    }

    /// <summary>Lowercase hex SHA-256 of a file.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancel = default)
    {
        await using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, cancel));
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
