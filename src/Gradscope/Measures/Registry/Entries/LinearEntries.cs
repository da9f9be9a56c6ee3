namespace Gradscope.Measures.Registry.Entries;

using Gradscope.Training;
using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// Deep linear nets (THEORY.md sections 1 and 5): the end-to-end matrix's norm, the matrix balance ||B_k||_F, the angle to
/// the hard-margin SVM direction; and the relative weight change from initialization for any net.
/// </summary>
internal static class LinearEntries
{
    private static (MathNet.Numerics.LinearAlgebra.Matrix<double>? M, string? Why) EndToEndMatrix(MeasureContext c) => c.Memo<(MathNet.Numerics.LinearAlgebra.Matrix<double>?, string?)>("end_to_end", () =>
    {
        try { return (c.EndToEndMatrix(), null); }
        catch (ArgumentException e) { return (null, e.Message); }
    });

    // The SVM direction: given in the options, or fitted to the training set when the options ask for it and the net's
    // own end-to-end classifier certifies separability through the origin (the solver converges only then).
    private static (double[]? Direction, string? Why) Direction(MeasureContext c) => c.Memo<(double[]?, string?)>("svm_direction", () =>
    {
        if (c.Options.MaxMarginDirection is { } given) return (given, null);
        if (!c.Options.FitMaxMargin) return (null, "no max-margin direction given (MeasureOptions.MaxMarginDirection or FitMaxMargin)");
        var (m, why) = EndToEndMatrix(c);
        if (m is null) return (null, "the net is not deep linear, so it has no end-to-end vector");
        if (m.RowCount != 1) return (null, $"the net has {m.RowCount} outputs; the hard-margin SVM direction is defined for binary nets");
        var w = m.Row(0).ToArray();
        var train = c.Train;
        for (int i = 0; i < train.N; i++)
        {
            double f = 0;
            var x = train.Row(i);
            for (int j = 0; j < x.Length; j++) f += w[j] * x[j];
            if ((train.Y[i] == 1 ? f : -f) <= 0)
                return (null, $"the end-to-end classifier misclassifies training sample {i}, so separability through the origin (needed for the hard-margin SVM) is not certified");
        }
        try { return (HardMarginSvm.Fit(train).Direction, null); }
        catch (ArgumentException e) { return (null, e.Message); }
    });

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("end_to_end.norm", "||W_L ... W_1||_F", "Frobenius norm of the end-to-end matrix of a deep linear net", "1", N.DeepLinear, C.Weights,
            c => EndToEndMatrix(c).Why, (c, s) => s.Set("end_to_end.norm", EndToEndMatrix(c).M!.FrobeniusNorm()));
        yield return Of("layer.{k}.balance_matrix", "||B_k||_F", "B_k = W_{k+1}^T W_{k+1} - W_k W_k^T, conserved under gradient flow for deep linear nets", "5", N.DeepLinear, C.Weights,
            c => EndToEndMatrix(c).Why is null ? null : "the matrix balance B_k is a conserved quantity of deep linear nets only",
            (c, s) => { for (int k = 0; k + 1 < c.Weights.Count; k++) s.Set($"layer.{k}.balance_matrix", LayerBalance.Matrix(c.Weights[k], c.Weights[k + 1]).FrobeniusNorm()); });
        yield return Of("distance_to_max_margin", "angle(w, w_SVM)", "angle in radians between the end-to-end vector and the hard-margin SVM direction (no intercept)", "5", N.DeepLinear | N.Binary, C.Forward,
            c => Direction(c).Why, (c, s) =>
            {
                try { s.Set("distance_to_max_margin", EndToEnd.Angle(c.EndToEndVector(), Direction(c).Direction!)); }
                catch (ArgumentException e) { s.Omit("distance_to_max_margin", e.Message); }
            });
        yield return Of("relative_weight_change", "||W_t - W_0||_F / ||W_0||_F", "relative change of the flat parameter vector since initialization", "5", N.InitWeights, C.Weights,
            c => c.Options.InitialParameters is null ? "no initial parameters given (MeasureOptions.InitialParameters; measure --initial)" : null,
            (c, s) => s.Set("relative_weight_change", EmpiricalNtk.RelativeWeightChange(c.Options.InitialParameters!, c.FlatParameters())));
    }
}
