using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;
using Gradscope.Tensors;

/// <summary>Average pooling (C, H, W) -> (C, outH, outW), k x k window, stride (default k), zero padding counted in the mean (PyTorch's nn.AvgPool2d defaults).</summary>
public sealed class AvgPool2d<T>(int kernelSize, int? stride = null, int padding = 0) : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Kernel size k.</summary>
    public int KernelSize { get; } = kernelSize;
    /// <summary>Stride s.</summary>
    public int Stride { get; } = stride ?? kernelSize;
    /// <summary>Zero padding p.</summary>
    public int Padding { get; } = padding;
    /// <inheritdoc/>
    public override string Kind => "avgpool2d";

    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape)
    {
        if (inputShape.Length != 3) throw new ArgumentException($"AvgPool2d: input shape {Tensor<T>.ShapeString(inputShape)}, expected (C, H, W).");
        var g = new ConvGeometry(inputShape[0], inputShape[1], inputShape[2], KernelSize, KernelSize, Stride, Padding);
        g.Validate("AvgPool2d");
        return [inputShape[0], g.OutH, g.OutW];
    }

    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training) => tape.AvgPool2d(x, KernelSize, Stride, Padding);
}

/// <summary>Max pooling (C, H, W) -> (C, outH, outW), k x k window, stride (default k), implicit -inf padding (PyTorch's nn.MaxPool2d defaults). Positively homogeneous.</summary>
public sealed class MaxPool2d<T>(int kernelSize, int? stride = null, int padding = 0) : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Kernel size k.</summary>
    public int KernelSize { get; } = kernelSize;
    /// <summary>Stride s.</summary>
    public int Stride { get; } = stride ?? kernelSize;
    /// <summary>Padding p (never chosen as the maximum).</summary>
    public int Padding { get; } = padding;
    /// <inheritdoc/>
    public override string Kind => "maxpool2d";

    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape)
    {
        if (inputShape.Length != 3) throw new ArgumentException($"MaxPool2d: input shape {Tensor<T>.ShapeString(inputShape)}, expected (C, H, W).");
        var g = new ConvGeometry(inputShape[0], inputShape[1], inputShape[2], KernelSize, KernelSize, Stride, Padding);
        g.Validate("MaxPool2d");
        if (2 * Padding > KernelSize) throw new ArgumentException($"MaxPool2d: padding {Padding} exceeds half the kernel {KernelSize}.");
        return [inputShape[0], g.OutH, g.OutW];
    }

    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training) => tape.MaxPool2d(x, KernelSize, Stride, Padding);
}

/// <summary>Global average pooling (C, H, W) -> (C): the mean of each channel.</summary>
public sealed class GlobalAvgPool2d<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override string Kind => "global_avgpool2d";

    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape)
    {
        if (inputShape.Length != 3) throw new ArgumentException($"GlobalAvgPool2d: input shape {Tensor<T>.ShapeString(inputShape)}, expected (C, H, W).");
        return [inputShape[0]];
    }

    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training) => tape.GlobalAvgPool2d(x);
}
