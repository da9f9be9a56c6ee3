using System.Globalization;
using System.Numerics.Tensors;
using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Cli;

/// <summary>What <c>measure</c> was asked to compute of the Hessian.</summary>
/// <param name="Mode">--hessian: "exact", "stochastic", "slq" or null.</param>
/// <param name="Samples">Rademacher probes of the stochastic trace estimates (--hutchinson S, default 100).</param>
/// <param name="SlqProbes">--slq-probes: probes of the SLQ density.</param>
/// <param name="SlqSteps">--slq-steps: Lanczos steps per SLQ probe, and per layer block.</param>
/// <param name="Blocks">--hessian-blocks: per-layer diagonal blocks.</param>
internal sealed record HessianRequest(string? Mode, int Samples, int SlqProbes, int SlqSteps, bool Blocks)
{
    /// <summary>Whether anything of the Hessian was asked for (beyond the suite's --hessian-top).</summary>
    public bool Any => Mode is not null || Blocks;

    /// <summary>Throws ArgumentException naming the option when a count is out of range.</summary>
    public void Check()
    {
        if (SlqProbes < 1) throw new ArgumentException($"--slq-probes must be >= 1, got {SlqProbes}.");
        if (SlqSteps < 1) throw new ArgumentException($"--slq-steps must be >= 1, got {SlqSteps}.");
    }
}

/// <summary>
/// <c>measure --hessian exact|stochastic|slq [--hessian-blocks]</c> on the measured training samples (all, or --max-samples; THEORY.md section 5):
/// the loss L and ||grad L|| at the weights; exact: the full Hessian from P exact Hessian-vector products (trace, ||H||_F, every eigenvalue,
/// the bottom ones as keys, the spectrum and matrix as .npy); stochastic: Hutchinson's trace and E||Hv||^2 = ||H||_F^2 with standard
/// errors; slq: the spectral density by stochastic Lanczos quadrature (nodes and weights, and the smoothed density on a grid, as .npy);
/// blocks: each dense layer's diagonal block H_bb, its extreme eigenvalues (Lanczos) and trace (Hutchinson).
/// </summary>
internal static class MeasureHessian
{
    /// <summary>How many of the smallest eigenvalues the exact mode reports as keys (hessian.bottom.j).</summary>
    public const int Bottom = 5;

    /// <summary>Points of the SLQ density grid.</summary>
    public const int GridPoints = 1000;

    /// <summary>Adds the Hessian keys to <paramref name="values"/> and the arrays to <paramref name="arrays"/>; reasons to <paramref name="omitted"/>.</summary>
    public static void Add(HessianRequest request, Sequential<double> net, Dataset train, LossKind loss, double targetScale, ulong seed,
        Dictionary<string, double> values, Dictionary<string, string> omitted, Dictionary<string, (int[] Shape, double[] Data)> arrays)
    {
        var objective = new Objective<double>(net, train, loss, targetScale);
        var at = objective.Evaluate(ReadOnlySpan<int>.Empty, LossOutput.Value, gradient: true, training: false);
        values["hessian.loss"] = at.L;
        values["hessian.gradient_norm"] = TensorPrimitives.Norm<double>(net.FlatGrad);
        HessianVectorProduct h;
        try { h = HessianVectorProduct.Create(net, train, loss, targetScale); }
        catch (NotSupportedException ex) { omitted["hessian.*"] = ex.Message + " (the loss and gradient norm are reported)"; return; }
        switch (request.Mode)
        {
            case "exact": Exact(h, values, omitted, arrays); break;
            case "stochastic":
                {
                    var (trace, fro2) = StochasticHessian.Of(h, request.Samples, new Rng(seed ^ 0x4E55u));
                    values["hessian.trace"] = trace.Mean;
                    values["hessian.trace_stderr"] = trace.StandardError;
                    values["hessian.frobenius_squared"] = fro2.Mean;
                    values["hessian.frobenius_squared_stderr"] = fro2.StandardError;
                    values["hessian.frobenius"] = Math.Sqrt(Math.Max(0, fro2.Mean));
                    values["hessian.samples"] = request.Samples;
                    break;
                }
            case "slq": Slq(h, request, seed, values, arrays); break;
        }
        if (request.Blocks) Blocks(h, request, seed, values);
    }

    private static void Exact(HessianVectorProduct h, Dictionary<string, double> values, Dictionary<string, string> omitted, Dictionary<string, (int[] Shape, double[] Data)> arrays)
    {
        ExactHessian e;
        try { e = ExactHessian.Of(h); }
        catch (ArgumentException ex) { omitted["hessian.*"] = ex.Message; return; }
        int p = e.Eigenvalues.Length;
        values["hessian.trace"] = e.Trace;
        values["hessian.frobenius"] = e.Frobenius;
        values["hessian.lambda_max"] = e.Eigenvalues[^1];
        values["hessian.lambda_min"] = e.Eigenvalues[0];
        values["hessian.negative_count"] = e.Eigenvalues.Count(x => x < 0);
        values["hessian.asymmetry"] = e.Asymmetry;
        for (int j = 0; j < Math.Min(Bottom, p); j++) values[$"hessian.bottom.{j}"] = e.Eigenvalues[j];
        arrays["hessian.eigenvalues"] = ([p], e.Eigenvalues);
        arrays["hessian.matrix"] = ([p, p], e.Matrix);
    }

    private static void Slq(HessianVectorProduct h, HessianRequest request, ulong seed, Dictionary<string, double> values, Dictionary<string, (int[] Shape, double[] Data)> arrays)
    {
        var d = StochasticLanczosQuadrature.Of(h, request.SlqProbes, request.SlqSteps, new Rng(seed ^ 0x51Cu));
        var (grid, sigma) = d.DefaultGrid(GridPoints);
        var phi = d.Density(grid, sigma);
        values["hessian.slq.probes"] = d.Probes;
        values["hessian.slq.steps"] = d.Nodes.Max(n => n.Length);
        values["hessian.slq.node_max"] = d.MaxNode;
        values["hessian.slq.node_min"] = d.MinNode;
        values["hessian.slq.sigma"] = sigma;
        for (int k = 1; k <= 4; k++)
        {
            var m = d.Moment(k);
            values[$"hessian.slq.moment.{k}"] = m.Mean;
            values[$"hessian.slq.moment.{k}_stderr"] = m.StandardError;
        }
        var m1 = d.Moment(1);
        values["hessian.trace"] = m1.Mean * h.Dimension;
        values["hessian.trace_stderr"] = m1.StandardError * h.Dimension;
        var table = d.NodeWeightTable();
        arrays["hessian.slq.quadrature"] = ([table.Length / 2, 2], table);
        var density = new double[2 * grid.Length];
        for (int i = 0; i < grid.Length; i++) { density[2 * i] = grid[i]; density[2 * i + 1] = phi[i]; }
        arrays["hessian.slq.density"] = ([grid.Length, 2], density);
    }

    private static void Blocks(HessianVectorProduct h, HessianRequest request, ulong seed, Dictionary<string, double> values)
    {
        foreach (var b in HessianBlocks.Of(h, request.SlqSteps, request.Samples, new Rng(seed ^ 0xB10Cu)))
        {
            string k = "hessian.layer." + b.Block.Step.ToString(CultureInfo.InvariantCulture) + ".";
            values[k + "size"] = b.Block.Size;
            values[k + "lambda_max"] = b.LambdaMax;
            values[k + "lambda_min"] = b.LambdaMin;
            values[k + "top"] = b.Top;
            values[k + "lambda_max_residual"] = b.LambdaMaxResidual;
            values[k + "lanczos_steps"] = b.LanczosSteps;
            values[k + "trace"] = b.Trace.Mean;
            values[k + "trace_stderr"] = b.Trace.StandardError;
        }
    }
}
