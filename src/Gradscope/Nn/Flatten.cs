using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;

/// <summary>Flatten: (...) -> (prod ...), a view.</summary>
public sealed class Flatten<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override string Kind => "flatten";

    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape) => [inputShape.Aggregate(1, (a, b) => a * b)];

    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training) => tape.Flatten(x);
}
