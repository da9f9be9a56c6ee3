using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;
using Gradscope.Tensors;

/// <summary>
/// Batch normalization as PyTorch's nn.BatchNorm1d (per-sample shape (C)) and nn.BatchNorm2d ((C, H, W)):
/// y = weight_c (x - mu_c) / sqrt(var_c + eps) + bias_c, eps = 1e-5. Training uses batch statistics and
/// updates "running_mean" / "running_var" (momentum 0.1, unbiased variance); evaluation uses them.
/// The running statistics are <see cref="Layer{T}.Buffers"/>, not trainable parameters. Not homogeneous.
/// </summary>
public sealed class BatchNorm<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer with weight 1, bias 0, running mean 0 and running variance 1 (PyTorch's initial state).</summary>
    /// <exception cref="ArgumentException">features is not positive.</exception>
    public BatchNorm(int features, double momentum = 0.1, double eps = 1e-5)
    {
        if (features <= 0) throw new ArgumentException($"BatchNorm: features must be positive, got {features}.");
        Features = features; Momentum = momentum; Eps = eps;
        Weight = new Parameter<T>("weight", features);
        Bias = new Parameter<T>("bias", features);
        RunningMean = new Parameter<T>("running_mean", features) { RequiresGrad = false };
        RunningVar = new Parameter<T>("running_var", features) { RequiresGrad = false };
        Weight.Value.Span.Fill(T.One);
        RunningVar.Value.Span.Fill(T.One);
        Parameters = [Weight, Bias];
        Buffers = [RunningMean, RunningVar];
    }

    /// <summary>Channels C.</summary>
    public int Features { get; }
    /// <summary>Running-statistics momentum m.</summary>
    public double Momentum { get; }
    /// <summary>eps added to the variance.</summary>
    public double Eps { get; }
    /// <summary>Per-channel scale gamma, shape (C), named "weight".</summary>
    public Parameter<T> Weight { get; }
    /// <summary>Per-channel shift beta, shape (C), named "bias".</summary>
    public Parameter<T> Bias { get; }
    /// <summary>Running mean, shape (C), named "running_mean".</summary>
    public Parameter<T> RunningMean { get; }
    /// <summary>Running (unbiased) variance, shape (C), named "running_var".</summary>
    public Parameter<T> RunningVar { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter<T>> Parameters { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter<T>> Buffers { get; }
    /// <inheritdoc/>
    public override string Kind => "batchnorm";
    /// <inheritdoc/>
    public override bool IsHomogeneous => false;
    /// <inheritdoc/>
    public override bool IsNormalization => true;

    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape)
    {
        if ((inputShape.Length != 1 && inputShape.Length != 3) || inputShape[0] != Features)
            throw new ArgumentException($"BatchNorm({Features}): input shape {Tensor<T>.ShapeString(inputShape)}, expected ({Features}) or ({Features}, H, W).");
        return inputShape;
    }

    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training)
        => tape.BatchNorm(x, tape.Param(Weight), tape.Param(Bias), RunningMean.Value, RunningVar.Value, training, Momentum, Eps);
}
