using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Gradscope.Sweeps;

/// <summary>
/// The sweep's SQLite index (<c>index.sqlite</c>, WAL journal, busy timeout): one row per point with status, lease,
/// worker, timings and final metrics, a <c>meta</c> table (sweep hash, threads, lease length; no command line) and an
/// <c>events</c> log. Claiming is one atomic UPDATE on a pending point or a running point whose lease expired, so
/// two workers never hold the same point; only the lease holder can complete it.
/// </summary>
public sealed class SweepIndex : IDisposable
{
    readonly SqliteConnection _db;

    /// <summary>Path of the database file.</summary>
    public string Path { get; }

    SweepIndex(string path, bool create)
    {
        Path = path;
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = path, Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = false, DefaultTimeout = 60,
        }.ToString();
        _db = new SqliteConnection(cs);
        _db.Open();
        Exec("PRAGMA busy_timeout=30000;");
        Exec("PRAGMA journal_mode=WAL;");
        Exec("PRAGMA synchronous=NORMAL;");
    }

    /// <summary>Opens an existing index.</summary>
    /// <exception cref="SweepException">The file does not exist.</exception>
    /// <exception cref="SweepException">The file does not exist, is not an SQLite database, or lacks the index's tables.</exception>
    public static SweepIndex Open(string path)
    {
        if (!File.Exists(path)) throw new SweepException($"sweep index '{path}' not found");
        SweepIndex? index = null;
        try
        {
            index = new SweepIndex(path, create: false);
            long tables = Convert.ToInt64(index.Scalar("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name IN ('meta', 'points', 'events')"), CultureInfo.InvariantCulture);
            if (tables != 3) throw new SweepException($"sweep index '{path}' lacks the meta, points or events table; it is not a Gradscope sweep index or was damaged");
            return index;
        }
        catch (SqliteException e)
        {
            index?.Dispose();
            throw Corrupt(path, e);
        }
        catch
        {
            index?.Dispose();
            throw;
        }
    }

    /// <summary>The error for an index SQLite cannot read (not a database, damaged pages, locked beyond the timeout).</summary>
    public static SweepException Corrupt(string path, SqliteException e) =>
        new($"sweep index '{path}' cannot be read ({e.Message.TrimEnd('.')}); it is corrupt or not a Gradscope sweep index. " +
            "The points' run directories are untouched; start the sweep again in a new --out directory", e);

    /// <summary>Creates the index with its points and meta entries in one transaction.</summary>
    public static SweepIndex Create(string path, IEnumerable<(SweepPoint Point, string Directory)> points, IReadOnlyDictionary<string, string> meta)
    {
        var index = new SweepIndex(path, create: true);
        using var tx = index._db.BeginTransaction();
        index.Exec("""
            CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE points(
              idx INTEGER PRIMARY KEY, hash TEXT NOT NULL, dir TEXT NOT NULL, hparams TEXT NOT NULL, seed INTEGER,
              status TEXT NOT NULL DEFAULT 'pending', error TEXT,
              worker TEXT, pid INTEGER, host TEXT, child_pid INTEGER, lease_until REAL,
              prev_child_pid INTEGER, prev_host TEXT,
              attempts INTEGER NOT NULL DEFAULT 0, started_at REAL, finished_at REAL, wall_s REAL, metrics TEXT);
            CREATE INDEX points_status ON points(status);
            CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, idx INTEGER NOT NULL, worker TEXT NOT NULL,
              kind TEXT NOT NULL, at REAL NOT NULL, detail TEXT);
            """, tx);
        foreach (var (k, v) in meta) index.Exec("INSERT INTO meta(key, value) VALUES ($k, $v)", tx, ("$k", k), ("$v", v));
        foreach (var (p, dir) in points)
            index.Exec("INSERT INTO points(idx, hash, dir, hparams, seed) VALUES ($i, $h, $d, $hp, $s)", tx,
                ("$i", p.Index), ("$h", p.Hash), ("$d", dir),
                ("$hp", System.Text.Json.JsonSerializer.Serialize(p.Hyperparameters)), ("$s", (object?)p.Seed ?? DBNull.Value));
        tx.Commit();
        return index;
    }

    /// <summary>
    /// Adds <paramref name="points"/> as pending rows and records the grown sweep's hash and file, in one transaction
    /// (workers running meanwhile keep their points; see <see cref="SweepDirectory"/>).
    /// </summary>
    public void Grow(IEnumerable<(SweepPoint Point, string Directory)> points, string sweepHash, string sweepFile)
    {
        using var tx = _db.BeginTransaction();
        foreach (var (p, dir) in points)
            Exec("INSERT INTO points(idx, hash, dir, hparams, seed) VALUES ($i, $h, $d, $hp, $s)", tx,
                ("$i", p.Index), ("$h", p.Hash), ("$d", dir),
                ("$hp", System.Text.Json.JsonSerializer.Serialize(p.Hyperparameters)), ("$s", (object?)p.Seed ?? DBNull.Value));
        Exec("UPDATE meta SET value=$v WHERE key=$k", tx, ("$k", SweepDirectory.MetaSweepHash), ("$v", sweepHash));
        Exec("UPDATE meta SET value=$v WHERE key=$k", tx, ("$k", SweepDirectory.MetaSweepFile), ("$v", sweepFile));
        tx.Commit();
    }

    /// <summary>Seconds since the Unix epoch (the clock of leases and timings).</summary>
    public static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>A meta value, or null.</summary>
    public string? Meta(string key) => Scalar("SELECT value FROM meta WHERE key=$k", ("$k", key)) as string;

    /// <summary>Atomically claims the lowest pending point, or a running point whose lease expired, for <paramref name="worker"/>.
    /// Returns null when nothing is claimable.</summary>
    public ClaimedPoint? TryClaim(string worker, int pid, string host, double leaseSeconds)
    {
        double now = Now();
        using var cmd = Command("""
            UPDATE points SET status='running', worker=$w, pid=$pid, host=$host, lease_until=$lease,
              prev_child_pid=child_pid, prev_host=host, child_pid=NULL, error=NULL,
              attempts=attempts+1, started_at=$now, finished_at=NULL
            WHERE idx = (SELECT idx FROM points WHERE status='pending' OR (status='running' AND lease_until < $now) ORDER BY idx LIMIT 1)
              AND (status='pending' OR (status='running' AND lease_until < $now))
            RETURNING idx, dir, attempts, prev_child_pid, prev_host
            """, null, ("$w", worker), ("$pid", pid), ("$host", host), ("$lease", now + leaseSeconds), ("$now", now));
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        var claimed = new ClaimedPoint(r.GetInt32(0), r.GetString(1), r.GetInt32(2),
            r.IsDBNull(3) ? null : r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4));
        r.Close();
        Event(claimed.Index, worker, "claim", null);
        return claimed;
    }

    /// <summary>Records the train process of a held point.</summary>
    public void SetChild(int index, string worker, int childPid) =>
        Exec("UPDATE points SET child_pid=$c WHERE idx=$i AND worker=$w AND status='running'", null, ("$c", childPid), ("$i", index), ("$w", worker));

    /// <summary>Extends the lease of a held point; false when the worker no longer holds it.</summary>
    public bool Heartbeat(int index, string worker, double leaseSeconds) =>
        Exec("UPDATE points SET lease_until=$l WHERE idx=$i AND worker=$w AND status='running'", null,
            ("$l", Now() + leaseSeconds), ("$i", index), ("$w", worker)) == 1;

    /// <summary>Marks a held point done with its final metrics (JSON); false when the worker no longer holds it.</summary>
    public bool Complete(int index, string worker, string? metricsJson, double wallSeconds) =>
        Finish(index, worker, PointStatus.Done, null, metricsJson, wallSeconds);

    /// <summary>Marks a held point failed with an error message; false when the worker no longer holds it.</summary>
    public bool Fail(int index, string worker, string error, double wallSeconds) =>
        Finish(index, worker, PointStatus.Failed, error, null, wallSeconds);

    bool Finish(int index, string worker, string status, string? error, string? metrics, double wall)
    {
        using var tx = _db.BeginTransaction();
        int n = Exec("""
            UPDATE points SET status=$s, error=$e, metrics=$m, wall_s=$wall, finished_at=$now, lease_until=NULL
            WHERE idx=$i AND worker=$w AND status='running'
            """, tx, ("$s", status), ("$e", (object?)error ?? DBNull.Value), ("$m", (object?)metrics ?? DBNull.Value),
            ("$wall", wall), ("$now", Now()), ("$i", index), ("$w", worker));
        if (n == 1) Exec("INSERT INTO events(idx, worker, kind, at, detail) VALUES ($i, $w, $k, $at, $d)", tx,
            ("$i", index), ("$w", worker), ("$k", status), ("$at", Now()), ("$d", (object?)error ?? DBNull.Value));
        tx.Commit();
        return n == 1;
    }

    /// <summary>Resets failed points to pending (a re-run retries them); returns how many.</summary>
    public int ResetFailed() => Exec("UPDATE points SET status='pending', error=NULL WHERE status='failed'");

    /// <summary>Number of points per status.</summary>
    public IReadOnlyDictionary<string, int> Counts()
    {
        var counts = new Dictionary<string, int> { [PointStatus.Pending] = 0, [PointStatus.Running] = 0, [PointStatus.Done] = 0, [PointStatus.Failed] = 0 };
        using var cmd = Command("SELECT status, COUNT(*) FROM points GROUP BY status", null);
        using var r = cmd.ExecuteReader();
        while (r.Read()) counts[r.GetString(0)] = r.GetInt32(1);
        return counts;
    }

    /// <summary>Number of points claimable now (pending, or running with an expired lease).</summary>
    public int Claimable() => Convert.ToInt32(Scalar("SELECT COUNT(*) FROM points WHERE status='pending' OR (status='running' AND lease_until < $now)", ("$now", Now())), CultureInfo.InvariantCulture);

    /// <summary>Earliest lease end (Unix seconds) among running points, or null when none is running.</summary>
    public double? EarliestLeaseEnd() => Scalar("SELECT MIN(lease_until) FROM points WHERE status='running'") is double d ? d : null;

    /// <summary>Timings of the finished (done or failed) points: how many, the sum of their wall seconds, and the span
    /// from the earliest start to the latest finish (Unix seconds; 0 when none finished).</summary>
    public (int Finished, double SumWallSeconds, double SpanSeconds) Timings()
    {
        using var cmd = Command("SELECT COUNT(*), TOTAL(wall_s), MIN(started_at), MAX(finished_at) FROM points WHERE status IN ('done', 'failed')", null);
        using var r = cmd.ExecuteReader();
        r.Read();
        int n = r.GetInt32(0);
        return n == 0 ? (0, 0, 0) : (n, r.GetDouble(1), r.GetDouble(3) - r.GetDouble(2));
    }

    /// <summary>Every point, in index order.</summary>
    public IReadOnlyList<PointRecord> Points()
    {
        var list = new List<PointRecord>();
        using var cmd = Command("SELECT idx, hash, dir, hparams, seed, status, error, worker, host, attempts, wall_s, metrics FROM points ORDER BY idx", null);
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new PointRecord(r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetInt64(4),
                r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
                r.IsDBNull(8) ? null : r.GetString(8), r.GetInt32(9), r.IsDBNull(10) ? null : r.GetDouble(10), r.IsDBNull(11) ? null : r.GetString(11)));
        return list;
    }

    /// <summary>Event log rows (index, worker, kind) in order.</summary>
    public IReadOnlyList<(int Index, string Worker, string Kind)> Events()
    {
        var list = new List<(int, string, string)>();
        using var cmd = Command("SELECT idx, worker, kind FROM events ORDER BY id", null);
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add((r.GetInt32(0), r.GetString(1), r.GetString(2)));
        return list;
    }

    /// <summary>Result of <c>PRAGMA integrity_check</c> ("ok" when intact).</summary>
    public string IntegrityCheck() => (string)Scalar("PRAGMA integrity_check")!;

    void Event(int index, string worker, string kind, string? detail) =>
        Exec("INSERT INTO events(idx, worker, kind, at, detail) VALUES ($i, $w, $k, $at, $d)", null,
            ("$i", index), ("$w", worker), ("$k", kind), ("$at", Now()), ("$d", (object?)detail ?? DBNull.Value));

    SqliteCommand Command(string sql, SqliteTransaction? tx, params (string Name, object Value)[] args)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        return cmd;
    }

    int Exec(string sql, SqliteTransaction? tx = null, params (string Name, object Value)[] args)
    {
        using var cmd = Command(sql, tx, args);
        return cmd.ExecuteNonQuery();
    }

    object? Scalar(string sql, params (string Name, object Value)[] args)
    {
        using var cmd = Command(sql, null, args);
        return cmd.ExecuteScalar();
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose() => _db.Dispose();
}
