using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;
using Gradscope.Tensors;

/// <summary>
/// Locally connected 2-d layer (THEORY.md section 1): a convolution without weight sharing, every output
/// position has its own filter. The input shape (C, H, W) is fixed at construction, so the weight has shape
/// (P, O, K) with P = outH outW positions (row-major i outW + j) and K = C k k (patch index (c k + u) k + v):
/// W[i outW + j, o] is the filter of output channel o at position (i, j), laid out like a Conv2d filter
/// W_conv[o] flattened. Named "weight"; optional bias (O, outH, outW) named "bias" (off by default).
/// fan_in = K, as for the convolution it generalizes.
/// </summary>
public sealed class LocallyConnected2d<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a zero-initialized layer for inputs of per-sample shape <paramref name="inputShape"/> (C, H, W).</summary>
    /// <exception cref="ArgumentException">A size is invalid or the kernel does not fit.</exception>
    public LocallyConnected2d(int[] inputShape, int outChannels, int kernelSize, int stride = 1, int padding = 0, bool bias = false)
    {
        if (inputShape.Length != 3 || outChannels <= 0)
            throw new ArgumentException($"LocallyConnected2d: input shape {Tensor<T>.ShapeString(inputShape)} must be (C, H, W) and out channels ({outChannels}) positive.");
        Geometry = new ConvGeometry(inputShape[0], inputShape[1], inputShape[2], kernelSize, kernelSize, stride, padding);
        Geometry.Validate("LocallyConnected2d");
        InputShape = (int[])inputShape.Clone();
        OutChannels = outChannels; KernelSize = kernelSize; Stride = stride; Padding = padding;
        Weight = new Parameter<T>("weight", Geometry.Positions, outChannels, Geometry.PatchLength);
        Bias = bias ? new Parameter<T>("bias", outChannels, Geometry.OutH, Geometry.OutW) : null;
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <summary>The per-sample input shape (C, H, W) the layer was built for.</summary>
    public int[] InputShape { get; }
    /// <summary>The window geometry.</summary>
    public ConvGeometry Geometry { get; }
    /// <summary>Output channels O.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel size k.</summary>
    public int KernelSize { get; }
    /// <summary>Stride s.</summary>
    public int Stride { get; }
    /// <summary>Zero padding p.</summary>
    public int Padding { get; }
    /// <summary>W, shape (P, O, C k k).</summary>
    public Parameter<T> Weight { get; }
    /// <summary>b, shape (O, outH, outW), or null.</summary>
    public Parameter<T>? Bias { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter<T>> Parameters { get; }
    /// <inheritdoc/>
    public override string Kind => "locally_connected2d";
    /// <inheritdoc/>
    public override bool IsHomogeneous => Bias is null;
    /// <inheritdoc/>
    public override int FanIn => Geometry.PatchLength;

    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape)
    {
        if (!inputShape.AsSpan().SequenceEqual(InputShape))
            throw new ArgumentException($"LocallyConnected2d: input shape {Tensor<T>.ShapeString(inputShape)}, the layer was built for {Tensor<T>.ShapeString(InputShape)}.");
        return [OutChannels, Geometry.OutH, Geometry.OutW];
    }

    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training)
        => tape.LocallyConnected2d(x, tape.Param(Weight), Bias is null ? null : tape.Param(Bias), KernelSize, KernelSize, Stride, Padding);

    /// <summary>
    /// The dense-equivalent matrix (O outH outW, C H W) of the linear part (bias excluded), as for
    /// <see cref="Conv2d{T}.DenseEquivalent"/> but with the filter of each position:
    /// M[(o, i, j), (c, i s - p + u, j s - p + v)] = W[i outW + j, o, (c k + u) k + v].
    /// </summary>
    /// <exception cref="ArgumentException">The shape differs from the one the layer was built for.</exception>
    public Tensor<double> DenseEquivalent(int[] inputShape)
    {
        OutputShape(inputShape);
        int k = KernelSize, K = Geometry.PatchLength, O = OutChannels;
        var w = Weight.Value;
        return ConvToeplitz.Build(Geometry, O, (pos, o, c, u, v) => double.CreateChecked(w[(pos * O + o) * K + (c * k + u) * k + v]));
    }
}
