namespace Gradscope.Training;

using Gradscope.Data;

/// <summary>The hard-margin SVM solution: w, the dual variables alpha (w = sum_i alpha_i y_i x_i), the geometric margin 1/||w||, the support vectors (alpha_i &gt; 0) and the final KKT violation.</summary>
public sealed record HardMarginSvmResult(double[] W, double[] Alpha, double Margin, int[] SupportVectors, double KktViolation, int Epochs)
{
    /// <summary>w / ||w||: the max-margin direction.</summary>
    public double[] Direction
    {
        get { double n = Math.Sqrt(W.Sum(v => v * v)); return W.Select(v => v / n).ToArray(); }
    }
}

/// <summary>
/// Hard-margin linear SVM without intercept (THEORY.md section 5, distance to max margin):
/// min 1/2 ||w||^2 s.t. y_i &lt;w, x_i&gt; &gt;= 1, solved exactly by coordinate ascent on the dual
/// max sum alpha_i - 1/2 ||sum alpha_i y_i x_i||^2, alpha &gt;= 0: alpha_i &lt;- max(0, alpha_i + (1 - y_i &lt;w, x_i&gt;)/||x_i||^2),
/// until the KKT conditions hold to a tolerance (margins &gt;= 1 - tol, |margin - 1| &lt;= tol where alpha_i &gt; 0).
/// </summary>
public static class HardMarginSvm
{
    /// <summary>Solves the SVM for the binary <paramref name="data"/> (labels 0/1 as y = -1/+1); throws if the data are not separable through the origin (no convergence within <paramref name="maxEpochs"/>).</summary>
    public static HardMarginSvmResult Fit(Dataset data, double tolerance = 1e-10, int maxEpochs = 1_000_000)
    {
        if (data.Classes != 2) throw new ArgumentException($"HardMarginSvm: dataset '{data.Name}' has {data.Classes} classes; the SVM needs binary labels 0/1.");
        int n = data.N, d = data.D;
        var x = data.X;
        var y = new double[n];
        var q = new double[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = data.Y[i] == 1 ? 1 : -1;
            var row = data.Row(i);
            for (int j = 0; j < d; j++) q[i] += row[j] * row[j];
            if (q[i] == 0) throw new ArgumentException($"HardMarginSvm: sample {i} of '{data.Name}' is the zero vector; no w without intercept classifies it with margin 1.");
        }
        var alpha = new double[n];
        var w = new double[d];
        double violation = double.PositiveInfinity;
        int epoch = 0;
        while (epoch < maxEpochs)
        {
            epoch++;
            for (int i = 0; i < n; i++)
            {
                double m = y[i] * Dot(w, x.AsSpan(i * d, d));
                double next = Math.Max(0, alpha[i] + (1 - m) / q[i]);
                double delta = next - alpha[i];
                if (delta == 0) continue;
                alpha[i] = next;
                for (int j = 0; j < d; j++) w[j] += delta * y[i] * x[i * d + j];
            }
            violation = Violation(w, x, y, alpha, d);
            if (violation <= tolerance) break;
            if (!double.IsFinite(violation)) break;
        }
        if (!(violation <= tolerance))
            throw new InvalidOperationException($"HardMarginSvm: no convergence on '{data.Name}' after {epoch} epochs (KKT violation {violation:g3} > {tolerance:g3}); are the data linearly separable through the origin?");
        double norm = Math.Sqrt(Dot(w, w));
        var support = Enumerable.Range(0, n).Where(i => alpha[i] > 0).ToArray();
        return new HardMarginSvmResult(w, alpha, 1 / norm, support, violation, epoch);
    }

    // Largest KKT violation, relative to the constraint level 1: margins below 1, or above 1 with alpha > 0.
    private static double Violation(double[] w, double[] x, double[] y, double[] alpha, int d)
    {
        double worst = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double m = y[i] * Dot(w, x.AsSpan(i * d, d));
            double v = alpha[i] > 0 ? Math.Abs(m - 1) : Math.Max(0, 1 - m);
            worst = Math.Max(worst, v);
        }
        return worst;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
