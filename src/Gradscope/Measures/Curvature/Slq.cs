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
    /// run's first stored vector (float32 holds +-1 exactly).
    /// </summary>
    public static SpectralDensity Of(HessianVectorProduct h, int probes, int steps, Rng rng, int window)
    {
        Check(probes, steps);
        var lanczos = new SingleLanczos(h.Dimension, window);
        var nodes = new double[probes][];
        var weights = new double[probes][];
        for (int l = 0; l < probes; l++)
        {
            Rademacher(lanczos.Start, rng);
            (nodes[l], weights[l]) = GaussQuadrature.Of(lanczos.Run(h.ApplySingle, steps));
        }
        return new SpectralDensity(nodes, weights, h.Dimension);
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
