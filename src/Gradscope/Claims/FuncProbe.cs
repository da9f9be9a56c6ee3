using System.Numerics;

namespace Gradscope.Claims;

using Gradscope.Training;

/// <summary>A probe defined by a function: the claim-specific measurements a verdict rule adds to the shared trainer.</summary>
public sealed class FuncProbe<T>(IReadOnlyList<string> keys, Action<ProbeContext<T>, MetricRow> measure) : IProbe<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public IReadOnlyList<string> Keys { get; } = keys;

    /// <inheritdoc/>
    public void Measure(ProbeContext<T> context, MetricRow row) => measure(context, row);
}

/// <summary>Helpers to read the probe rows of a run.</summary>
public static class Rows
{
    /// <summary>The values of <paramref name="key"/> over rows that have it (with their steps).</summary>
    public static (List<double> Steps, List<double> Values) Series(IReadOnlyList<IReadOnlyDictionary<string, double>> rows, string key, string x = "step")
    {
        var xs = new List<double>(); var ys = new List<double>();
        foreach (var r in rows)
            if (r.TryGetValue(key, out double v) && r.TryGetValue(x, out double s)) { xs.Add(s); ys.Add(v); }
        return (xs, ys);
    }

    /// <summary>The weights of layer k of a model as a double matrix (rows = outputs).</summary>
    public static double[,] Matrix<T>(Nn.Sequential<T> model, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = model.Weights[k].Value;
        int r = w.Shape[0], c = w.Length / r;
        var m = new double[r, c];
        var s = w.Span;
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) m[i, j] = double.CreateChecked(s[i * c + j]);
        return m;
    }

    /// <summary>The end-to-end vector W_L ... W_1 of a deep linear net with one output.</summary>
    public static double[] EndToEnd<T>(Nn.Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ws = model.Weights;
        var v = Matrix(model, ws.Count - 1); // (1, h)
        double[] row = new double[v.GetLength(1)];
        for (int j = 0; j < row.Length; j++) row[j] = v[0, j];
        for (int k = ws.Count - 2; k >= 0; k--)
        {
            var m = Matrix(model, k);
            var next = new double[m.GetLength(1)];
            for (int i = 0; i < m.GetLength(0); i++)
                for (int j = 0; j < next.Length; j++) next[j] += row[i] * m[i, j];
            row = next;
        }
        return row;
    }
}
