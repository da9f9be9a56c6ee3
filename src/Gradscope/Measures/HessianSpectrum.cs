using System.Numerics.Tensors;

namespace Gradscope.Measures;

using Gradscope.Tensors;

/// <summary>
/// The Hessian's top eigenvalues by power iteration on exact Hessian-vector products with deflation
/// (the k-th iteration runs on H - sum_{j&lt;k} lambda_j u_j u_j^T), and its trace by Hutchinson's
/// estimator tr(H) ~ (1/m) sum_s v_s^T H v_s with Rademacher v_s (THEORY.md section 5).
/// "Top" means largest in absolute value, as power iteration finds.
/// </summary>
public static class HessianSpectrum
{
    /// <summary>
    /// The smallest relative tolerance of the power iteration on float32 products (<see cref="HessianVectorProduct.IsSingle"/>).
    /// NOTE: the products round v to float32 and compute in float32, so successive Rayleigh quotients jitter by about 1e-7 of
    /// |lambda| even at convergence: a tolerance below that is never met and each eigenvalue would take all maxIterations products.
    /// 1e-6 (about 8 float32 epsilons) stops once the change is at the level the products resolve.
    /// </summary>
    public const double SingleTolerance = 1e-6;

    /// <summary>
    /// The <paramref name="count"/> eigenvalues of largest magnitude, in the order found; stops each when |lambda_t - lambda_{t-1}| &lt;= tol |lambda_t|
    /// (tol at least <see cref="SingleTolerance"/> on float32 products).
    /// </summary>
    public static double[] TopEigenvalues(HessianVectorProduct h, int count, Rng rng, int maxIterations = 1000, double tolerance = 1e-8)
    {
        int p = h.Dimension;
        if (h.IsSingle) tolerance = Math.Max(tolerance, SingleTolerance);
        if (count < 1 || count > p) throw new ArgumentOutOfRangeException(nameof(count), count, $"HessianSpectrum: count must lie in [1, {p}].");
        var lambdas = new double[count];
        var vecs = new List<double[]>();
        var v = new double[p];
        var w = new double[p];
        for (int k = 0; k < count; k++)
        {
            for (int i = 0; i < p; i++) v[i] = rng.NextNormal();
            Deflate(v, vecs);
            TensorPrimitives.Divide(v, TensorPrimitives.Norm<double>(v), v);
            double lambda = 0;
            for (int it = 0; it < maxIterations; it++)
            {
                h.Apply(v, w);
                for (int j = 0; j < vecs.Count; j++)
                    TensorPrimitives.MultiplyAdd(vecs[j], -lambdas[j] * TensorPrimitives.Dot<double>(vecs[j], v), w, w);
                double next = TensorPrimitives.Dot<double>(v, w);
                double nrm = TensorPrimitives.Norm<double>(w);
                if (nrm == 0) { lambda = 0; break; }
                TensorPrimitives.Divide(w, nrm, v);
                bool done = it > 0 && Math.Abs(next - lambda) <= tolerance * Math.Abs(next);
                lambda = next;
                if (done) break;
            }
            lambdas[k] = lambda;
            vecs.Add((double[])v.Clone());
        }
        return lambdas;
    }

    /// <summary>Hutchinson's estimate (1/m) sum_s v_s^T H v_s with m = <paramref name="samples"/> Rademacher vectors.</summary>
    public static double HutchinsonTrace(HessianVectorProduct h, int samples, Rng rng)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "HutchinsonTrace: samples must be >= 1.");
        int p = h.Dimension;
        var v = new double[p];
        var w = new double[p];
        double sum = 0;
        for (int s = 0; s < samples; s++)
        {
            for (int i = 0; i < p; i++) v[i] = (rng.NextUInt64() >> 63) == 0 ? -1 : 1;
            h.Apply(v, w);
            sum += TensorPrimitives.Dot<double>(v, w);
        }
        return sum / samples;
    }

    /// <summary>The exact trace sum_i e_i^T H e_i (P products; for small nets and tests).</summary>
    public static double ExactTrace(HessianVectorProduct h)
    {
        int p = h.Dimension;
        var e = new double[p];
        var w = new double[p];
        double t = 0;
        for (int i = 0; i < p; i++)
        {
            e[i] = 1; h.Apply(e, w); t += w[i]; e[i] = 0;
        }
        return t;
    }

    private static void Deflate(double[] v, List<double[]> vecs)
    {
        foreach (var u in vecs) TensorPrimitives.MultiplyAdd(u, -TensorPrimitives.Dot<double>(u, v), v, v);
    }
}
