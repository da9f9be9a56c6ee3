using System.Globalization;

namespace Gradscope.Tensors;

/// <summary>
/// The sizes Gradscope accepts before it allocates a dataset, a tensor or a model, so that a size in an input file
/// (<c>n: 1000000000</c>, <c>widths: [10, 100000, 100000, 1]</c>, an IDX or .npy header) is a clear error instead of an
/// overflow or an allocation of many gigabytes:
/// <list type="bullet">
/// <item>at most <see cref="MaxElements"/> elements per array (the .NET array limit, 2^31 - 57), with every product of
/// sizes computed in checked 64-bit arithmetic;</item>
/// <item>at most <see cref="MaxBytes"/> bytes per allocation: a quarter of the memory available to the process (a model
/// holds several arrays of its size: values, gradients, optimizer moments), or the value of the environment variable
/// <c>GRADSCOPE_MAX_MEMORY</c> (bytes, or with a suffix K, M, G, T: <c>GRADSCOPE_MAX_MEMORY=4G</c>).</item>
/// </list>
/// Errors are <see cref="ArgumentException"/>s; callers add the file or config key the sizes came from.
/// </summary>
public static class MemoryLimit
{
    /// <summary>The environment variable that sets <see cref="MaxBytes"/>.</summary>
    public const string EnvironmentVariable = "GRADSCOPE_MAX_MEMORY";

    /// <summary>The most elements one array may hold.</summary>
    public static long MaxElements => Array.MaxLength;

    /// <summary>The most bytes one allocation may take (see the class summary).</summary>
    public static long MaxBytes => Configured.Value;

    // Read once per process: the environment variable, else a quarter of the memory the GC reports as available (container limits included).
    private static readonly Lazy<long> Configured = new(() =>
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(text)) return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;
        return ParseBytes(text) is long b and > 0 ? b
            : throw new ArgumentException($"{EnvironmentVariable} must be a size in bytes such as 4G, 512M or 1000000, got '{text}'");
    });

    /// <summary>Parses "4G", "512M", "64K", "1T" or a plain byte count; null when it is none of these.</summary>
    public static long? ParseBytes(string text)
    {
        text = text.Trim();
        long unit = 1;
        if (text.Length > 0 && "KMGTkmgt".Contains(text[^1]))
        {
            unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L << 40 };
            text = text[..^1];
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v >= 0) || v * unit > long.MaxValue) return null;
        return (long)(v * unit);
    }

    /// <summary>
    /// The product of <paramref name="sizes"/> as an array length for elements of <paramref name="elementBytes"/> bytes;
    /// throws <see cref="ArgumentException"/> naming <paramref name="what"/> (e.g. "n x d") when a size is negative, the
    /// product exceeds <see cref="MaxElements"/> or its bytes exceed <see cref="MaxBytes"/>.
    /// </summary>
    public static int Elements(string what, int elementBytes, params long[] sizes)
    {
        long n = 1;
        bool overflow = false;
        foreach (long s in sizes)
        {
            if (s < 0) throw new ArgumentException($"{what}: size {s} is negative");
            try { n = checked(n * s); }
            catch (OverflowException) { overflow = true; }
        }
        string product = string.Join(" x ", sizes.Select(s => s.ToString(CultureInfo.InvariantCulture)));
        if (overflow || n > MaxElements)
            throw new ArgumentException($"{what} = {product} is {(overflow ? "beyond 2^63" : n.ToString(CultureInfo.InvariantCulture))} elements, more than the limit of {MaxElements} per array");
        CheckBytes(what, n * elementBytes);
        return (int)n;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="what"/> when <paramref name="bytes"/> exceed <see cref="MaxBytes"/>.</summary>
    public static void CheckBytes(string what, long bytes)
    {
        long max = MaxBytes;
        if (bytes > max)
            throw new ArgumentException($"{what} needs {Gib(bytes)}, more than the memory limit of {Gib(max)} (set {EnvironmentVariable} to change it)");
    }

    private static string Gib(long bytes) => bytes >= 1L << 30
        ? (bytes / (double)(1L << 30)).ToString("0.##", CultureInfo.InvariantCulture) + " GiB"
        : (bytes / (double)(1L << 20)).ToString("0.##", CultureInfo.InvariantCulture) + " MiB";
}
