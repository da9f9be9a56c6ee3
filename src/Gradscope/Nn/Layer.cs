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

    /// <summary>
    /// Whether the training forward pass is random (dropout with p &gt; 0): training is then not plain gradient descent on
    /// one fixed network, which claims on homogeneous nets under GD refuse (Claims.Homogeneity).
    /// </summary>
    public virtual bool IsStochastic => false;

    /// <summary>Whether the layer is an activation (has no weights and is applied elementwise).</summary>
    public virtual bool IsActivation => false;

    /// <summary>
    /// Non-trainable state carried by a state_dict (batch norm's "running_mean", "running_var"); not part of
    /// the flat parameter vector and never given gradients.
    /// </summary>
    public virtual IReadOnlyList<Parameter<T>> Buffers => Array.Empty<Parameter<T>>();

    /// <summary>
    /// Whether the layer normalizes activations (batch norm): its "weight" is a per-channel scale, not a
    /// weight matrix W_k, so it is left out of <see cref="Sequential{T}.Weights"/> and initialized to 1.
    /// </summary>
    public virtual bool IsNormalization => false;

    /// <summary>
    /// fan_in: the number of inputs of one output unit (in for dense, C kh kw for conv and locally
    /// connected layers); used by He/LeCun/PyTorch-default init. Default: weight elements / weight rows.
    /// </summary>
    public virtual int FanIn
    {
        get
        {
            foreach (var p in Parameters)
                if (p.Name == "weight") return p.Shape.Length > 1 ? Math.Max(1, p.Length / p.Shape[0]) : 1;
            return 1;
        }
    }

    /// <summary>The per-sample output shape for a per-sample input shape; throws naming the layer when they do not fit.</summary>
    public abstract int[] OutputShape(int[] inputShape);

    /// <summary>Records the layer's forward pass on the tape; x has shape (B, ...inputShape).</summary>
    public abstract Node<T> Forward(Tape<T> tape, Node<T> x, bool training);
}
