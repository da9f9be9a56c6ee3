using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;
using Gradscope.Tensors;

/// <summary>
/// Scale-only batch normalization (model kind "scale_batchnorm"): y_c = x_c / sqrt(mean_batch x_c^2 + eps) per channel,
/// with no centering and no learned scale or shift, so that with eps = 0 a bias-free ReLU net stays positively
/// homogeneous in each layer's weights: of degree 0 in the weights of a layer the normalization follows, of degree 1
/// in the others (Theory III, Banburski et al. 2019: batch normalization as an approximate weight normalization).
/// Training uses the batch statistic and updates the buffer "running_ms" (momentum m; m = 1 keeps the latest batch's
/// statistic exactly); evaluation divides by sqrt(running_ms + eps). No trainable parameters.
/// </summary>
public sealed class ScaleBatchNorm<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer with running mean square 1.</summary>
    /// <exception cref="ArgumentException">features is not positive, momentum is outside (0, 1] or eps is negative.</exception>
    public ScaleBatchNorm(int features, double momentum = 0.1, double eps = 0)
    {
        if (features <= 0) throw new ArgumentException($"ScaleBatchNorm: features must be positive, got {features}.");
        if (!(momentum > 0 && momentum <= 1)) throw new ArgumentException($"ScaleBatchNorm: momentum must lie in (0, 1], got {momentum}.");
        if (!(eps >= 0) || !double.IsFinite(eps)) throw new ArgumentException($"ScaleBatchNorm: eps must be a finite number >= 0, got {eps}.");
        Features = features; Momentum = momentum; Eps = eps;
        RunningMeanSquare = new Parameter<T>("running_ms", features) { RequiresGrad = false };
        RunningMeanSquare.Value.Span.Fill(T.One);
        Buffers = [RunningMeanSquare];
    }

    /// <summary>Channels C.</summary>
    public int Features { get; }
    /// <summary>Running-statistic momentum m.</summary>
    public double Momentum { get; }
    /// <summary>eps added to the mean square (0: exactly scale invariant).</summary>
    public double Eps { get; }
    /// <summary>Running mean square per channel, shape (C), named "running_ms".</summary>
    public Parameter<T> RunningMeanSquare { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter<T>> Buffers { get; }
    /// <inheritdoc/>
    public override string Kind => "scale_batchnorm";
    /// <summary>
    /// false: the layer is homogeneous of degree 0 in its input (eps = 0), not of degree 1, so measures that assume
    /// f(x; c theta) = c^L f(x; theta) with L the number of weight layers do not apply; fold it with <see cref="Measures.FoldedNet"/>.
    /// </summary>
    public override bool IsHomogeneous => false;
    /// <inheritdoc/>
    public override bool IsNormalization => true;

    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape)
    {
        if ((inputShape.Length != 1 && inputShape.Length != 3) || inputShape[0] != Features)
            throw new ArgumentException($"ScaleBatchNorm({Features}): input shape {Tensor<T>.ShapeString(inputShape)}, expected ({Features}) or ({Features}, H, W).");
        return inputShape;
    }

    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training)
        => tape.ScaleBatchNorm(x, RunningMeanSquare.Value, training, Momentum, Eps);
}
