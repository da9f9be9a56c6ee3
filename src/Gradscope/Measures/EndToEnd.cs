using System.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Measures;

using Gradscope.Nn;

/// <summary>
/// The end-to-end matrix W_L ... W_1 of a deep linear network (THEORY.md section 1; 1 x d for a
/// binary net) and its angle to a given direction, e.g. the hard-margin SVM direction
/// ("distance to max margin", THEORY.md section 5).
/// </summary>
public static class EndToEnd
{
    /// <summary>W_L ... W_1 (C x d); throws if the model has an activation other than identity or has biases.</summary>
    public static Matrix<double> Matrix<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var l in model.Layers)
            if (l is not (Dense<T> or Identity<T>) || !l.IsHomogeneous)
                throw new ArgumentException($"EndToEnd: needs a deep linear net (dense layers without bias and identity activations); found layer '{l.Kind}'{(l.IsHomogeneous ? "" : " with bias")}.");
        var ws = WeightMatrix.Of(model);
        var p = ws[0].ToMathNet();
        for (int k = 1; k < ws.Count; k++) p = ws[k].ToMathNet() * p;
        return p;
    }

    /// <summary>The end-to-end vector w (d) of a binary deep linear net.</summary>
    public static double[] Vector<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = Matrix(model);
        if (m.RowCount != 1) throw new ArgumentException($"EndToEnd.Vector: the net has {m.RowCount} outputs, expected 1.");
        return m.Row(0).ToArray();
    }

    /// <summary>Angle in radians, arccos(&lt;w, u&gt; / (|w| |u|)) in [0, pi], between <paramref name="w"/> and <paramref name="direction"/>.</summary>
    public static double Angle(ReadOnlySpan<double> w, ReadOnlySpan<double> direction)
    {
        if (w.Length != direction.Length) throw new ArgumentException($"EndToEnd.Angle: vector of length {w.Length} vs direction of length {direction.Length}.");
        double angle = AngleOrNaN(w, direction, out bool zero);
        return zero ? throw new ArgumentException("EndToEnd.Angle: zero vector.") : angle;
    }

    /// <summary>
    /// The angle in radians between two vectors of equal length, arccos(&lt;u, v&gt; / (|u| |v|)) clamped to [0, pi]; NaN when
    /// either is zero (<paramref name="zero"/> then true). The one angle computation (the registry's distance_to_max_margin and
    /// the claims' angles).
    /// </summary>
    public static double AngleOrNaN(ReadOnlySpan<double> u, ReadOnlySpan<double> v, out bool zero)
    {
        if (u.Length != v.Length) throw new ArgumentException($"Angle: vectors of length {u.Length} and {v.Length}.");
        double dot = 0, a = 0, b = 0;
        for (int i = 0; i < u.Length; i++) { dot += u[i] * v[i]; a += u[i] * u[i]; b += v[i] * v[i]; }
        zero = a == 0 || b == 0;
        return zero ? double.NaN : Math.Acos(Math.Clamp(dot / Math.Sqrt(a * b), -1, 1));
    }
}
