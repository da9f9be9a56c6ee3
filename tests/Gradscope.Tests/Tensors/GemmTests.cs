using Gradscope.Tensors;

namespace Gradscope.Tests.Tensors;

/// <summary>Gemm and Parallelism change process-wide settings (thread count, forced kernel): run alone.</summary>
[CollectionDefinition("Gemm", DisableParallelization = true)]
public sealed class GemmCollection;

/// <summary>
/// Gemm.Multiply against a naive triple loop in double precision (written here, independent of the
/// library), on random shapes including empty, vector and odd sizes, every transpose combination,
/// several alpha/beta pairs, every kernel the machine supports, and 1 and 2 threads.
/// </summary>
[Collection("Gemm")]
public sealed partial class GemmTests
{
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (0, 5, 7), (5, 0, 7), (5, 7, 0), (1, 1, 1), (1, 37, 19), (23, 1, 41), (3, 3, 3),
        (13, 33, 17), (12, 32, 256), (37, 45, 300), (64, 64, 64), (129, 65, 31), (7, 300, 260),
        (300, 13, 70), (30, 70, 513), (125, 50, 100), (64, 10, 256), (2, 600, 3),
        (4200, 9, 300), // more rows than one packed A block holds (several MC blocks per k block)
    ];

    private static readonly (double Alpha, double Beta)[] Scalars = [(1, 0), (0.5, -1.5), (2, 1), (-1, 0.25), (0, 0.5)];

    public static IEnumerable<object[]> Kernels() =>
        [[Gemm.Isa.Auto], [Gemm.Isa.Avx2], [Gemm.Isa.Scalar]];

    [Theory]
    [MemberData(nameof(Kernels))]
    internal void FloatMatchesReference(Gemm.Isa isa) => RunAll<float>(isa, 2e-5);

    [Theory]
    [MemberData(nameof(Kernels))]
    internal void DoubleMatchesReference(Gemm.Isa isa) => RunAll<double>(isa, 1e-13);

    private static void RunAll<T>(Gemm.Isa isa, double tol) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Rng(42);
        int saved = Parallelism.Threads;
        Gemm.ForcedIsa = isa;
        try
        {
            foreach (var (m, n, k) in Shapes)
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                    {
                        var (alpha, beta) = Scalars[rng.NextInt(Scalars.Length)];
                        var p = Problem.Random(rng, m, n, k, ta, tb, pad: rng.NextInt(3));
                        var expected = p.Reference(alpha, beta);
                        T[]? first = null;
                        foreach (int threads in new[] { 1, 2 })
                        {
                            Parallelism.Threads = threads;
                            var c = p.Run<T>(alpha, beta);
                            p.AssertClose(c, expected, tol, $"{typeof(T).Name} {isa} m={m} n={n} k={k} ta={ta} tb={tb} alpha={alpha} beta={beta} threads={threads}");
                            // NOTE: each element is computed the same way whatever the split: results do not depend on the thread count
                            if (first is null) first = c; else Assert.Equal(first, c);
                        }
                    }
        }
        finally { Gemm.ForcedIsa = Gemm.Isa.Auto; Parallelism.Threads = saved; }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void BetaZeroIgnoresNaNInC(bool ta, bool tb)
    {
        var rng = new Rng(7);
        foreach (var (m, n, k) in new[] { (40, 50, 30), (1, 9, 4), (4, 4, 4), (33, 70, 300) })
        {
            var p = Problem.Random(rng, m, n, k, ta, tb, pad: 1);
            Array.Fill(p.C0, double.NaN);
            var c = p.Run<double>(1.5, 0);
            p.AssertClose(c, p.Reference(1.5, 0), 1e-13, $"m={m} n={n} k={k}");
            Array.Fill(p.C0, double.NaN);
            var zeroK = new Problem(m, n, 0, ta, tb, [], Math.Max(1, ta ? m : 0), [], Math.Max(1, tb ? 0 : n), p.C0, p.Ldc);
            var cz = zeroK.Run<double>(1, 0);
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) Assert.Equal(0.0, cz[i * p.Ldc + j]);
        }
    }

    [Fact]
    public void RepeatedRunsAreBitIdentical()
    {
        var rng = new Rng(3);
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 2;
            foreach (var (m, n, k) in new[] { (200, 300, 520), (257, 129, 100) })
            {
                var p = Problem.Random(rng, m, n, k, false, true, pad: 0);
                var c1 = p.Run<float>(1, 0.5);
                for (int r = 0; r < 3; r++) Assert.Equal(c1, p.Run<float>(1, 0.5));
            }
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void ThrowsNamingTheShortOperand()
    {
        var a = new float[6]; var b = new float[6]; var c = new float[4];
        // op(A) 2x3, op(B) 3x2, C 2x2 fits
        Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2);
        var ea = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a.AsSpan(0, 5), 3, b, 2, 0f, c, 2));
        Assert.Contains("a has length 5", ea.Message);
        Assert.Contains("needs 6", ea.Message);
        var eb = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, true, 2, 2, 3, 1f, a, 3, b.AsSpan(0, 4), 3, 0f, c, 2));
        Assert.Contains("b has length 4", eb.Message);
        var ec = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c.AsSpan(0, 3), 2));
        Assert.Contains("c has length 3", ec.Message);
        var el = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2));
        Assert.Contains("lda=2", el.Message);
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
    }

    [Fact]
    public void SteadyStateCallsAllocateNothingOnTheCallingThread()
    {
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 2;
            var rng = new Rng(5);
            var p = Problem.Random(rng, 150, 120, 300, false, true, pad: 0);
            float[] a = p.A.Select(v => (float)v).ToArray(), b = p.B.Select(v => (float)v).ToArray(), c = new float[p.C0.Length];
            void Call() => Gemm.Multiply(false, true, 150, 120, 300, 1f, a, p.Lda, b, p.Ldb, 0f, c, p.Ldc);
            Call(); Call();
            // NOTE: one-time lazy work the runtime or the worker pool may do on the calling thread the first time
            // a call has to block under load (a wait's lock object, a worker created late) is not steady state;
            // a per-call allocation shows in every window, so the quietest of several windows must be 0.
            var windows = new long[6];
            for (int w = 0; w < windows.Length; w++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 5; i++) Call();
                windows[w] = GC.GetAllocatedBytesForCurrentThread() - before;
                if (windows[w] == 0) return;
            }
            Assert.Fail($"every window of 5 calls allocated on the calling thread: {string.Join(", ", windows)} bytes");
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void ParallelismForCoversEveryPartOnce()
    {
        int saved = Parallelism.Threads;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.Threads = threads;
                var hits = new int[8];
                Parallelism.For(8, (part, parts) => { Assert.Equal(Math.Min(threads, 8), parts); Interlocked.Increment(ref hits[part]); });
                for (int p = 0; p < Math.Min(threads, 8); p++) Assert.Equal(1, hits[p]);
                for (int p = Math.Min(threads, 8); p < 8; p++) Assert.Equal(0, hits[p]);
            }
            // nested calls (a kernel called inside a parallel part, e.g. per-sample GEMMs) run their parts serially
            Parallelism.Threads = 2;
            var inner = new int[2, 2];
            for (int rep = 0; rep < 50; rep++)
                Parallelism.For(2, (outer, _) => Parallelism.For(2, (part, parts) => { Assert.Equal(2, parts); Interlocked.Increment(ref inner[outer, part]); }));
            foreach (int count in inner) Assert.Equal(50, count);
            var ex = Assert.Throws<InvalidOperationException>(() => Parallelism.For(2, (part, _) => { if (part == 1) throw new InvalidOperationException("part 1"); }));
            Assert.Equal("part 1", ex.Message);
        }
        finally { Parallelism.Threads = saved; }
    }

    /// <summary>A random GEMM problem stored in double with padded leading dimensions.</summary>
    private sealed record Problem(int M, int N, int K, bool TA, bool TB, double[] A, int Lda, double[] B, int Ldb, double[] C0, int Ldc)
    {
        public static Problem Random(Rng rng, int m, int n, int k, bool ta, bool tb, int pad)
        {
            int ra = ta ? k : m, ca = ta ? m : k, rb = tb ? n : k, cb = tb ? k : n;
            int lda = Math.Max(1, ca + pad), ldb = Math.Max(1, cb + pad), ldc = Math.Max(1, n + pad);
            // values exactly representable in float so both precisions multiply the same numbers
            double[] Fill(int len) { var x = new double[len]; for (int i = 0; i < len; i++) x[i] = (float)rng.NextNormal(); return x; }
            return new Problem(m, n, k, ta, tb, Fill(ra * lda), lda, Fill(rb * ldb), ldb, Fill(m * ldc), ldc);
        }

        private double Aij(int i, int p) => TA ? A[p * Lda + i] : A[i * Lda + p];
        private double Bij(int p, int j) => TB ? B[j * Ldb + p] : B[p * Ldb + j];

        /// <summary>The expected C, and per element the scale sum |alpha A B| + |beta C| + 1 of its rounding error.</summary>
        public (double[] C, double[] Scale) Reference(double alpha, double beta)
        {
            var c = (double[])C0.Clone();
            var scale = new double[c.Length];
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                {
                    double s = 0, abs = 1;
                    for (int p = 0; p < K; p++) { double t = Aij(i, p) * Bij(p, j); s += t; abs += Math.Abs(alpha * t); }
                    c[i * Ldc + j] = alpha * s + (beta == 0 ? 0 : beta * C0[i * Ldc + j]);
                    scale[i * Ldc + j] = abs + (beta == 0 ? 0 : Math.Abs(beta * C0[i * Ldc + j]));
                }
            return (c, scale);
        }

        public T[] Run<T>(double alpha, double beta) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            T[] Cast(double[] x) => x.Select(T.CreateChecked).ToArray();
            var c = Cast(C0);
            Gemm.Multiply(TA, TB, M, N, K, T.CreateChecked(alpha), Cast(A), Lda, Cast(B), Ldb, T.CreateChecked(beta), c, Ldc);
            return c;
        }

        public void AssertClose<T>(T[] c, (double[] C, double[] Scale) expected, double tol, string what)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                {
                    double got = double.CreateChecked(c[i * Ldc + j]), want = expected.C[i * Ldc + j];
                    Assert.True(Math.Abs(got - want) <= tol * expected.Scale[i * Ldc + j], $"{what}: C[{i},{j}] = {got}, expected {want}");
                }
            // padding columns of C are untouched
            for (int i = 0; i < M; i++)
                for (int j = N; j < Ldc; j++) Assert.Equal(C0[i * Ldc + j], double.CreateChecked(c[i * Ldc + j]));
        }
    }
}
