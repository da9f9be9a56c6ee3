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

    /// <summary>
    /// Opens the index of an existing sweep directory, checking it holds <paramref name="sweep"/>, or a sweep that
    /// <paramref name="sweep"/> grows (more axis values, samples or seeds: every recorded point is still one of its points,
    /// by config hash). A grown sweep keeps every recorded point (finished ones are not run again) and adds the new ones
    /// as pending. Failed points are reset to pending.
    /// </summary>
    static SweepIndex Reopen(SweepFile sweep, string dir, string indexPath)
    {
        var index = SweepIndex.Open(indexPath);
        var recorded = index.Meta(MetaSweepHash);
        if (recorded != sweep.Hash)
        {
            var plan = Plan(sweep, index.Points());
            if (plan.Dropped.Count > 0)
            {
                var other = index.Meta(MetaSweepFile);
                index.Dispose();
                throw new SweepException($"sweep directory '{dir}' belongs to a different sweep file ({other}, hash {recorded?[..Math.Min(12, recorded.Length)]}) " +
                    $"than '{sweep.Path}' (hash {sweep.Hash[..12]}): {plan.Dropped.Count} of its points (e.g. point {plan.Dropped[0].Index}: " +
                    $"{plan.Dropped[0].Hyperparameters}) are not points of the new file. A sweep directory can grow (more values, samples " +
                    "or seeds) but not change; choose another --out directory");
            }
            try
            {
                var rows = new List<(SweepPoint, string)>();
                foreach (var p in plan.Added)
                {
                    var rel = Path.Combine("points", p.DirectoryName);
                    Directory.CreateDirectory(Path.Combine(dir, rel));
                    IO.AtomicFile.WriteText(Path.Combine(dir, rel, "config.yaml"), p.ConfigYaml);
                    rows.Add((p, rel));
                }
                // the previous sweep file is kept beside the grown one
                string copy = Path.Combine(dir, "sweep.yaml");
                if (File.Exists(copy)) File.Copy(copy, Path.Combine(dir, $"sweep.{recorded?[..Math.Min(12, recorded.Length)]}.yaml"), overwrite: true);
                File.Copy(sweep.Path, copy + ".tmp", overwrite: true);
                File.Move(copy + ".tmp", copy, overwrite: true);
                index.Grow(rows, sweep.Hash, sweep.Path);
            }
            catch
            {
                index.Dispose();
                throw;
            }
        }
        index.ResetFailed();
        return index;
    }

    /// <summary>What running <paramref name="sweep"/> in a directory holding <paramref name="recorded"/> points does.</summary>
    /// <param name="sweep">The sweep file.</param>
    /// <param name="recorded">The points of the existing index (empty for a new directory).</param>
    /// <returns>Every point of the file with its recorded row if it has one; the points to add (numbered after the recorded
    /// ones, in expansion order); the recorded points the file no longer has.</returns>
    public static (IReadOnlyList<(SweepPoint Point, PointRecord? Recorded)> Points, IReadOnlyList<SweepPoint> Added, IReadOnlyList<PointRecord> Dropped)
        Plan(SweepFile sweep, IReadOnlyList<PointRecord> recorded)
    {
        var expanded = SweepExpander.Expand(sweep);
        var byHash = new Dictionary<string, PointRecord>();
        foreach (var r in recorded) byHash.TryAdd(r.Hash, r);
        int next = recorded.Count == 0 ? 0 : recorded.Max(r => r.Index) + 1;
        var all = new List<(SweepPoint, PointRecord?)>();
        var added = new List<SweepPoint>();
        var used = new HashSet<string>();
        foreach (var p in expanded)
        {
            if (byHash.TryGetValue(p.Hash, out var r) && used.Add(p.Hash)) { all.Add((p with { Index = r.Index }, r)); continue; }
            var fresh = recorded.Count == 0 ? p : p with { Index = next++ };
            added.Add(fresh);
            all.Add((fresh, null));
        }
        var expandedHashes = expanded.Select(p => p.Hash).ToHashSet();
        var dropped = recorded.Where(r => !expandedHashes.Contains(r.Hash)).ToList();
        return (all, added, dropped);
    }
}
