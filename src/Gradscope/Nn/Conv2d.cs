using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;
using Gradscope.Tensors;

/// <summary>
/// 2-d convolution layer as PyTorch's nn.Conv2d: (C, H, W) -> (O, outH, outW) with square kernel k,
/// stride s and zero padding p; weight (O, C, k, k) named "weight", optional bias (O) named "bias"
/// (off by default: without it the layer is positively homogeneous, THEORY.md section 1).
/// </summary>
public sealed class Conv2d<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a zero-initialized convolution (initialize with <see cref="Init"/>).</summary>
    /// <exception cref="ArgumentException">A size is not positive or the padding is negative.</exception>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, bool bias = false)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || padding < 0)
            throw new ArgumentException($"Conv2d: invalid sizes in={inChannels}, out={outChannels}, kernel={kernelSize}, stride={stride}, padding={padding}.");
        InChannels = inChannels; OutChannels = outChannels; KernelSize = kernelSize; Stride = stride; Padding = padding;
        Weight = new Parameter<T>("weight", outChannels, inChannels, kernelSize, kernelSize);
        Bias = bias ? new Parameter<T>("bias", outChannels) : null;
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <summary>Input channels C.</summary>
    public int InChannels { get; }
    /// <summary>Output channels O.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel size k (k x k).</summary>
    public int KernelSize { get; }
    /// <summary>Stride s.</summary>
    public int Stride { get; }
    /// <summary>Zero padding p on every side.</summary>
    public int Padding { get; }
    /// <summary>W, shape (O, C, k, k).</summary>
    public Parameter<T> Weight { get; }
    /// <summary>b, shape (O), or null.</summary>
    public Parameter<T>? Bias { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter<T>> Parameters { get; }
    /// <inheritdoc/>
    public override string Kind => "conv2d";
    /// <inheritdoc/>
    public override bool IsHomogeneous => Bias is null;

    /// <summary>The window geometry on a per-sample input of shape (C, H, W).</summary>
    /// <exception cref="ArgumentException">The shape is not (C, H, W) with C = <see cref="InChannels"/>, or the kernel does not fit.</exception>
    public ConvGeometry Geometry(int[] inputShape)
    {
        if (inputShape.Length != 3 || inputShape[0] != InChannels)
            throw new ArgumentException($"Conv2d({InChannels} -> {OutChannels}): input shape {Tensor<T>.ShapeString(inputShape)}, expected ({InChannels}, H, W).");
        var g = new ConvGeometry(InChannels, inputShape[1], inputShape[2], KernelSize, KernelSize, Stride, Padding);
        g.Validate($"Conv2d({InChannels} -> {OutChannels})");
        return g;
    }

    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape)
    {
        var g = Geometry(inputShape);
        return [OutChannels, g.OutH, g.OutW];
    }

    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training)
        => tape.Conv2d(x, tape.Param(Weight), Bias is null ? null : tape.Param(Bias), Stride, Padding);

    /// <summary>
    /// The dense-equivalent (Toeplitz) matrix M of the linear part (bias excluded) on inputs of shape (C, H, W):
    /// M has shape (O outH outW, C H W), with y.flatten() = M x.flatten() for the flattened row-major sample, i.e.
    /// M[(o, i, j), (c, i s - p + u, j s - p + v)] = W[o, c, u, v]; taps that fall in the padding are dropped.
    /// </summary>
    public Tensor<double> DenseEquivalent(int[] inputShape)
    {
        var g = Geometry(inputShape);
        int k = KernelSize;
        var w = Weight.Value;
        return ConvToeplitz.Build(g, OutChannels, (pos, o, c, u, v) => double.CreateChecked(w[((o * InChannels + c) * k + u) * k + v]));
    }
}

/// <summary>Builds the dense-equivalent matrix of a convolution-like layer from a tap function.</summary>
internal static class ConvToeplitz
{
    /// <summary>tap(position, o, c, u, v) is the weight of input (c, i s - p + u, j s - p + v) in output (o, i, j), position = i outW + j.</summary>
    public static Tensor<double> Build(ConvGeometry g, int outChannels, Func<int, int, int, int, int, double> tap)
    {
        int P = g.Positions, ow = g.OutW;
        var m = new Tensor<double>(outChannels * P, g.InputLength);
        var ms = m.Span;
        for (int o = 0; o < outChannels; o++)
            for (int pos = 0; pos < P; pos++)
            {
                int i = pos / ow, j = pos % ow;
                var row = ms.Slice((o * P + pos) * g.InputLength, g.InputLength);
                for (int c = 0; c < g.Channels; c++)
                    for (int u = 0; u < g.KernelH; u++)
                    {
                        int hi = i * g.Stride - g.Padding + u;
                        if (hi < 0 || hi >= g.Height) continue;
                        for (int v = 0; v < g.KernelW; v++)
                        {
                            int wi = j * g.Stride - g.Padding + v;
                            if (wi < 0 || wi >= g.Width) continue;
                            row[(c * g.Height + hi) * g.Width + wi] += tap(pos, o, c, u, v);
                        }
                    }
            }
        return m;
    }
}
