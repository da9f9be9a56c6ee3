using System.Numerics;

namespace Gradscope.Training;

/// <summary>Helpers for <see cref="Algorithm{T}.SaveState"/> / <see cref="Algorithm{T}.LoadState"/>: T vectors stored as double (exact for float and double).</summary>
internal static class AlgorithmState
{
    /// <summary>Stores a copy of <paramref name="values"/> under <paramref name="key"/>.</summary>
    public static void Put<T>(IDictionary<string, double[]> state, string key, ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = new double[values.Length];
        for (int i = 0; i < d.Length; i++) d[i] = double.CreateChecked(values[i]);
        state[key] = d;
    }

    /// <summary>Stores scalars under <paramref name="key"/>.</summary>
    public static void Put(IDictionary<string, double[]> state, string key, params double[] values) => state[key] = (double[])values.Clone();

    /// <summary>The entry <paramref name="key"/> of <paramref name="algorithm"/>'s state; throws naming a missing or mis-sized entry (length -1 = any).</summary>
    public static double[] Get(IReadOnlyDictionary<string, double[]> state, string algorithm, string key, int length = -1)
    {
        if (!state.TryGetValue(key, out var v))
            throw new ArgumentException($"{algorithm} state: missing entry '{key}' (present: {string.Join(", ", state.Keys)}).");
        if (length >= 0 && v.Length != length)
            throw new ArgumentException($"{algorithm} state: entry '{key}' has {v.Length} values, expected {length}.");
        return v;
    }

    /// <summary>Copies a stored vector into <paramref name="target"/> (converting to T; exact for values written by <see cref="Put{T}"/>).</summary>
    public static void CopyTo<T>(double[] source, Span<T> target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < source.Length; i++) target[i] = T.CreateChecked(source[i]);
    }
}
