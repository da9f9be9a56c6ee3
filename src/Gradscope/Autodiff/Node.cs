using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// One value on a <see cref="Tape{T}"/>: its forward value, its gradient (same shape,
/// allocated once and reused), and the backward rule that pushes its gradient to its
/// inputs. Each op is a subclass whose forward (<c>Setup</c>) and <see cref="Backward"/>
/// stand side by side.
/// </summary>
public abstract class Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The forward value.</summary>
    public Tensor<T> Value { get; protected internal set; } = null!;

    /// <summary>d(output)/d(this value), filled by <see cref="Tape{T}.Backward"/>; null when no gradient flows here.</summary>
    public Tensor<T>? Grad { get; protected internal set; }

    /// <summary>Whether a gradient must flow to this node.</summary>
    public bool RequiresGrad { get; protected internal set; }

    /// <summary>Adds this node's contribution to its inputs' gradients, given <see cref="Grad"/>.</summary>
    protected internal abstract void Backward();

    /// <summary>Reuses <see cref="Value"/> when its shape matches, else allocates a new one.</summary>
    protected Tensor<T> EnsureValue(params ReadOnlySpan<int> shape)
    {
        if (Value is null || !Value.HasShape(shape)) Value = new Tensor<T>(shape.ToArray());
        return Value;
    }

    /// <summary>Allocates (or reuses) and zeroes the gradient buffer. Parameter leaves override this to accumulate.</summary>
    protected internal virtual void PrepareGrad()
    {
        if (Grad is null || !Grad.HasShape(Value.Shape)) Grad = new Tensor<T>(Value.Shape);
        else Grad.Span.Clear();
    }
}

/// <summary>A leaf holding a tensor (input data or a constant); no backward rule.</summary>
public sealed class LeafNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal void Setup(Tensor<T> value, bool requiresGrad)
    {
        Value = value;
        RequiresGrad = requiresGrad;
    }

    /// <inheritdoc/>
    protected internal override void Backward() { }
}

/// <summary>A leaf for a <see cref="Parameter{T}"/>: its gradient is the parameter's own gradient buffer, which accumulates.</summary>
public sealed class ParameterNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal void Setup(Parameter<T> p)
    {
        Value = p.Value;
        Grad = p.Grad;
        RequiresGrad = p.RequiresGrad;
    }

    // NOTE: parameter gradients accumulate across backward passes; callers zero them (Model.ZeroGrad).
    /// <inheritdoc/>
    protected internal override void PrepareGrad() { }

    /// <inheritdoc/>
    protected internal override void Backward() { }
}
