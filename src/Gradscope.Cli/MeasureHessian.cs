using System.Numerics.Tensors;
using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Cli;

/// <summary>
/// <c>measure --hessian exact|stochastic</c> on the measured training samples (all, or --max-samples; THEORY.md section 5): the loss L and ||grad L|| at the
/// weights; exact: the full Hessian from P exact Hessian-vector products (trace, ||H||_F, every eigenvalue, the bottom ones
/// as keys, the spectrum and matrix as .npy); stochastic: Hutchinson's trace and E||Hv||^2 = ||H||_F^2 with standard errors.
/// </summary>
internal static class MeasureHessian
{
    /// <summary>How many of the smallest eigenvalues the exact mode reports as keys (hessian.bottom.j).</summary>
    public const int Bottom = 5;

    /// <summary>Adds the Hessian keys to <paramref name="values"/> and the arrays to <paramref name="arrays"/>; reasons to <paramref name="omitted"/>.</summary>
    public static void Add(string mode, Sequential<double> net, Dataset train, LossKind loss, double targetScale, int samples, ulong seed,
        Dictionary<string, double> values, Dictionary<string, string> omitted, Dictionary<string, (int[] Shape, double[] Data)> arrays)
    {
        var objective = new Objective<double>(net, train, loss, targetScale);
        var at = objective.Evaluate(ReadOnlySpan<int>.Empty, LossOutput.Value, gradient: true, training: false);
        values["hessian.loss"] = at.L;
        values["hessian.gradient_norm"] = TensorPrimitives.Norm<double>(net.FlatGrad);
        HessianVectorProduct h;
        try { h = HessianVectorProduct.Create(net, train, loss, targetScale); }
        catch (NotSupportedException ex) { omitted["hessian.*"] = ex.Message + " (the loss and gradient norm are reported)"; return; }
        if (mode == "exact")
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
        else
        {
            var (trace, fro2) = StochasticHessian.Of(h, samples, new Rng(seed ^ 0x4E55u));
            values["hessian.trace"] = trace.Mean;
            values["hessian.trace_stderr"] = trace.StandardError;
            values["hessian.frobenius_squared"] = fro2.Mean;
            values["hessian.frobenius_squared_stderr"] = fro2.StandardError;
            values["hessian.frobenius"] = Math.Sqrt(Math.Max(0, fro2.Mean));
            values["hessian.samples"] = samples;
        }
    }
}
