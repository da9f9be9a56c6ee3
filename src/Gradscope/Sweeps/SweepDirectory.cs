using System.Globalization;

namespace Gradscope.Sweeps;

/// <summary>
/// A sweep directory: <c>sweep.yaml</c> (copy of the sweep file), <c>index.sqlite</c> and
/// <c>points/&lt;index&gt;-&lt;hash8&gt;/config.yaml</c>. Created whole in a temporary sibling then renamed, so a failure
/// leaves nothing half-written; reopening checks that the sweep file (and base config) hash matches. Two sweeps started
/// at once on a fresh directory both proceed: the one whose rename loses opens the winner's index (when it holds the
/// same sweep). The index records no command line: workers run their own binary (<see cref="SweepWorker"/>).
/// </summary>
public static class SweepDirectory
{
    /// <summary>File name of the index.</summary>
    public const string IndexFile = "index.sqlite";
    /// <summary>Meta keys.</summary>
    public const string MetaSweepHash = "sweep_hash", MetaThreads = "threads", MetaLease = "lease_seconds", MetaSweepFile = "sweep_file";

    /// <summary>Creates the directory for <paramref name="sweep"/>, or reopens it when it already holds the same sweep
    /// (then failed points are reset to pending). Returns the opened index.</summary>
    /// <exception cref="SweepException">The directory holds a different sweep, or is a non-empty directory without an index.</exception>
    public static SweepIndex CreateOrOpen(SweepFile sweep, string dir, int threads, double leaseSeconds)
    {
        dir = Path.GetFullPath(dir);
        var indexPath = Path.Combine(dir, IndexFile);
        if (File.Exists(indexPath)) return Reopen(sweep, dir, indexPath);
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
        {
            // the directory appears whole (a rename), so a non-empty one created meanwhile already holds its index
            if (File.Exists(indexPath)) return Reopen(sweep, dir, indexPath);
            throw new SweepException($"'{dir}' exists, is not empty and holds no sweep index; choose another --out directory");
        }

        var points = SweepExpander.Expand(sweep);
        var tmp = dir.TrimEnd('/') + $".tmp-{Environment.ProcessId}";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        try
        {
            Directory.CreateDirectory(tmp);
            File.Copy(sweep.Path, Path.Combine(tmp, "sweep.yaml"));
            var rows = new List<(SweepPoint, string)>();
            foreach (var p in points)
            {
                var rel = Path.Combine("points", p.DirectoryName);
                Directory.CreateDirectory(Path.Combine(tmp, rel));
                File.WriteAllText(Path.Combine(tmp, rel, "config.yaml"), p.ConfigYaml);
                rows.Add((p, rel));
            }
            var meta = new Dictionary<string, string>
            {
                [MetaSweepHash] = sweep.Hash, [MetaSweepFile] = sweep.Path,
                [MetaThreads] = threads.ToString(CultureInfo.InvariantCulture), [MetaLease] = leaseSeconds.ToString("R", CultureInfo.InvariantCulture),
            };
            SweepIndex.Create(Path.Combine(tmp, IndexFile), rows, meta).Dispose();
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    if (Directory.Exists(dir)) Directory.Delete(dir); // an empty --out directory made by the user
                    Directory.Move(tmp, dir);
                    break;
                }
                catch (IOException) when (File.Exists(indexPath))
                {
                    // Another sweep process created the directory first: join it, discarding ours.
                    Directory.Delete(tmp, recursive: true);
                    return Reopen(sweep, dir, indexPath);
                }
                catch (IOException) when (attempt < 40)
                {
                    Thread.Sleep(25); // another process is between removing the empty directory and renaming its own in
                }
                catch (IOException e)
                {
                    throw new SweepException($"could not create the sweep directory '{dir}': {e.Message}");
                }
            }
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
        return SweepIndex.Open(indexPath);
    }

    /// <summary>Opens the index of an existing sweep directory, checking it holds <paramref name="sweep"/>; failed points are reset to pending.</summary>
    static SweepIndex Reopen(SweepFile sweep, string dir, string indexPath)
    {
        var index = SweepIndex.Open(indexPath);
        var recorded = index.Meta(MetaSweepHash);
        if (recorded != sweep.Hash)
        {
            var other = index.Meta(MetaSweepFile);
            index.Dispose();
            throw new SweepException($"sweep directory '{dir}' belongs to a different sweep file ({other}, hash {recorded?[..Math.Min(12, recorded.Length)]}) " +
                $"than '{sweep.Path}' (hash {sweep.Hash[..12]}); choose another --out directory");
        }
        index.ResetFailed();
        return index;
    }
}
