using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Losses;
using Gradscope.Training;

/// <summary>
/// The regularized gradient grad L_S(W) + lambda W of the objective that GD/SGD with weight decay lambda
/// follows (THEORY.md section 4), L_S the mean loss over the samples S. Its full-batch norm
/// ||grad L(W) + lambda W|| says how stationary the full-batch dynamics is at W; its minibatch norms
/// ||grad L_{S_j}(W) + lambda W|| over a partition S_1..S_m of the training set are the sizes of the SGD steps
/// (divided by eta) taken from W (paper 4: with lambda &gt; 0 they cannot all vanish where the full-batch one does).
/// Every evaluation runs a forward and backward pass and overwrites the model's FlatGrad.
/// </summary>
public static class RegularizedGradient
{
    /// <summary>||grad L_S(W) + lambda W||_2 over all parameters, S = <paramref name="samples"/> (all samples when empty).</summary>
    /// <exception cref="ArgumentException"><paramref name="lambda"/> is negative or not finite.</exception>
    public static double Norm<T>(Objective<T> objective, ReadOnlySpan<int> samples, double lambda) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(lambda >= 0) || !double.IsFinite(lambda)) throw new ArgumentException($"RegularizedGradient: lambda must be finite and >= 0, got {lambda}.");
        objective.Evaluate(samples, LossOutput.Value);
        var w = objective.Model.Flat;
        var g = objective.Model.FlatGrad;
        double s = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double v = double.CreateChecked(g[i]) + lambda * double.CreateChecked(w[i]);
            s += v * v;
        }
        return Math.Sqrt(s);
    }

    /// <summary>
    /// ||grad L_{S_j}(W) + lambda W|| for the consecutive batches S_j of <paramref name="order"/> of size
    /// <paramref name="batchSize"/> (the last one shorter when the size does not divide the length), in order.
    /// </summary>
    /// <exception cref="ArgumentException">The batch size is &lt; 1, the order is empty, or lambda is invalid.</exception>
    public static double[] BatchNorms<T>(Objective<T> objective, ReadOnlySpan<int> order, int batchSize, double lambda) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (batchSize < 1) throw new ArgumentException($"RegularizedGradient: batch size must be >= 1, got {batchSize}.");
        if (order.IsEmpty) throw new ArgumentException("RegularizedGradient: the sample order is empty.");
        int m = (order.Length + batchSize - 1) / batchSize;
        var norms = new double[m];
        for (int j = 0; j < m; j++)
        {
            int start = j * batchSize;
            norms[j] = Norm(objective, order.Slice(start, Math.Min(batchSize, order.Length - start)), lambda);
        }
        return norms;
    }
}
