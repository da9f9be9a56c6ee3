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

    // B_k is the product of two dense weights; a conv kernel reshaped to (out, in k k) does not compose that way with its neighbour.
    private static string? BalanceMatricesNa(MeasureContext c)
    {
        if (!c.Options.BalanceMatrices) return "opt-in: the balance matrices B_k themselves, n_k x n_k each (MeasureOptions.BalanceMatrices; measure --balance-matrices)";
        if (c.IsDenseChain) return null;
        string which = c switch
        {
            MeasureContext<double> d => FirstOtherLayer(d.Model),
            MeasureContext<float> f => FirstOtherLayer(f.Model),
            _ => "the net has other layers",
        };
        return $"the balance matrix B_k = W_{{k+1}}^T W_{{k+1}} - W_k W_k^T is formed for nets of dense layers with relu/identity activations; {which}";
    }

    private static string FirstOtherLayer<T>(Gradscope.Nn.Sequential<T> m) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m.Layers.Count; i++)
            if (m.Layers[i] is not (Gradscope.Nn.Dense<T> or Gradscope.Nn.Relu<T> or Gradscope.Nn.Identity<T>)) return $"layer {i} is {m.Layers[i].Kind}";
        return "the net has other layers";
    }

    public static IEnumerable<IMeasure> All()
    {
        yield return Of("end_to_end.norm", "||W_L ... W_1||_F", "Frobenius norm of the end-to-end matrix of a deep linear net", "1", N.DeepLinear, C.Weights,
            c => EndToEndMatrix(c).Why, (c, s) => s.Set("end_to_end.norm", EndToEndMatrix(c).M!.FrobeniusNorm()));
        yield return Of("layer.{k}.balance_matrix", "||B_k||_F", "B_k = W_{k+1}^T W_{k+1} - W_k W_k^T, conserved under gradient flow for deep linear nets", "5", N.DeepLinear, C.Weights,
            c => EndToEndMatrix(c).Why is null ? null : "the matrix balance B_k is a conserved quantity of deep linear nets only",
            (c, s) => { for (int k = 0; k + 1 < c.Weights.Count; k++) s.Set($"layer.{k}.balance_matrix", LayerBalance.Matrix(c.Weights[k], c.Weights[k + 1]).FrobeniusNorm()); });
        yield return Entry.Array("layer.{k}.balance_matrix_full", "B_k", "the balance matrix B_k = W_{k+1}^T W_{k+1} - W_k W_k^T itself (n_k, n_k), n_k the outputs of W_k, for each adjacent pair of dense weights", "5",
            N.Dense | N.OptIn, C.Weights, BalanceMatricesNa, (c, s) =>
            {
                for (int k = 0; k + 1 < c.Weights.Count; k++)
                {
                    string key = $"layer.{k.ToString(System.Globalization.CultureInfo.InvariantCulture)}.balance_matrix_full";
                    var (wk, next) = (c.Weights[k], c.Weights[k + 1]);
                    if (next.Cols != wk.Rows) { s.Omit(key, $"{next.Name} has {next.Cols} columns but {wk.Name} has {wk.Rows} rows: the pair does not chain"); continue; }
                    // Symmetric by construction; written row by row (C order) all the same.
                    var b = LayerBalance.Matrix(wk, next);
                    s.SetArray(key, [b.RowCount, b.ColumnCount], b.ToRowMajorArray());
                }
            }, "layer.*.balance_matrix_full");
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
