using Gradscope.Tensors;

namespace Gradscope.Tests.Tensors;

/// <summary>
/// The small-matrix (in-place, AVX-512) path and the blocked path, each forced through
/// Gemm.InPlaceMacs, against the naive double-precision triple loop of <see cref="GemmTests"/>:
/// every edge size 1..67 of m and of n (partial MR-row and NR-column tiles, masked), every
/// transpose pair, f32 and f64, padded leading dimensions, 1 and 2 threads; plus bit-identity of
/// repeated calls and across thread counts.
/// </summary>
public sealed partial class GemmTests
{
    public static IEnumerable<object[]> Paths() => [[true], [false]];

    [Theory]
    [MemberData(nameof(Paths))]
    internal void EdgeSizesMatchReference(bool inPlace)
    {
        var rng = new Rng(14);
        int saved = Parallelism.Threads;
        long savedMacs = Gemm.InPlaceMacs;
        Gemm.InPlaceMacs = inPlace ? long.MaxValue : 0;
        try
        {
            for (int e = 1; e <= 67; e++)
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                    {
                        // the edge size as m (with a random n) and as n (with a random m); k mostly short, sometimes past one k block
                        int other = 2 + rng.NextInt(66), k = rng.NextInt(8) == 0 ? 385 + rng.NextInt(60) : 1 + rng.NextInt(67);
                        foreach (var (m, n) in new[] { (e, other), (other, e) })
                        {
                            var (alpha, beta) = Scalars[rng.NextInt(Scalars.Length)];
                            var p = Problem.Random(rng, m, n, k, ta, tb, pad: rng.NextInt(4));
                            var expected = p.Reference(alpha, beta);
                            // NOTE: a dot product of length k in precision u errs by at most about k u sum|a b| (Higham, Accuracy
                            // and Stability of Numerical Algorithms, 2002, eq. 3.5); the scale is that sum plus |beta c| + 1
                            double tolF = 2 * (k + 2) * 6e-8, tolD = 2 * (k + 2) * 1.2e-16;
                            Check<float>(p, alpha, beta, expected, tolF, $"inPlace={inPlace} m={m} n={n} k={k} ta={ta} tb={tb}");
                            Check<double>(p, alpha, beta, expected, tolD, $"inPlace={inPlace} m={m} n={n} k={k} ta={ta} tb={tb}");
                        }
                    }
        }
        finally { Gemm.InPlaceMacs = savedMacs; Parallelism.Threads = saved; }
    }

    private static void Check<T>(Problem p, double alpha, double beta, (double[] C, double[] Scale) expected, double tol, string what)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T[]? first = null;
        foreach (int threads in new[] { 1, 2 })
        {
            Parallelism.Threads = threads;
            var c = p.Run<T>(alpha, beta);
            p.AssertClose(c, expected, tol, $"{typeof(T).Name} {what} threads={threads}");
            if (first is null) first = c; else Assert.Equal(first, c);
        }
    }

    [Fact]
    public void SmallPathRepeatedAndAcrossThreadsBitIdentical()
    {
        var rng = new Rng(15);
        int saved = Parallelism.Threads;
        long savedMacs = Gemm.InPlaceMacs;
        try
        {
            Gemm.InPlaceMacs = long.MaxValue;
            // shapes large enough that the in-place path splits them over 2 threads (by columns and by rows)
            foreach (var (m, n, k, ta, tb) in new[] { (256, 256, 256, false, false), (1000, 40, 200, true, false), (300, 200, 500, false, true), (64, 700, 100, true, true) })
            {
                var p = Problem.Random(rng, m, n, k, ta, tb, pad: 1);
                Parallelism.Threads = 1;
                var one = p.Run<float>(1, 0.5);
                var oneD = p.Run<double>(1, 0.5);
                Parallelism.Threads = 2;
                for (int r = 0; r < 3; r++)
                {
                    Assert.Equal(one, p.Run<float>(1, 0.5));
                    Assert.Equal(oneD, p.Run<double>(1, 0.5));
                }
            }
        }
        finally { Gemm.InPlaceMacs = savedMacs; Parallelism.Threads = saved; }
    }

    [Fact]
    public void SmallMReadingBInPlaceEqualsThePackedPathBitForBit()
    {
        // m of one or two row tiles with a non-transposed B: op(B) read where it lies (GemmInPlace.InPlaceBRows) must give
        // exactly the packed path's result (the same FMA chain per element), with a partial last panel and k past one block
        var rng = new Rng(16);
        int saved = Parallelism.Threads, savedRows = GemmInPlace.InPlaceBRows;
        long savedMacs = Gemm.InPlaceMacs;
        try
        {
            Gemm.InPlaceMacs = long.MaxValue;
            foreach (int m in new[] { 2, 5, 12, 16, 24 })
                foreach (bool ta in new[] { false, true })
                    foreach (int threads in new[] { 1, 2 })
                    {
                        int n = 32 * (1 + rng.NextInt(8)) + rng.NextInt(2) * (1 + rng.NextInt(31)), k = rng.NextInt(2) == 0 ? 1 + rng.NextInt(80) : 385 + rng.NextInt(500);
                        var p = Problem.Random(rng, m, n, k, ta, false, pad: rng.NextInt(3));
                        var (alpha, beta) = Scalars[rng.NextInt(Scalars.Length)];
                        Parallelism.Threads = threads;
                        GemmInPlace.InPlaceBRows = 0;
                        var packedF = p.Run<float>(alpha, beta); var packedD = p.Run<double>(alpha, beta);
                        GemmInPlace.InPlaceBRows = 2;
                        Assert.Equal(packedF, p.Run<float>(alpha, beta));
                        Assert.Equal(packedD, p.Run<double>(alpha, beta));
                        var expected = p.Reference(alpha, beta);
                        p.AssertClose(p.Run<float>(alpha, beta), expected, 2 * (k + 2) * 6e-8, $"m={m} n={n} k={k} ta={ta}");
                    }
        }
        finally { Gemm.InPlaceMacs = savedMacs; Parallelism.Threads = saved; GemmInPlace.InPlaceBRows = savedRows; }
    }

    [Fact]
    public void DotPathForFewRowsTimesATransposedBMatchesReferenceAndIsBitIdenticalAcrossThreads()
    {
        // x W^T with a batch of at most GemmDot.MaxRows rows: k with and without a tail past the vector length, n not a
        // multiple of the 4-column block, every C update mode, and shapes large enough to be split between threads
        var rng = new Rng(17);
        int saved = Parallelism.Threads;
        long savedMacs = Gemm.InPlaceMacs;
        int savedDepth = GemmDot.MinDepth;
        try
        {
            Gemm.InPlaceMacs = long.MaxValue;
            GemmDot.MinDepth = 1;   // every k through the dot path (the library takes it from k = 256)
            foreach (int m in new[] { 2, 3, 4, 5, 7, 8, 13, 16 })
                foreach (int k in new[] { 1, 7, 16, 31, 64, 100, 784 })
                {
                    int n = rng.NextInt(2) == 0 ? 1 + rng.NextInt(40) : 200 + rng.NextInt(900);
                    var p = Problem.Random(rng, m, n, k, false, true, pad: rng.NextInt(3));
                    var (alpha, beta) = Scalars[rng.NextInt(Scalars.Length)];
                    var expected = p.Reference(alpha, beta);
                    Parallelism.Threads = 1;
                    var oneF = p.Run<float>(alpha, beta); var oneD = p.Run<double>(alpha, beta);
                    p.AssertClose(oneF, expected, 2 * (k + 2) * 6e-8, $"f32 m={m} n={n} k={k}");
                    p.AssertClose(oneD, expected, 2 * (k + 2) * 1.2e-16, $"f64 m={m} n={n} k={k}");
                    foreach (int threads in new[] { 2, 3 })
                    {
                        Parallelism.Threads = threads;
                        Assert.Equal(oneF, p.Run<float>(alpha, beta));
                        Assert.Equal(oneD, p.Run<double>(alpha, beta));
                    }
                }
        }
        finally { Gemm.InPlaceMacs = savedMacs; Parallelism.Threads = saved; GemmDot.MinDepth = savedDepth; }
    }
}
