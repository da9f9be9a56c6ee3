namespace Gradscope.Tensors;

/// <summary>
/// Gradscope's seeded generator: xoshiro256** (Blackman and Vigna 2018) seeded through
/// splitmix64. The algorithm is fixed here, so a seed gives the same stream on every
/// .NET version and machine. Normals use the Marsaglia polar method (Log and Sqrt only).
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    /// <summary>Creates a generator whose whole stream is fixed by <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n) without modulo bias (Lemire's method).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "NextInt needs n > 0.");
        ulong range = (ulong)n;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 m = (UInt128)r * range;
            ulong low = (ulong)m;
            if (low >= range || low >= (0UL - range) % range) return (int)(m >> 64);
        }
    }

    /// <summary>Standard normal N(0, 1) by the Marsaglia polar method.</summary>
    public double NextNormal()
    {
        if (_hasSpare) { _hasSpare = false; return _spare; }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * f; _hasSpare = true;
        return u * f;
    }

    /// <summary>Fisher-Yates shuffle of <paramref name="items"/> in place.</summary>
    public void Shuffle<TItem>(Span<TItem> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The full state (for checkpoints): four words plus the cached normal.</summary>
    public RngState State
    {
        get => new(_s0, _s1, _s2, _s3, _hasSpare, _spare);
        set { _s0 = value.S0; _s1 = value.S1; _s2 = value.S2; _s3 = value.S3; _hasSpare = value.HasSpare; _spare = value.Spare; }
    }

    /// <summary>A generator derived from this one's seed material for an independent stream (e.g. per layer).</summary>
    public Rng Fork() => new(NextUInt64());
}

/// <summary>A snapshot of an <see cref="Rng"/>; restoring it continues the stream bit for bit.</summary>
public readonly record struct RngState(ulong S0, ulong S1, ulong S2, ulong S3, bool HasSpare, double Spare);
