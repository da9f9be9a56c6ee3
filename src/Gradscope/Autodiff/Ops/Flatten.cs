using System.Numerics;

namespace Gradscope.Autodiff;

public static partial class Ops
{
    /// <summary>Flattens (B, ...) to (B, prod ...) without copying.</summary>
    public static Node<T> Flatten<T>(this Tape<T> tape, Node<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = x.Value.Rank == 0 ? 1 : x.Value.Shape[0];
        return tape.Reshape(x, b, b == 0 ? 0 : x.Value.Length / b);
    }
}
