using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Training;

using Gradscope.Losses;
using Gradscope.Tensors;

/// <summary>
/// GD and SGD (THEORY.md section 4): W &lt;- W - eta (grad L + lambda W). Full batch when the
/// trainer passes no indices, minibatch SGD otherwise. With <see cref="LossScaled"/> the step
/// follows grad log L = grad L / L instead (loss-scaled GD for exponential-type losses).
/// </summary>
public sealed class Gd<T>(bool lossScaled = false) : Algorithm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Whether steps follow grad log L.</summary>
    public bool LossScaled { get; } = lossScaled;

    /// <inheritdoc/>
    public override string Name => LossScaled ? "loss_scaled_gd" : "gd";

    /// <inheritdoc/>
    /// <remarks>Full-batch GD without momentum: W_k+1 = W_k - eta (grad + lambda W_k) is a straight step, and a shorter step
    /// s eta lands at W_k + s (W_k+1 - W_k).</remarks>
    public override bool StepsAlongSegment => true;

    /// <inheritdoc/>
    public override StepResult Step(Objective<T> objective, ReadOnlySpan<int> batch, in StepContext context)
    {
        var eval = objective.Evaluate(batch, LossScaled ? LossOutput.Log : LossOutput.Value);
        var w = objective.Model.Flat.AsSpan();
        var g = objective.Model.FlatGrad.AsSpan();
        T eta = T.CreateChecked(context.Eta);
        if (context.WeightDecay != 0)
            // W <- (1 - eta lambda) W - eta g
            TensorOps.ScaleInPlace(w, T.One - eta * T.CreateChecked(context.WeightDecay));
        TensorOps.MultiplyAddInPlace(g, -eta, w);
        return new StepResult(eval, context.Eta);
    }
}
