using Gradscope.Measures;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures.Curvature;

/// <summary>
/// The pieces of the Hessian-vector kernel that must equal a scalar rule bit for bit (the products themselves are checked against
/// finite differences of exact gradients in HessianTests and against the exact Hessian in SingleLanczosTests).
/// </summary>
public class HvpKernelTests
{
    // The scalar rule the vectorized mask replaces: o[k] = a[k] > 0 ? r[k] : +0.
    private static T Scalar<T>(T a, T r) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => a > T.Zero ? r : T.Zero;

    private static readonly double[] Specials = [0.0, -0.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, -double.Epsilon, 1e-310];

    private static T[] Draw<T>(Rng rng, int n) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        Enumerable.Range(0, n).Select(_ => T.CreateTruncating(rng.NextUInt64() % 4 == 0 ? Specials[(int)(rng.NextUInt64() % (ulong)Specials.Length)] : rng.NextNormal())).ToArray();

    private static void Check<T>(int seed) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Rng((ulong)seed);
        // lengths around the vector width, with tails
        foreach (int n in new[] { 0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1027 })
        {
            var a = Draw<T>(rng, n);
            var r = Draw<T>(rng, n);
            var o = Draw<T>(rng, n);
            HvpKernel<T>.KeepWhereActive(a, r, o);
            var inPlace = (T[])r.Clone();
            HvpKernel<T>.KeepWhereActive(a, inPlace, inPlace);
            for (int k = 0; k < n; k++)
            {
                var want = Scalar(a[k], r[k]);
                Assert.True(BitEqual(want, o[k]), $"n = {n}, k = {k}: a = {a[k]}, r = {r[k]}: want {want}, got {o[k]}");
                Assert.True(BitEqual(want, inPlace[k]), $"in place, n = {n}, k = {k}: a = {a[k]}, r = {r[k]}: want {want}, got {inPlace[k]}");
            }
        }
    }

    private static bool BitEqual<T>(T x, T y) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in x)).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in y)));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TheReluMaskEqualsTheScalarRuleBitForBit(int seed)
    {
        Check<float>(seed);
        Check<double>(seed + 100);
    }
}
