using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gradscope.Measures.PacBayes;

/// <summary>
/// A counter-based generator of standard normal float32 noise, 32 values at a time: the 64-bit words are
/// SplitMix64 outputs (Steele, Lea &amp; Flood 2014) at positions key + c for counters c, each word split into two
/// 32-bit halves that give uniforms u = (top 24 bits + 1/2) 2^-24 in (0, 1), and pairs of uniforms become
/// normals by the Box-Muller transform z1 = sqrt(-2 ln u1) cos(2 pi u2), z2 = sqrt(-2 ln u1) sin(2 pi u2)
/// (ln, sin and cos in float32 by <see cref="FastMath512"/>).
/// A value depends only on (key, its group), never on the order in which groups are drawn or on the thread
/// that draws them, so noise drawn in parallel is bit-identical to noise drawn serially.
/// </summary>
/// <remarks>
/// Group g (values 32g .. 32g + 31 of a stream) uses the 16 counters 16g .. 16g + 15: words 0-7 give u1 for
/// its first and second halves, words 8-15 give u2. A stream of n values uses ceil(n / 32) x 16 counters, so
/// streams whose keys differ by at least that never share a word.
/// </remarks>
// NOTE: 24-bit uniforms bound |z| by sqrt(-2 ln 2^-25) = 5.9 (a tail mass of 4e-9 is cut off); the noise
// only drives the stochastic-gradient optimization of the posterior, never the Monte Carlo error estimate
// of the final bound, which uses Rng's double-precision normals.
public static class CounterNormals
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>The 32 normals of group <paramref name="group"/> of the stream at <paramref name="key"/>: values 32g .. 32g + 15 and 32g + 16 .. 32g + 31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> First, Vector512<float> Second) Group(ulong key, long group)
    {
        ulong c = key + 16UL * (ulong)group;
        var lanes = Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
        var u1 = Uniforms(Mix(Vector512.Create(c) + lanes));
        var u2 = Uniforms(Mix(Vector512.Create(c + 8) + lanes));
        var r = Vector512.Sqrt(Vector512.Create(-2f) * FastMath512.Log(u1));
        var (sin, cos) = FastMath512.SinCos2Pi(u2);
        return (r * cos, r * sin);
    }

    /// <summary>Fills <paramref name="output"/> with values start .. start + output.Length - 1 of the stream at <paramref name="key"/> (start a multiple of 32).</summary>
    public static void Fill(ulong key, long start, Span<float> output)
    {
        if (start % 32 != 0) throw new ArgumentException($"Counter normals: the start {start} must be a multiple of 32.", nameof(start));
        for (int i = 0; i < output.Length; i += 32)
        {
            var (a, b) = Group(key, (start + i) / 32);
            for (int k = 0; k < 32 && i + k < output.Length; k++) output[i + k] = k < 16 ? a[k] : b[k - 16];
        }
    }

    /// <summary>The counters a stream of <paramref name="values"/> values uses (keys of independent streams differ by at least this).</summary>
    public static ulong CountersFor(long values) => 16UL * (ulong)((values + 31) / 32);

    /// <summary>The SplitMix64 output at state position c: z = c golden, then the finalizer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Mix(Vector512<ulong> c)
    {
        var z = c * Vector512.Create(Golden);
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(0x94D049BB133111EBUL);
        return z ^ Vector512.ShiftRightLogical(z, 31);
    }

    /// <summary>Sixteen uniforms in (0, 1) from the 32-bit halves of eight words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Uniforms(Vector512<ulong> words)
    {
        var top = Vector512.ShiftRightLogical(words.AsUInt32(), 8);
        return (Vector512.ConvertToSingle(top.AsInt32()) + Vector512.Create(0.5f)) * Vector512.Create(1f / (1 << 24));
    }
}
