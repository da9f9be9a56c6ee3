using System.Numerics;

namespace Gradscope.Measures.Flatness;

using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Training;

/// <summary>
/// A network as a <see cref="IPerturbationObjective"/>: the criterion is its error on <paramref name="data"/> (the fraction
/// misclassified, as Jiang et al. 2020 hold it to a set deviation), the surrogate its loss there. Every call loads the
/// given parameters into the model (the caller restores them); evaluation runs in inference mode.
/// </summary>
public sealed class NetObjective<T>(Sequential<T> model, Dataset data, LossKind loss, double targetScale) : IPerturbationObjective
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Objective<T> _objective = new(model, data, loss, targetScale);
    private readonly T[] _w = new T[model.ParameterCount];

    /// <inheritdoc/>
    public int Dimension => _w.Length;

    private void Load(ReadOnlySpan<double> w)
    {
        for (int i = 0; i < _w.Length; i++) _w[i] = T.CreateChecked(w[i]);
        model.LoadParameters(_w);
    }

    /// <inheritdoc/>
    public double Criterion(ReadOnlySpan<double> w)
    {
        Load(w);
        return 1 - _objective.Evaluate(ReadOnlySpan<int>.Empty, gradient: false, training: false).Accuracy;
    }

    /// <inheritdoc/>
    public double LossAndGradient(ReadOnlySpan<double> w, Span<double> gradient)
    {
        Load(w);
        double l = _objective.Evaluate(ReadOnlySpan<int>.Empty, gradient: true, training: false).L;
        var g = model.FlatGrad;
        for (int i = 0; i < g.Length; i++) gradient[i] = double.CreateChecked(g[i]);
        return l;
    }
}
