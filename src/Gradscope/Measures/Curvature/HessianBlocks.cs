using System.Numerics.Tensors;

namespace Gradscope.Measures;

using Gradscope.Tensors;

/// <summary>
/// The curvature of one layer's diagonal block H_bb = d^2 L / dW_b^2 of the loss Hessian (THEORY.md section 5, Hessian spectrum,
/// per layer): its extreme eigenvalues and its trace.
/// </summary>
/// <param name="Block">The layer and its parameter ranges.</param>
/// <param name="LambdaMax">The largest eigenvalue of H_bb (the largest Ritz value of the block's Lanczos run).</param>
/// <param name="LambdaMin">The smallest eigenvalue of H_bb (the smallest Ritz value).</param>
/// <param name="LambdaMaxResidual">|beta_m s_m| of the largest Ritz value: an eigenvalue of H_bb lies within it (0 when the run found an invariant subspace).</param>
/// <param name="Trace">Hutchinson's estimate of tr H_bb from Rademacher probes on the block, with its standard error.</param>
/// <param name="LanczosSteps">Lanczos steps taken (at most the block's size).</param>
public sealed record BlockCurvature(HessianBlock Block, double LambdaMax, double LambdaMin, double LambdaMaxResidual, Estimate Trace, int LanczosSteps)
{
    /// <summary>The eigenvalue of largest magnitude ("top" as power iteration would find it).</summary>
    public double Top => Math.Abs(LambdaMax) >= Math.Abs(LambdaMin) ? LambdaMax : LambdaMin;
}

/// <summary>
/// Per-layer (block) Hessian measures: H_bb x_b = (H [x_b; 0])_b, a Hessian-vector product with v zero outside the block,
/// restricted to the block's parameters (PyHessian's missing per-layer analysis). Extreme eigenvalues by Lanczos with full
/// reorthogonalization from a Rademacher start, the trace by Hutchinson's estimator on the block.
/// </summary>
public static class HessianBlocks
{
    /// <summary>H_bb as an operator on vectors of the block's size (each product is one full product of <paramref name="h"/>).</summary>
    public static SymmetricOperator Restrict(HessianVectorProduct h, HessianBlock block)
    {
        var full = new double[h.Dimension];
        var image = new double[h.Dimension];
        return (x, y) =>
        {
            if (x.Length != block.Size || y.Length != block.Size) throw new ArgumentException($"HessianBlocks: vectors of layer {block.Step} have {block.Size} entries, got {x.Length} and {y.Length}.");
            Array.Clear(full);
            int k = 0;
            foreach (var (offset, length) in block.Ranges) { x.Slice(k, length).CopyTo(full.AsSpan(offset, length)); k += length; }
            h.Apply(full, image);
            k = 0;
            foreach (var (offset, length) in block.Ranges) { image.AsSpan(offset, length).CopyTo(y.Slice(k, length)); k += length; }
        };
    }

    /// <summary>
    /// Every dense layer's block: <paramref name="lanczosSteps"/> Lanczos steps (capped at the block size) for the extreme eigenvalues,
    /// <paramref name="traceSamples"/> Rademacher probes for the trace.
    /// </summary>
    public static IReadOnlyList<BlockCurvature> Of(HessianVectorProduct h, int lanczosSteps, int traceSamples, Rng rng)
    {
        if (lanczosSteps < 1) throw new ArgumentOutOfRangeException(nameof(lanczosSteps), lanczosSteps, "HessianBlocks: Lanczos steps must be >= 1.");
        if (traceSamples < 1) throw new ArgumentOutOfRangeException(nameof(traceSamples), traceSamples, "HessianBlocks: trace samples must be >= 1.");
        var result = new List<BlockCurvature>();
        foreach (var block in h.Blocks)
        {
            var op = Restrict(h, block);
            int size = block.Size;
            var v = new double[size];
            var w = new double[size];
            StochasticLanczosQuadrature.Rademacher(v, rng);
            var t = Lanczos.Run(op, size, v, lanczosSteps);
            var (ritz, residuals) = GaussQuadrature.Ritz(t);
            var samples = new double[traceSamples];
            for (int s = 0; s < traceSamples; s++)
            {
                StochasticLanczosQuadrature.Rademacher(v, rng);
                op(v, w);
                samples[s] = TensorPrimitives.Dot<double>(v, w);
            }
            result.Add(new BlockCurvature(block, ritz[^1], ritz[0], residuals[^1], StochasticHessian.Summarize(samples), t.Steps));
        }
        return result;
    }
}
