using Gradscope.Tensors;

namespace Gradscope.Tests.Tensors;

public sealed partial class GemmTests
{
    /// <summary>
    /// Matrix-vector products (m = 1 or n = 1) split between threads: for every transpose pair (so both the dot and
    /// the axpy form), lengths with and without a vector tail and past the chunk count, against the double-precision
    /// reference; bit-identical for 1, 2 and 3 threads; the dot form also bit-identical to the unsplit product (the
    /// axpy form of a large product sums k in fixed blocks, so it rounds differently, the same on any thread count).
    /// </summary>
    [Fact]
    public void SplitMatrixVectorProductsMatchReferenceAndAreBitIdenticalAcrossThreads()
    {
        int savedThreads = Parallelism.Threads;
        long savedMacs = GemmDirect.MatrixVectorMacsPerPart;
        var rng = new Rng(41);
        try
        {
            foreach (var (m, n, k) in new[] { (1, 37, 19), (1, 300, 257), (1, 1024, 64), (1, 16, 2000), (1, 1, 900), (45, 1, 33), (513, 1, 130), (1, 129, 1) })
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                        foreach (var (alpha, beta) in new[] { (1.0, 0.0), (0.5, -1.5) })
                        {
                            var p = Problem.Random(rng, m, n, k, ta, tb, pad: 3);
                            var expected = p.Reference(alpha, beta);
                            float[]? unsplit = null;
                            foreach (long macsPerPart in new[] { long.MaxValue, 1L })   // never split, split whatever the size
                            {
                                GemmDirect.MatrixVectorMacsPerPart = macsPerPart;
                                Parallelism.Threads = 1;
                                var single = p.Run<float>(alpha, beta);
                                var singleD = p.Run<double>(alpha, beta);
                                string what = $"{m}x{n}x{k} ta={ta} tb={tb} macs/part={macsPerPart}";
                                p.AssertClose(single, expected, 2e-5, "f32 " + what);
                                p.AssertClose(singleD, expected, 1e-13, "f64 " + what);
                                foreach (int threads in new[] { 1, 2, 3 })
                                {
                                    Parallelism.Threads = threads;
                                    for (int rep = 0; rep < 3; rep++)
                                    {
                                        Assert.Equal(single, p.Run<float>(alpha, beta));
                                        Assert.Equal(singleD, p.Run<double>(alpha, beta));
                                    }
                                }
                                // the dot form (rows of the matrix operand contiguous along k) splits rows, never k: same bits
                                bool dotForm = m == 1 ? tb : !ta;
                                if (macsPerPart == long.MaxValue) unsplit = single;
                                else if (dotForm || k < GemmDirect.AxpyBlocks) Assert.Equal(unsplit, single);
                            }
                        }
        }
        finally { Parallelism.Threads = savedThreads; GemmDirect.MatrixVectorMacsPerPart = savedMacs; }
    }
}
