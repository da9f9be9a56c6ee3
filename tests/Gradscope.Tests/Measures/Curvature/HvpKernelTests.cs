using Gradscope.Losses;
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

    [Theory]
    [InlineData(LossKind.CrossEntropy, 3, true)]
    [InlineData(LossKind.Square, 3, false)]
    public void ABatchBeyondOneChunkGivesTheMeanOfItsHalvesProducts(LossKind loss, int classes, bool bias)
    {
        // n = 2 ChunkRows + 3 samples: the product runs in 3 chunks. L is the mean loss, so H = (n_A H_A + n_B H_B) / n over any split of the
        // samples; each half (at most ChunkRows samples) runs in one chunk: an independent route to the same H v.
        int n = 2 * HvpKernel<double>.ChunkRows + 3, half = n / 2;
        var m = MeasureTestNets.Mlp([5, 6, 4, classes], bias, seed: 91);
        var data = MeasureTestNets.Gaussian(n, 5, classes, 92);
        var a = data.Subset(Enumerable.Range(0, half).ToArray());
        var b = data.Subset(Enumerable.Range(half, n - half).ToArray());
        var h = HessianVectorProduct.Create(m, data, loss);
        var ha = HessianVectorProduct.Create(m, a, loss);
        var hb = HessianVectorProduct.Create(m, b, loss);
        int p = h.Dimension;
        var rng = new Rng(93);
        var v = Enumerable.Range(0, p).Select(_ => rng.NextNormal()).ToArray();
        var hv = new double[p];
        var hav = new double[p];
        var hbv = new double[p];
        h.Apply(v, hv);
        ha.Apply(v, hav);
        hb.Apply(v, hbv);
        double scale = Math.Sqrt(hv.Sum(x => x * x));
        Assert.True(scale > 0);
        for (int i = 0; i < p; i++)
        {
            double want = (half * hav[i] + (n - half) * hbv[i]) / n;
            Assert.True(Math.Abs(want - hv[i]) <= 1e-12 * scale, $"(H v)[{i}] = {hv[i]}, from the halves {want}");
        }
        // a second product on the same buffers (accumulation restarts at the first chunk)
        var again = new double[p];
        h.Apply(v, again);
        Assert.Equal(hv, again);
    }
}
