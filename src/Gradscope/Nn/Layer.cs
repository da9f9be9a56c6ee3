using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;

/// <summary>
/// One layer of a <see cref="Sequential{T}"/>. Shapes are per sample (the batch dimension
/// is added in front): a dense layer maps (in) to (out), a conv layer (C, H, W) to (C', H', W').
/// </summary>
public abstract class Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The layer's trainable parameters, in state_dict order ("weight" before "bias").</summary>
    public virtual IReadOnlyList<Parameter<T>> Parameters => Array.Empty<Parameter<T>>();

    /// <summary>Short type name used in model descriptions ("dense", "relu", "conv2d", ...).</summary>
    public abstract string Kind { get; }

    /// <summary>Whether the layer is positively homogeneous in its input and weights (false for biases and batch norm).</summary>
    public virtual bool IsHomogeneous => true;

    /// <summary>Whether the layer is an activation (has no weights and is applied elementwise).</summary>
    public virtual bool IsActivation => false;

    /// <summary>The per-sample output shape for a per-sample input shape; throws naming the layer when they do not fit.</summary>
    public abstract int[] OutputShape(int[] inputShape);

    /// <summary>Records the layer's forward pass on the tape; x has shape (B, ...inputShape).</summary>
    public abstract Node<T> Forward(Tape<T> tape, Node<T> x, bool training);
}
