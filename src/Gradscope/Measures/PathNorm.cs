using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Nn;

/// <summary>
/// Path norm (THEORY.md section 5): sqrt of the sum over input-output paths of the product of the
/// squared weights on the path. For a bias-free dense net with ReLU/identity activations this is
/// || |W_L|^2 ... |W_1|^2 1 ||_1^(1/2) (|W|^2 elementwise), computed by propagating a vector of ones.
/// </summary>
public static class PathNorm
{
    /// <summary>The path norm of a bias-free dense net; throws NotSupportedException for other layers or biases.</summary>
    public static double Of<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var l in model.Layers)
            if (l is not (Dense<T> or Relu<T> or Identity<T>) || !l.IsHomogeneous)
                throw new NotSupportedException($"PathNorm: defined here for bias-free dense nets with relu/identity activations; found layer '{l.Kind}'{(l.IsHomogeneous ? "" : " with bias")}.");
        return OfChain(WeightMatrix.Of(model));
    }

    /// <summary>sqrt(1^T |W_L|^2 ... |W_1|^2 1) for a chain of matrices (W_{k+1} has as many columns as W_k rows).</summary>
    public static double OfChain(IReadOnlyList<WeightMatrix> weights)
    {
        var v = Enumerable.Repeat(1.0, weights[0].Cols).ToArray();
        foreach (var w in weights)
        {
            if (w.Cols != v.Length) throw new ArgumentException($"PathNorm: {w.Name} has {w.Cols} columns, the previous layer has {v.Length} outputs.");
            var next = new double[w.Rows];
            for (int r = 0; r < w.Rows; r++)
            {
                var row = w.Row(r);
                double s = 0;
                for (int j = 0; j < row.Length; j++) s += row[j] * row[j] * v[j];
                next[r] = s;
            }
            v = next;
        }
        return Math.Sqrt(v.Sum());
    }
}
