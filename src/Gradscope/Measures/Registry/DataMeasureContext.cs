namespace Gradscope.Measures.Registry;

using Gradscope.Data;

/// <summary>
/// A context with a data set and no network: the one the data-set measures (<see cref="MeasureNeeds.DataOnly"/>: the
/// hard-margin SVM, the analytic NTK) are computed in by <c>gradscope svm</c> and <c>gradscope ntk-analytic</c>. The registry
/// omits every other measure here ("needs a network") without asking it; the network members throw.
/// </summary>
public sealed class DataMeasureContext : MeasureContext
{
    /// <summary>Creates a context over <paramref name="train"/> (the measured samples: all, or <see cref="MeasureOptions.MaxSamples"/> evenly spaced).</summary>
    public DataMeasureContext(Dataset train, MeasureOptions? options = null) : base(train, null, options ?? new MeasureOptions(), new MeasureCache()) { }

    /// <inheritdoc/>
    public override bool HasModel => false;

    private static InvalidOperationException NoNet() => new("this measure needs a network; the context holds a data set alone.");

    /// <inheritdoc/>
    public override int ParameterCount => throw NoNet();
    /// <inheritdoc/>
    public override int Outputs => throw NoNet();
    /// <inheritdoc/>
    public override bool IsHomogeneous => throw NoNet();
    /// <inheritdoc/>
    public override string? NotHomogeneous => throw NoNet();
    /// <inheritdoc/>
    public override bool IsDenseChain => throw NoNet();
    /// <inheritdoc/>
    public override bool HasConv2d => throw NoNet();
    /// <inheritdoc/>
    public override double[] FlatParameters() => throw NoNet();
    /// <inheritdoc/>
    public override ConvBoundResult ConvBound(double maxInputNorm, int n, double gamma) => throw NoNet();
    /// <inheritdoc/>
    public override string? HessianUnavailable => "needs a network (only a data set was given)";
    /// <inheritdoc/>
    public override HessianVectorProduct Hessian(Losses.LossKind loss, double targetScale) => throw NoNet();
    /// <inheritdoc/>
    public override (double Loss, double GradientNorm) LossAndGradientNorm(Losses.LossKind loss, double targetScale) => throw NoNet();
    /// <inheritdoc/>
    public override double[] EndToEndVector() => throw NoNet();
    /// <inheritdoc/>
    public override MathNet.Numerics.LinearAlgebra.Matrix<double> EndToEndMatrix() => throw NoNet();
    /// <inheritdoc/>
    public override double[] OutputsOf(Dataset data) => throw NoNet();
    /// <inheritdoc/>
    public override double[] FeaturesOf(int layer) => throw NoNet();
    /// <inheritdoc/>
    public override int LastWeightLayer => throw NoNet();
    /// <inheritdoc/>
    public override int LayerCount => throw NoNet();
    /// <inheritdoc/>
    public override double[] Ntk(Dataset rows) => throw NoNet();
    /// <inheritdoc/>
    public override bool HasInitialNet => false;
    /// <inheritdoc/>
    public override double[]? InitialNtk(Dataset rows) => null;
    /// <inheritdoc/>
    public override IReadOnlyList<WeightMatrix> Weights => throw NoNet();
    /// <inheritdoc/>
    public override double[]? InitialFlat => null;
    /// <inheritdoc/>
    public override IReadOnlyList<WeightMatrix>? InitialWeights => null;
    /// <inheritdoc/>
    public override TResult Perturbed<TResult>(Func<Flatness.IPerturbationObjective, double[], TResult> search) => throw NoNet();
    /// <inheritdoc/>
    public override IReadOnlyList<LayerOperator> Operators => throw NoNet();

    internal override (double[] Outputs, double[]? Features) ForwardSample() => throw NoNet();
}
