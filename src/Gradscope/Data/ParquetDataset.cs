using System.Globalization;
using Gradscope.Tensors;
using Parquet;
using Parquet.Schema;

namespace Gradscope.Data;

/// <summary>
/// A dataset from an Apache Parquet file (<c>DataFrame.to_parquet</c>, Arrow, Spark), read with Parquet.Net: numeric
/// feature columns and a label column (named by <c>label</c>, else the last column). pandas' stored index columns
/// (<c>__index_level_0__</c>, ...) are dropped. Supported column types: double, float, the signed and unsigned integers,
/// bool and decimal, nullable or not (a null is a missing value and an error); strings, dates, nested and repeated
/// columns are refused by name.
/// </summary>
public static class ParquetDataset
{
    /// <summary>Whether <paramref name="path"/> has a Parquet extension (.parquet, .pq).</summary>
    public static bool HasExtension(string path) =>
        path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pq", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads the file. Throws FileNotFoundException when it is missing and InvalidDataException naming the file (and the
    /// column) for a file that is not Parquet, a missing label column, a non-numeric or nested column, a null or non-finite
    /// value, and labels that are not integers in [0, C) (<paramref name="classes"/> 0: C = max label + 1, at least 2).
    /// </summary>
    public static Dataset Read(string path, string? label = null, int classes = 0, string? name = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Parquet file '{path}' does not exist.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 12 || !IsMagic(bytes.AsSpan(0, 4)) || !IsMagic(bytes.AsSpan(bytes.Length - 4)))
            throw new InvalidDataException($"'{path}': not a Parquet file (it does not begin and end with the magic 'PAR1').");
        // NOTE: Parquet.Net can loop without end on some damaged files (found by the fuzz tests: a zeroed page header field).
        // The decode runs on the thread pool with a cancellation token and is given up after DecodeTimeout with a clear error.
        using var cancel = new CancellationTokenSource(DecodeTimeout);
        var task = Task.Run(() => ReadAsync(path, bytes, label, classes, name, cancel.Token));
        try
        {
            if (!task.Wait(DecodeTimeout + TimeSpan.FromSeconds(1)))
                throw new InvalidDataException($"'{path}': the Parquet decoder did not finish within {DecodeTimeout.TotalSeconds:0} s; the file is damaged or not a supported Parquet file.");
            return task.Result;
        }
        catch (AggregateException a) when (a.InnerExceptions.Count == 1 && a.InnerException is InvalidDataException inner && inner.Message.StartsWith($"'{path}'", StringComparison.Ordinal))
        {
            throw inner;
        }
        catch (AggregateException a) when (a.InnerException is OperationCanceledException)
        {
            throw new InvalidDataException($"'{path}': the Parquet decoder did not finish within {DecodeTimeout.TotalSeconds:0} s; the file is damaged or not a supported Parquet file.", a);
        }
        catch (AggregateException a) when (a.InnerException is not null)
        {
            var e = a.InnerException;
            throw new InvalidDataException($"'{path}': not a readable Parquet file ({e.GetType().Name}: {e.Message})", e);
        }
        catch (InvalidDataException) { throw; }
        catch (Exception e)
        {
            // NOTE: a damaged file can make the decoder fail in many ways (Thrift, decompression, bounds, sizes); every one of
            // them is a bad input file here, never a bug to surface as a stack trace.
            throw new InvalidDataException($"'{path}': not a readable Parquet file ({e.GetType().Name}: {e.Message})", e);
        }
    }

    private const long MaxCompression = 4096;

    private static string TypeName(Type t) =>
        t == typeof(string) || t == typeof(ReadOnlyMemory<char>) ? "string" : t == typeof(byte[]) || t == typeof(ReadOnlyMemory<byte>) ? "bytes" : t.Name;

    private static bool IsMagic(ReadOnlySpan<byte> b) => b[0] == 'P' && b[1] == 'A' && b[2] == 'R' && b[3] == '1';

    /// <summary>How long a decode may take before the file is declared damaged (tests shorten it).</summary>
    internal static TimeSpan DecodeTimeout { get; set; } = TimeSpan.FromSeconds(60);

    private static int _running;

    /// <summary>Decodes still running (a decode given up after <see cref="DecodeTimeout"/> keeps running until it sees the cancellation).</summary>
    internal static int RunningDecodes => Volatile.Read(ref _running);

    private static async Task<Dataset> ReadAsync(string path, byte[] bytes, string? label, int classes, string? name, CancellationToken cancel)
    {
        Interlocked.Increment(ref _running);
        try { return await Decode(path, bytes, label, classes, name, cancel); }
        finally { Interlocked.Decrement(ref _running); }
    }

    private static async Task<Dataset> Decode(string path, byte[] bytes, string? label, int classes, string? name, CancellationToken cancel)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancel);
        var fields = reader.Schema.GetDataFields()
            .Where(f => !(f.Name.StartsWith("__index_level_", StringComparison.Ordinal) && f.Name.EndsWith("__", StringComparison.Ordinal)))
            .ToArray();
        if (fields.Length == 0) throw new InvalidDataException($"'{path}': no columns.");
        int labelIndex;
        if (label is null) labelIndex = fields.Length - 1;
        else
        {
            labelIndex = Array.FindIndex(fields, f => f.Name == label);
            if (labelIndex < 0)
                throw new InvalidDataException($"'{path}': no label column '{label}'; the file has columns {string.Join(", ", fields.Select(f => $"'{f.Path}'").Take(20))}{(fields.Length > 20 ? $", ... ({fields.Length} columns)" : "")}.");
        }
        foreach (var f in fields)
        {
            if (f.IsArray || f.MaxRepetitionLevel > 0 || f.Path.Length > 1)
                throw new InvalidDataException($"'{path}': column '{f.Path}' is nested or repeated; only flat numeric columns are supported.");
            if (Converter(f.ClrType) is null)
                throw new InvalidDataException($"'{path}': column '{f.Name}' has type {TypeName(f.ClrType)}; only numeric columns (floating point, integer, bool, decimal) are supported{(f == fields[labelIndex] ? " (label column: class numbers 0..C-1)" : " (encode categories as numbers first)")}.");
        }
        if (fields.Length < 2) throw new InvalidDataException($"'{path}': no feature columns besides the label column '{fields[labelIndex].Name}'.");

        long total = reader.RowGroups.Sum(g => g.RowCount);
        int d = fields.Length - 1;
        if (total == 0) throw new InvalidDataException($"'{path}': no rows.");
        if (total * fields.Length > MemoryLimit.MaxElements)
            throw new InvalidDataException($"'{path}': {total} rows x {fields.Length} columns is more than {MemoryLimit.MaxElements} values, the limit of one array.");
        // NOTE: the row counts come from the footer, which a damaged file can make huge; no real table compresses its values
        // more than MaxCompression-fold (a constant column in run-length encoding comes closest), so a larger claim is refused
        // before anything that size is allocated.
        if (total * fields.Length > Math.Max(1 << 20, (long)bytes.Length * MaxCompression))
            throw new InvalidDataException($"'{path}': the footer claims {total} rows x {fields.Length} columns, more values than a file of {bytes.Length} bytes can hold; the file is damaged.");
        int n = (int)total;
        var x = new double[n * d];
        var labels = new double[n];
        int offset = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            int rows = (int)rg.RowCount;
            for (int c = 0, k = 0; c < fields.Length; c++)
            {
                var f = fields[c];
                cancel.ThrowIfCancellationRequested();
                var column = await Converter(f.ClrType)!(rg, f, rows, cancel);
                if (column.Length != rows)
                    throw new InvalidDataException($"'{path}': column '{f.Name}' of row group {g} holds {column.Length} values for {rows} rows.");
                for (int i = 0; i < rows; i++)
                {
                    double v = column[i];
                    if (double.IsNaN(v) && f.IsNullable && IsNull(v))
                        throw new InvalidDataException($"'{path}': column '{f.Name}', row {offset + i}: null (a missing value); drop or fill missing values first.");
                    if (!double.IsFinite(v))
                        throw new InvalidDataException($"'{path}': column '{f.Name}', row {offset + i}: value {v.ToString(CultureInfo.InvariantCulture)} is not finite; drop or fill missing values first.");
                    if (c == labelIndex) labels[offset + i] = v;
                    else x[(long)(offset + i) * d + k] = v;
                }
                if (c != labelIndex) k++;
            }
            offset += rows;
        }
        var y = Labels.FromValues(labels, classes, i => $"'{path}': label column '{fields[labelIndex].Name}', row {i}");
        return new Dataset(name ?? Path.GetFileNameWithoutExtension(path), x, y, [d], classes > 0 ? classes : Labels.Infer(y));
    }

    // NOTE: nulls are read as a NaN with this payload, distinct from a stored NaN, so that the error can say which it was.
    private static readonly double NullMarker = BitConverter.Int64BitsToDouble(0x7FF8_0000_DEAD_0001);
    private static bool IsNull(double v) => BitConverter.DoubleToInt64Bits(v) == BitConverter.DoubleToInt64Bits(NullMarker);

    private delegate Task<double[]> ColumnReader(ParquetRowGroupReader rg, DataField f, int rows, CancellationToken cancel);

    private static ColumnReader? Converter(Type t) =>
        t == typeof(double) ? (rg, f, n, c) => Column<double>(rg, f, n, c, v => v)
        : t == typeof(float) ? (rg, f, n, c) => Column<float>(rg, f, n, c, v => v)
        : t == typeof(long) ? (rg, f, n, c) => Column<long>(rg, f, n, c, v => v)
        : t == typeof(int) ? (rg, f, n, c) => Column<int>(rg, f, n, c, v => v)
        : t == typeof(short) ? (rg, f, n, c) => Column<short>(rg, f, n, c, v => v)
        : t == typeof(sbyte) ? (rg, f, n, c) => Column<sbyte>(rg, f, n, c, v => v)
        : t == typeof(ulong) ? (rg, f, n, c) => Column<ulong>(rg, f, n, c, v => v)
        : t == typeof(uint) ? (rg, f, n, c) => Column<uint>(rg, f, n, c, v => v)
        : t == typeof(ushort) ? (rg, f, n, c) => Column<ushort>(rg, f, n, c, v => v)
        : t == typeof(byte) ? (rg, f, n, c) => Column<byte>(rg, f, n, c, v => v)
        : t == typeof(bool) ? (rg, f, n, c) => Column<bool>(rg, f, n, c, v => v ? 1 : 0)
        : t == typeof(decimal) ? (rg, f, n, c) => Column<decimal>(rg, f, n, c, v => (double)v)
        : null;

    private static async Task<double[]> Column<T>(ParquetRowGroupReader rg, DataField f, int rows, CancellationToken cancel, Func<T, double> convert) where T : struct
    {
        var result = new double[rows];
        if (f.IsNullable)
        {
            var buffer = new T?[rows];
            await rg.ReadAsync<T>(f, buffer.AsMemory(), null, cancel);
            for (int i = 0; i < rows; i++) result[i] = buffer[i] is T v ? convert(v) : NullMarker;
        }
        else
        {
            var buffer = new T[rows];
            await rg.ReadAsync<T>(f, buffer.AsMemory(), null, cancel);
            for (int i = 0; i < rows; i++) result[i] = convert(buffer[i]);
        }
        return result;
    }
}
