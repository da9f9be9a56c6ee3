using System.Numerics;

namespace Gradscope.Nn;

using Gradscope.Autodiff;
using Gradscope.Tensors;

/// <summary>Dense layer y = W x (+ b): W is (out, in) as in PyTorch. No bias by default: homogeneous nets are the theory's object.</summary>
public sealed class Dense<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a zero-initialized dense layer (initialize with <see cref="Init"/>).</summary>
    public Dense(int inFeatures, int outFeatures, bool bias = false)
    {
        if (inFeatures <= 0 || outFeatures <= 0) throw new ArgumentException($"Dense: sizes must be positive, got in={inFeatures}, out={outFeatures}.");
        In = inFeatures; Out = outFeatures;
        Weight = new Parameter<T>("weight", outFeatures, inFeatures);
        Bias = bias ? new Parameter<T>("bias", outFeatures) : null;
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <summary>Input features.</summary>
    public int In { get; }
    /// <summary>Output features.</summary>
    public int Out { get; }
    /// <summary>W, shape (out, in).</summary>
    public Parameter<T> Weight { get; }
    /// <summary>b, shape (out), or null.</summary>
    public Parameter<T>? Bias { get; }
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter<T>> Parameters { get; }
    /// <inheritdoc/>
    public override string Kind => "dense";
    /// <inheritdoc/>
    public override bool IsHomogeneous => Bias is null;

    /// <inheritdoc/>
    public override int[] OutputShape(int[] inputShape)
    {
        long n = 1; foreach (int s in inputShape) n *= s;
        if (n != In) throw new ArgumentException($"Dense({In} -> {Out}): input of shape {Tensor<T>.ShapeString(inputShape)} has {n} features, expected {In}.");
        return [Out];
    }

    /// <inheritdoc/>
    public override Node<T> Forward(Tape<T> tape, Node<T> x, bool training)
    {
        if (x.Value.Rank != 2) x = tape.Reshape(x, x.Value.Shape[0], x.Value.Length / Math.Max(1, x.Value.Shape[0]));
        var y = tape.Linear(x, tape.Param(Weight));
        return Bias is null ? y : tape.AddBias(y, tape.Param(Bias));
    }
}
