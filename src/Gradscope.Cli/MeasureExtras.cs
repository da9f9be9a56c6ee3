using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Training;

namespace Gradscope.Cli;

/// <summary>The measures of <c>gradscope measure</c> beyond <see cref="MeasureSuite"/>: the end-to-end matrix of deep linear nets with its SVM direction, and the opt-in empirical NTK.</summary>
internal static class MeasureExtras
{
    /// <summary>
    /// For a deep linear net (dense layers without bias, identity activations) the end-to-end matrix W_L ... W_1 (C x d);
    /// for a binary one that separates the training set through the origin also the hard-margin SVM direction (no intercept)
    /// of the training set, whose angle to the end-to-end vector MeasureSuite reports as distance_to_max_margin.
    /// Also ||B_k||_F of the balance matrices B_k = W_{k+1}^T W_{k+1} - W_k W_k^T ("layer.{k}.balance_matrix").
    /// Null (with reasons in <paramref name="omitted"/>) otherwise.
    /// </summary>
    public static double[][]? EndToEnd(Sequential<double> net, Dataset train, Dictionary<string, double> values, Dictionary<string, string> omitted, out double[]? svmDirection)
    {
        svmDirection = null;
        MathNet.Numerics.LinearAlgebra.Matrix<double> m;
        try { m = Gradscope.Measures.EndToEnd.Matrix(net); }
        catch (ArgumentException e)
        {
            omitted["end_to_end"] = e.Message;
            omitted["distance_to_max_margin"] = "the net is not deep linear, so it has no end-to-end vector";
            omitted["layer.*.balance_matrix"] = "the matrix balance B_k is a conserved quantity of deep linear nets only";
            return null;
        }
        var rows = Enumerable.Range(0, m.RowCount).Select(r => m.Row(r).ToArray()).ToArray();
        var ws = WeightMatrix.Of(net);
        for (int k = 0; k + 1 < ws.Count; k++) values[$"layer.{k}.balance_matrix"] = LayerBalance.Matrix(ws[k], ws[k + 1]).FrobeniusNorm();
        values["end_to_end.norm"] = m.FrobeniusNorm();
        if (m.RowCount != 1) { omitted["distance_to_max_margin"] = $"the net has {m.RowCount} outputs; the hard-margin SVM direction is defined for binary nets"; return rows; }
        // The SVM solver converges only on data separable through the origin; the net's own separation certifies that.
        var w = rows[0];
        for (int i = 0; i < train.N; i++)
        {
            double f = 0;
            var x = train.Row(i);
            for (int j = 0; j < x.Length; j++) f += w[j] * x[j];
            if ((train.Y[i] == 1 ? f : -f) <= 0)
            {
                omitted["distance_to_max_margin"] = $"the end-to-end classifier misclassifies training sample {i}, so separability through the origin (needed for the hard-margin SVM) is not certified";
                return rows;
            }
        }
        try { svmDirection = HardMarginSvm.Fit(train).Direction; }
        catch (ArgumentException e) { omitted["distance_to_max_margin"] = e.Message; }
        return rows;
    }

    /// <summary>
    /// Empirical NTK K_ij = &lt;grad_W f(x_i), grad_W f(x_j)&gt; on at most <paramref name="samples"/> evenly spaced training
    /// points (nC x nC for C outputs), summarized as "ntk.size", "ntk.trace", "ntk.frobenius", "ntk.lambda_max", "ntk.lambda_min", "ntk.condition",
    /// and with the net at initialization the kernel distance 1 - &lt;K_0, K&gt;_F / (||K_0||_F ||K||_F) as "ntk.kernel_distance".
    /// </summary>
    public static void Ntk(Sequential<double> net, Sequential<double>? initial, Dataset train, int samples, Dictionary<string, double> values, Dictionary<string, string> omitted,
        int[]? rows = null, Dictionary<string, (int[] Shape, double[] Data)>? arrays = null)
    {
        int m = rows?.Length ?? Math.Min(samples, train.N);
        var idx = rows ?? new int[m];
        if (rows is null) for (int i = 0; i < m; i++) idx[i] = (int)((long)i * train.N / m);
        var sub = train.Subset(idx);
        var k = EmpiricalNtk.Compute(net, sub.X, sub.N);
        if (initial is not null) values["ntk.kernel_distance"] = EmpiricalNtk.KernelDistance(EmpiricalNtk.Compute(initial, sub.X, sub.N), k);
        else omitted["ntk.kernel_distance"] = "needs the weights at initialization: pass --initial W0.safetensors";
        // NOTE: one symmetric eigenvalue solve of (K + K^T)/2 gives the summary and the spectrum (no second dense decomposition).
        int size = (int)Math.Round(Math.Sqrt(k.Length));
        var sym = new double[k.Length];
        for (int i = 0; i < size; i++) for (int j = 0; j < size; j++) sym[i * size + j] = 0.5 * (k[i * size + j] + k[j * size + i]);
        var eig = SymmetricSpectrum.Ascending(sym, size);
        double trace = 0;
        for (int i = 0; i < size; i++) trace += k[i * size + i];
        var s = new NtkSummary(size, trace, System.Numerics.Tensors.TensorPrimitives.Norm<double>(k), eig[^1], eig[0]);
        if (arrays is not null)
        {
            // Row (i, c) of K is sample idx[i], output c (C outputs: the nC x nC block matrix, sample-major).
            arrays["ntk.gram"] = ([size, size], k);
            arrays["ntk.eigenvalues"] = ([size], eig.Reverse().ToArray());
            arrays["ntk.rows"] = ([m], idx.Select(i => (double)i).ToArray());
        }
        values["ntk.samples"] = m;
        values["ntk.size"] = s.Size;
        values["ntk.trace"] = s.Trace;
        values["ntk.frobenius"] = s.Frobenius;
        values["ntk.lambda_max"] = s.LambdaMax;
        values["ntk.lambda_min"] = s.LambdaMin;
        if (s.LambdaMin > 0) values["ntk.condition"] = s.Condition;
        else omitted["ntk.condition"] = $"lambda_min = {s.LambdaMin:G3} <= 0: K is singular to rounding (e.g. n C = {s.Size} exceeds the {net.ParameterCount} parameters)";
    }

    /// <summary>
    /// The sorted raw margins m_i of every training sample, and, where the suite reported rho or R (homogeneous nets),
    /// m_i / rho and m_i / (R ||X||_F / n): the empirical margin distributions of THEORY.md section 3.
    /// </summary>
    public static Dictionary<string, double[]> MarginDistributions(Sequential<double> net, Dataset train, IReadOnlyDictionary<string, double> values)
    {
        var raw = Margins.Raw(ModelEval.Outputs(net, train), train.Y);
        var result = new Dictionary<string, double[]> { ["raw"] = new MarginDistribution(raw).Sorted.ToArray() };
        if (values.TryGetValue("rho", out double rho) && rho > 0)
            result["rho"] = new MarginDistribution(Margins.RhoNormalized(raw, rho)).Sorted.ToArray();
        double xf = Margins.InputFrobenius(train);
        if (values.TryGetValue("spectral_complexity", out double r) && r > 0 && xf > 0)
            result["spectral"] = new MarginDistribution(Margins.SpectrallyNormalized(raw, r, xf)).Sorted.ToArray();
        return result;
    }
}
