using System.Numerics;

namespace Gradscope.Training;

using Gradscope.Nn;

/// <summary>Where one weight matrix W_k sits in <see cref="Sequential{T}.Flat"/>: offset, rows (output units) and row length.</summary>
public readonly record struct WeightSegment(int Offset, int Rows, int Cols)
{
    /// <summary>Number of entries.</summary>
    public int Length => Rows * Cols;

    /// <summary>The segments of every weight parameter ("weight") of <paramref name="model"/>, in order; a mask marks the other entries (biases, ...).</summary>
    public static WeightSegment[] Of<T>(Sequential<T> model, out bool[] isWeight) where T : unmanaged, IFloatingPointIeee754<T>
    {
        isWeight = new bool[model.ParameterCount];
        var list = new List<WeightSegment>();
        foreach (var np in model.Weights)
        {
            int rows = np.Parameter.Shape[0], len = np.Parameter.Length;
            list.Add(new WeightSegment(np.Offset, rows, len / rows));
            isWeight.AsSpan(np.Offset, len).Fill(true);
        }
        return list.ToArray();
    }
}
