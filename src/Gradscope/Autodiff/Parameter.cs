using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>A trainable tensor with its gradient buffer (same shape). A model rebinds both into one flat vector.</summary>
public sealed class Parameter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a zero parameter of the given shape.</summary>
    public Parameter(string name, params int[] shape)
    {
        Name = name;
        Value = new Tensor<T>(shape);
        Grad = new Tensor<T>(shape);
    }

    /// <summary>Local name inside its layer ("weight", "bias").</summary>
    public string Name { get; }
    /// <summary>The value.</summary>
    public Tensor<T> Value { get; }
    /// <summary>The accumulated gradient.</summary>
    public Tensor<T> Grad { get; }
    /// <summary>Whether gradients are computed for it (default true).</summary>
    public bool RequiresGrad { get; set; } = true;
    /// <summary>The shape.</summary>
    public int[] Shape => Value.Shape;
    /// <summary>Number of elements.</summary>
    public int Length => Value.Length;
}
