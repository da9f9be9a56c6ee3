using System.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Measures;

using Gradscope.Nn;

/// <summary>
/// One weight parameter W_k of a model as a float64 matrix of shape (out, rest): a dense
/// layer's (out, in) weight as is, a conv kernel (out, in, kh, kw) reshaped to (out, in*kh*kw).
/// Norms and ranks of THEORY.md section 5 are computed on this matrix.
/// </summary>
public sealed class WeightMatrix
{
    /// <summary>Wraps row-major data of shape (rows, cols).</summary>
    public WeightMatrix(string name, int layerIndex, int rows, int cols, double[] data)
    {
        if (rows <= 0 || cols <= 0 || data.Length != (long)rows * cols)
            throw new ArgumentException($"WeightMatrix '{name}': {data.Length} values do not make a ({rows}, {cols}) matrix.");
        Name = name; LayerIndex = layerIndex; Rows = rows; Cols = cols; Data = data;
    }

    /// <summary>state_dict name of the parameter ("0.weight").</summary>
    public string Name { get; }
    /// <summary>Index of the owning layer in the Sequential.</summary>
    public int LayerIndex { get; }
    /// <summary>Output units (first dimension of the parameter).</summary>
    public int Rows { get; }
    /// <summary>Product of the remaining dimensions.</summary>
    public int Cols { get; }
    /// <summary>Row-major values.</summary>
    public double[] Data { get; }

    /// <summary>Row r of the matrix.</summary>
    public ReadOnlySpan<double> Row(int r) => Data.AsSpan(r * Cols, Cols);

    /// <summary>The matrix as a MathNet dense matrix (for SVD and eigen decompositions).</summary>
    public Matrix<double> ToMathNet()
    {
        int cols = Cols;
        var d = Data;
        return Matrix<double>.Build.Dense(Rows, Cols, (i, j) => d[i * cols + j]);
    }

    /// <summary>The weights W_1..W_L of <paramref name="model"/> (every parameter named "weight"), each reshaped to (out, rest).</summary>
    public static IReadOnlyList<WeightMatrix> Of<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var list = new List<WeightMatrix>();
        foreach (var np in model.Weights)
        {
            var v = np.Value;
            int rows = v.Shape[0], cols = v.Length / Math.Max(1, rows);
            var data = new double[v.Length];
            System.Numerics.Tensors.TensorPrimitives.ConvertChecked<T, double>(v.Span, data);
            list.Add(new WeightMatrix(np.Name, np.LayerIndex, rows, cols, data));
        }
        if (list.Count == 0) throw new ArgumentException("Measures: the model has no weight parameters.");
        return list;
    }
}
