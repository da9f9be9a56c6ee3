using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;

/// <summary>Flattens (B, ...) to (B, prod(...)) for <see cref="ModelSpec"/>'s <c>flatten</c> layer (no parameters, homogeneous).</summary>
internal sealed class SpecFlatten<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override string Kind => "flatten";
    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape) => [inputShape.Aggregate(1, (a, b) => checked(a * b))];
    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training)
        => x.Value.Rank == 2 ? x : tape.Reshape(x, x.Value.Shape[0], x.Value.Length / Math.Max(1, x.Value.Shape[0]));
}
