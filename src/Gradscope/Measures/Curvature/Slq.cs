using System.Numerics.Tensors;

namespace Gradscope.Measures;

using Gradscope.Tensors;

/// <summary>
/// A spectral density estimate by stochastic Lanczos quadrature: for each probe l, Gauss quadrature nodes theta_{l,i} and
/// weights tau_{l,i} (sum_i tau_{l,i} = 1) with v_l^T f(H) v_l / ||v_l||^2 ~ sum_i tau_{l,i} f(theta_{l,i}).
/// The density is phi(t) = (1/L) sum_l sum_i tau_{l,i} N(t; theta_{l,i}, sigma^2) (THEORY.md section 5, Hessian spectrum;
/// Ghorbani, Krishnan and Xiao 2019; PyHessian, Yao et al. 2020).
/// </summary>
/// <param name="Nodes">Per probe, the m Ritz values ascending.</param>
/// <param name="Weights">Per probe, the m quadrature weights (squared first components of T_m's eigenvectors).</param>
/// <param name="Dimension">P, the order of H.</param>
public sealed record SpectralDensity(double[][] Nodes, double[][] Weights, int Dimension)
{
    /// <summary>Number of probes L.</summary>
    public int Probes => Nodes.Length;

    /// <summary>The smallest node over all probes (an upper bound on lambda_min(H), converging to it as m grows).</summary>
    public double MinNode => Nodes.Min(n => n[0]);

    /// <summary>The largest node over all probes (a lower bound on lambda_max(H), converging to it as m grows).</summary>
    public double MaxNode => Nodes.Max(n => n[^1]);

    /// <summary>
    /// The k-th moment of the density's discrete measure, (1/L) sum_l sum_i tau_{l,i} theta_{l,i}^k, an unbiased estimate of
    /// tr(H^k) / P for Rademacher probes when 2m - 1 &gt;= k (the quadrature is then exact per probe), with its standard error over the probes.
    /// </summary>
    public Estimate Moment(int k)
    {
        var perProbe = new double[Probes];
        for (int l = 0; l < Probes; l++)
        {
            double s = 0;
            for (int i = 0; i < Nodes[l].Length; i++) s += Weights[l][i] * Math.Pow(Nodes[l][i], k);
            perProbe[l] = s;
        }
        return StochasticHessian.Summarize(perProbe);
    }

    /// <summary>Every (node, weight / L) pair, probe by probe: an (L m) x 2 row-major array (weights sum to 1).</summary>
    public double[] NodeWeightTable()
    {
        int total = Nodes.Sum(n => n.Length);
        var t = new double[2 * total];
        int r = 0;
        for (int l = 0; l < Probes; l++)
            for (int i = 0; i < Nodes[l].Length; i++, r++) { t[2 * r] = Nodes[l][i]; t[2 * r + 1] = Weights[l][i] / Probes; }
        return t;
    }

    /// <summary>
    /// The default grid: <paramref name="points"/> points evenly spaced over [min - 0.05 w, max + 0.05 w], w = max - min of the
    /// nodes (w = 1 when every node coincides), and the default smoothing sigma = 0.01 w.
    /// </summary>
    public (double[] Grid, double Sigma) DefaultGrid(int points = 1000)
    {
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "SpectralDensity: the grid needs >= 2 points.");
        double lo = MinNode, hi = MaxNode, w = hi - lo;
        if (!(w > 0)) w = Math.Max(1, Math.Abs(lo));
        double a = lo - 0.05 * w, b = hi + 0.05 * w;
        var grid = new double[points];
        for (int i = 0; i < points; i++) grid[i] = a + (b - a) * i / (points - 1);
        return (grid, 0.01 * w);
    }

    /// <summary>phi(t) at each grid point t: the Gaussian-smoothed quadrature measure (integrates to 1 over the real line).</summary>
    public double[] Density(ReadOnlySpan<double> grid, double sigma)
    {
        if (!(sigma > 0)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "SpectralDensity: sigma must be > 0.");
        var phi = new double[grid.Length];
        double norm = 1 / (Probes * sigma * Math.Sqrt(2 * Math.PI));
        for (int g = 0; g < grid.Length; g++)
        {
            double s = 0;
            for (int l = 0; l < Probes; l++)
                for (int i = 0; i < Nodes[l].Length; i++)
                {
                    double u = (grid[g] - Nodes[l][i]) / sigma;
                    s += Weights[l][i] * Math.Exp(-0.5 * u * u);
                }
            phi[g] = s * norm;
        }
        return phi;
    }
}

/// <summary>
/// Stochastic Lanczos quadrature (SLQ) of the loss Hessian: L Rademacher probes, m Lanczos steps each with reorthogonalization
/// (<see cref="Lanczos"/>: full for small nets, against the <see cref="Lanczos.WindowVectors"/> most recent vectors beyond; f32 models
/// beyond run <see cref="SingleLanczos"/>), Gauss quadrature nodes and weights from each T_m (<see cref="GaussQuadrature"/>).
/// Cost: L m Hessian-vector products; memory: three Lanczos vectors in double plus the stored basis (at most
/// <see cref="Lanczos.WindowVectors"/> float32 vectors once the whole basis exceeds 16 MiB); on the f32 route
/// <see cref="Lanczos.WindowVectors"/> + 3 float32 vectors in all, the probe written into the first.
/// </summary>
public static class StochasticLanczosQuadrature
{
    /// <summary>
    /// The density of <paramref name="h"/> from <paramref name="probes"/> probes of <paramref name="steps"/> steps (m = min(steps, P)).
    /// An f32 model whose whole basis exceeds <see cref="Lanczos.FullBasisBytes"/> runs <see cref="SingleLanczos"/> on float32 products
    /// (window of <see cref="Lanczos.WindowVectors"/>); otherwise <see cref="Lanczos.Run(SymmetricOperator, int, ReadOnlySpan{double}, int, LanczosWorkspace)"/>.
    /// </summary>
    public static SpectralDensity Of(HessianVectorProduct h, int probes, int steps, Rng rng) =>
        h.IsSingle && Lanczos.Workspace(h.Dimension, steps).Single ? Of(h, probes, steps, rng, Lanczos.WindowVectors) : Of(h.Apply, h.Dimension, probes, steps, rng);

    /// <summary>
    /// The density of an f32 model's Hessian by <see cref="SingleLanczos"/> with a window of <paramref name="window"/> older vectors:
    /// the same Rademacher probes (drawn from <paramref name="rng"/> in the same order) as the other overloads, written straight into the
    /// run's first stored vector (float32 holds +-1 exactly). At exactly 2 threads (<see cref="Parallelism.Threads"/>) two probes run at
    /// a time, one on each thread (<see cref="ConcurrentProbes"/>); the result is the same bit for bit.
    /// </summary>
    public static SpectralDensity Of(HessianVectorProduct h, int probes, int steps, Rng rng, int window) =>
        Of(h, probes, steps, rng, window, ConcurrentProbes);

    /// <summary>
    /// Probes of the float32 route run at a time (1 or 2): 2 at exactly 2 threads, else 1. NOTE: two probes at a time, each on one
    /// thread with its own products and vector passes (a kernel's parallel call inside runs its parts one after another: the same
    /// split, so the same values), replace the two-way split of every GEMM and vector pass (2 x 10 per Lanczos step, each with a hand-over
    /// to the worker and a wait for it) by one hand-over per probe; it costs a second <see cref="SingleLanczos"/> (Window + 3 weight copies)
    /// and a second set of product buffers. With more threads the split products use them all, so the probes run one at a time.
    /// </summary>
    public static int ConcurrentProbes => Parallelism.Threads == 2 ? 2 : 1;

    /// <summary>
    /// As above with <paramref name="concurrentProbes"/> (1 or 2) probes at a time; the result does not depend on it (nor on the thread
    /// count), and <paramref name="rng"/> ends in the same state. Memory: per concurrent probe a <see cref="SingleLanczos"/> (Window + 3
    /// float32 vectors) and, beyond the first, the per-product buffers of <see cref="HessianVectorProduct.NewSingleLane"/>.
    /// </summary>
    public static SpectralDensity Of(HessianVectorProduct h, int probes, int steps, Rng rng, int window, int concurrentProbes)
    {
        Check(probes, steps);
        if (concurrentProbes is < 1 or > 2) throw new ArgumentOutOfRangeException(nameof(concurrentProbes), concurrentProbes, "StochasticLanczosQuadrature: 1 or 2 probes at a time.");
        int lanes = Math.Min(concurrentProbes, probes);
        var job = new ProbeJob(h, probes, steps, lanes, window);
        if (lanes == 1)
            for (int l = 0; l < probes; l++)
            {
                var lane = job.Lanes[0]!;
                Rademacher(lane.Lanczos.Start, rng);
                job.Results[l] = lane.Lanczos.Run(lane.Product, steps);
            }
        else
        {
            // probe l's bits are those the sequential route draws for it: the generator's state at its start, then P draws skipped
            for (int l = 0; l < probes; l++)
            {
                job.Starts[l] = rng.State;
                for (int i = 0; i < h.Dimension; i++) rng.NextUInt64();
            }
            job.RunAll();
        }
        var nodes = new double[probes][];
        var weights = new double[probes][];
        for (int l = 0; l < probes; l++) (nodes[l], weights[l]) = GaussQuadrature.Of(job.Results[l]!);
        return new SpectralDensity(nodes, weights, h.Dimension);
    }

    /// <summary>One probe's vectors and product operator (a lane of the Hessian's kernel).</summary>
    private sealed class ProbeLane(SingleLanczos lanczos, SingleOperator product)
    {
        public SingleLanczos Lanczos { get; } = lanczos;
        public SingleOperator Product { get; } = product;
    }

    /// <summary>The probes of one SLQ run, claimed one at a time by up to two threads, each probe on a free lane.</summary>
    private sealed class ProbeJob
    {
        public readonly ProbeLane?[] Lanes;
        public readonly RngState[] Starts;
        public readonly LanczosTridiagonal?[] Results;
        private readonly int _steps;

        public ProbeJob(HessianVectorProduct h, int probes, int steps, int lanes, int window)
        {
            _steps = steps;
            Lanes = new ProbeLane?[lanes];
            Lanes[0] = new ProbeLane(new SingleLanczos(h.Dimension, window), h.ApplySingle);
            for (int i = 1; i < lanes; i++) Lanes[i] = new ProbeLane(new SingleLanczos(h.Dimension, window), h.NewSingleLane());
            Starts = new RngState[probes];
            Results = new LanczosTridiagonal?[probes];
        }

        // NOTE: chunks claimed one at a time (Parallelism.ForEachChunk), not a fixed split: a thread that is descheduled or a worker that
        // joins late takes fewer probes instead of holding up the other thread at the end of a pair. Which thread and which lane run a
        // probe does not change its values (a lane's buffers are overwritten by every product, a run resets its vectors).
        public unsafe void RunAll()
        {
            var handle = System.Runtime.InteropServices.GCHandle.Alloc(this);
            try
            {
                nint state = System.Runtime.InteropServices.GCHandle.ToIntPtr(handle);
                Parallelism.ForEachChunk(Results.Length, Lanes.Length, &RunProbe, &state);
            }
            finally { handle.Free(); }
        }

        private static unsafe void RunProbe(void* state, int probe)
        {
            var job = (ProbeJob)System.Runtime.InteropServices.GCHandle.FromIntPtr(*(nint*)state).Target!;
            // at most Lanes.Length threads run probes, one each at a time: a free lane always exists
            int slot = 0;
            ProbeLane? lane = null;
            for (; lane is null; slot = (slot + 1) % job.Lanes.Length) lane = Interlocked.Exchange(ref job.Lanes[slot], null);
            slot = (slot + job.Lanes.Length - 1) % job.Lanes.Length;
            try
            {
                var rng = new Rng(0) { State = job.Starts[probe] };
                Rademacher(lane.Lanczos.Start, rng);
                job.Results[probe] = lane.Lanczos.Run(lane.Product, job._steps);
            }
            finally { Volatile.Write(ref job.Lanes[slot], lane); }
        }
    }

    private static void Check(int probes, int steps)
    {
        if (probes < 1) throw new ArgumentOutOfRangeException(nameof(probes), probes, "StochasticLanczosQuadrature: probes must be >= 1.");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "StochasticLanczosQuadrature: Lanczos steps must be >= 1.");
    }

    /// <summary>The density of any symmetric operator of order <paramref name="dimension"/>.</summary>
    public static SpectralDensity Of(SymmetricOperator a, int dimension, int probes, int steps, Rng rng) =>
        Of(a, dimension, probes, steps, rng, Lanczos.Workspace(dimension, steps));

    /// <summary>As above with the Lanczos basis kept in <paramref name="workspace"/> (its capacity bounds the memory).</summary>
    public static SpectralDensity Of(SymmetricOperator a, int dimension, int probes, int steps, Rng rng, LanczosWorkspace workspace)
    {
        Check(probes, steps);
        var nodes = new double[probes][];
        var weights = new double[probes][];
        var v = new double[dimension];
        // one workspace for every probe: its vectors (the whole basis, or the window) allocated once
        for (int l = 0; l < probes; l++)
        {
            Rademacher(v, rng);
            (nodes[l], weights[l]) = GaussQuadrature.Of(Lanczos.Run(a, dimension, v, steps, workspace));
        }
        return new SpectralDensity(nodes, weights, dimension);
    }

    /// <summary>Fills <paramref name="v"/> with independent +-1 entries (one bit of <paramref name="rng"/> each, as <see cref="StochasticHessian"/>).</summary>
    public static void Rademacher(Span<double> v, Rng rng)
    {
        for (int i = 0; i < v.Length; i++) v[i] = (rng.NextUInt64() >> 63) == 0 ? -1 : 1;
    }

    /// <summary>The same +-1 entries as <see cref="Rademacher(Span{double}, Rng)"/> (the same bits of <paramref name="rng"/>), in float32.</summary>
    public static void Rademacher(Span<float> v, Rng rng)
    {
        for (int i = 0; i < v.Length; i++) v[i] = (rng.NextUInt64() >> 63) == 0 ? -1 : 1;
    }
}
