namespace Gradscope.Data;

/// <summary>
/// Data files named wherever a dataset is named (a config's <c>data.train</c> / <c>data.test</c>, the DATA of
/// <c>measure --data</c>, <c>svm</c>, <c>ntk-analytic</c>):
/// <list type="bullet">
/// <item>a CSV with a header (<see cref="TableCsv"/>; parameter <c>label</c>: the label column, default the last);</item>
/// <item>two .npy files <c>X.npy,y.npy</c> (features, labels; <see cref="NpyDataset"/>);</item>
/// <item>a .npz with arrays X and y (parameters <c>x</c>, <c>y</c>: other array names);</item>
/// <item>a Parquet file (<see cref="ParquetDataset"/>; parameter <c>label</c>).</item>
/// </list>
/// The format comes from the file's first bytes (\x93NUMPY, PK, PAR1, else CSV), so a misnamed file is still read right.
/// In a config file, a relative path is relative to the config file's directory (<see cref="Resolve"/>); on the command
/// line (<c>--data</c>), to the working directory. On the command line, parameters follow the path after colons:
/// <c>data.csv:label=species</c>, <c>d.npz:x=images:y=digits</c>.
/// </summary>
public static class DataFiles
{
    /// <summary>The file formats, for messages.</summary>
    public const string Formats = "a CSV with a header, X.npy,y.npy, a .npz with arrays X and y, or a Parquet file";

    /// <summary>The file format of a data file source.</summary>
    public enum Format
    {
        /// <summary>CSV with a header line.</summary>
        Csv,
        /// <summary>Two .npy files, features and labels.</summary>
        NpyPair,
        /// <summary>One .npz archive.</summary>
        Npz,
        /// <summary>One Parquet file.</summary>
        Parquet,
        /// <summary>One .npy file (holds one array: an error, features need labels).</summary>
        SingleNpy,
    }

    /// <summary>Whether <paramref name="name"/> names a data file (or an X.npy,y.npy pair) rather than a dataset or generator.</summary>
    public static bool IsFileSource(string name)
    {
        if (name.Length == 0) return false;
        if (Pair(name) is not null) return true;
        return TableCsv.HasExtension(name) || ParquetDataset.HasExtension(name)
            || name.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)
            || File.Exists(name);
    }

    /// <summary>
    /// The absolute form of a data file source written in a config file in <paramref name="baseDirectory"/>: each relative
    /// path (both of an X.npy,y.npy pair) is taken relative to that directory; when no file is there but one is relative
    /// to the working directory (the rule of configs and run directories written before paths were resolved), that one.
    /// A path found in neither place is resolved against <paramref name="baseDirectory"/> (the error then names it).
    /// Only names that are paths by their form change: a data file extension, an X.npy,y.npy pair, or a directory
    /// separator; dataset and generator names, and absolute paths, are returned as they are.
    /// </summary>
    public static string Resolve(string name, string baseDirectory)
    {
        if (Pair(name) is var (x, y)) return $"{ResolveOne(x, baseDirectory)},{ResolveOne(y, baseDirectory)}";
        bool isPath = TableCsv.HasExtension(name) || ParquetDataset.HasExtension(name) || name.Contains('/') || name.Contains('\\')
            || name.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);
        return isPath ? ResolveOne(name, baseDirectory) : name;
    }

    private static string ResolveOne(string path, string baseDirectory)
    {
        if (path.Length == 0 || Path.IsPathRooted(path)) return path;
        string there = Path.GetFullPath(Path.Combine(baseDirectory, path));
        return !File.Exists(there) && File.Exists(path) ? Path.GetFullPath(path) : there;
    }

    /// <summary>The (X, y) paths of a source "X.npy,y.npy", or null.</summary>
    public static (string X, string Y)? Pair(string name)
    {
        var parts = name.Split(',');
        return parts.Length == 2 && parts.All(p => p.Trim().EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) ? (parts[0].Trim(), parts[1].Trim()) : null;
    }

    /// <summary>The format of a file source: by the file's first bytes when it exists, else by its extension.</summary>
    public static Format FormatOf(string name)
    {
        if (Pair(name) is not null) return Format.NpyPair;
        if (File.Exists(name))
        {
            Span<byte> head = stackalloc byte[6];
            int read;
            using (var f = File.OpenRead(name)) read = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (read >= 6 && head[0] == 0x93 && head[1] == 'N' && head[2] == 'U' && head[3] == 'M' && head[4] == 'P' && head[5] == 'Y') return Format.SingleNpy;
            if (read >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return Format.Npz;
            if (read >= 4 && head[0] == 'P' && head[1] == 'A' && head[2] == 'R' && head[3] == '1') return Format.Parquet;
            return Format.Csv;
        }
        if (ParquetDataset.HasExtension(name)) return Format.Parquet;
        if (name.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) return Format.Npz;
        if (name.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) return Format.SingleNpy;
        return Format.Csv;
    }

    /// <summary>
    /// The source name of a file source for leakage checks and data_indices.json: "file:" and its full path (both paths for
    /// an X/y pair), so that two spellings of one file are one source.
    /// </summary>
    public static string SourceName(string name) =>
        Pair(name) is var (x, y) ? $"file:{Path.GetFullPath(x)},{Path.GetFullPath(y)}" : "file:" + Path.GetFullPath(name);

    /// <summary>
    /// Splits a command-line data argument "SOURCE[:key=value]..." into the source and its parameters. An existing file
    /// whose name holds a colon is taken whole. Throws ArgumentException naming the argument for a malformed parameter.
    /// </summary>
    public static (string Source, Dictionary<string, string> Parameters) ParseSpec(string spec)
    {
        var ps = new Dictionary<string, string>();
        if (File.Exists(spec) || !spec.Contains(':')) return (spec, ps);
        var parts = spec.Split(':');
        foreach (var part in parts.Skip(1))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"'{spec}': '{part}' is not a key=value parameter (DATA is a file or dataset name, then optional :key=value parameters, e.g. data.csv:label=species).");
            string key = part[..eq].Trim();
            if (ps.ContainsKey(key)) throw new ArgumentException($"'{spec}': parameter '{key}' is given twice.");
            ps[key] = part[(eq + 1)..].Trim();
        }
        return (parts[0], ps);
    }
}
