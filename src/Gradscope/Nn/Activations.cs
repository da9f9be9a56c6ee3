using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;

/// <summary>ReLU s(u) = max(u, 0) (derivative 0 at 0).</summary>
public sealed class Relu<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override string Kind => "relu";
    /// <inheritdoc/>
    public override bool IsActivation => true;
    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape) => inputShape;
    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training) => tape.Relu(x);
}

/// <summary>The identity activation: deep linear networks use it in place of ReLU.</summary>
public sealed class Identity<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override string Kind => "identity";
    /// <inheritdoc/>
    public override bool IsActivation => true;
    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape) => inputShape;
    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training) => x;
}
