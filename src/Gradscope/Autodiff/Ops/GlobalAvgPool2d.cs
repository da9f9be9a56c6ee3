using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

public static partial class Ops
{
    /// <summary>Global average pooling (B, C, H, W) -> (B, C): y[n, c] = mean_{i,j} x[n, c, i, j]; composed as a view (B, C, HW) and a mean over the last axis.</summary>
    /// <exception cref="ArgumentException">x is not (B, C, H, W).</exception>
    public static Node<T> GlobalAvgPool2d<T>(this Tape<T> tape, Node<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = x.Value.Shape;
        if (s.Length != 4) throw new ArgumentException($"GlobalAvgPool2d: input {Tensor<T>.ShapeString(s)}, expected (B, C, H, W).");
        return tape.Mean(tape.Reshape(x, s[0], s[1], s[2] * s[3]), axis: -1);
    }
}
