using Gradscope.Tensors;

namespace Gradscope.Data;

/// <summary>Data labelled by a random ReLU teacher network.</summary>
/// <param name="Data">Inputs and teacher labels.</param>
/// <param name="Weights">Teacher weights W_1..W_L, each (out x in) row-major, bias-free.</param>
/// <param name="Outputs">Teacher outputs f(x_i), n x (1 or C) row-major.</param>
public sealed record TeacherData(Dataset Data, double[][] Weights, double[] Outputs);

/// <summary>
/// A random bias-free ReLU MLP teacher f(x) = W_L relu(W_{L-1} ... relu(W_1 x)) with entries
/// W_l ~ N(0, 2 / fan_in) for hidden layers (He) and N(0, 1 / fan_in) for the last, labelling inputs
/// x ~ N(0, I_d). Binary (classes = 2): one output, label 1 when f(x) &gt; 0 (else 0). Multiclass: C outputs,
/// label argmax_c f_c(x) (lowest index on ties). The teacher is positively homogeneous, so labels depend only on x / ||x||.
/// </summary>
public static class SyntheticTeacher
{
    /// <summary>
    /// Generates n samples of dimension d labelled by a teacher with hidden widths <paramref name="hidden"/>. The teacher
    /// comes from <paramref name="seed"/>; the inputs from <paramref name="sampleSeed"/> when given (train and test share the teacher).
    /// </summary>
    public static TeacherData Generate(int n, int d, int[] hidden, int classes, ulong seed, ulong? sampleSeed = null)
    {
        if (n < 1 || d < 1) throw new ArgumentException($"SyntheticTeacher: need n, d >= 1, got n={n}, d={d}.");
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "SyntheticTeacher: need at least 2 classes.");
        if (hidden.Any(h => h < 1)) throw new ArgumentException($"SyntheticTeacher: hidden widths must be positive, got [{string.Join(", ", hidden)}].");
        int nd = MemoryLimit.Elements("n x d", sizeof(double), n, d);
        var rng = new Rng(seed);
        int outDim = classes == 2 ? 1 : classes;
        var widths = new[] { d }.Concat(hidden).Append(outDim).ToArray();
        var weights = new double[widths.Length - 1][];
        for (int l = 0; l < weights.Length; l++)
        {
            int fanIn = widths[l], fanOut = widths[l + 1];
            double std = Math.Sqrt((l < weights.Length - 1 ? 2.0 : 1.0) / fanIn);
            weights[l] = new double[MemoryLimit.Elements($"hidden layer {l} fan-out x fan-in", sizeof(double), fanOut, fanIn)];
            for (int k = 0; k < weights[l].Length; k++) weights[l][k] = std * rng.NextNormal();
        }
        if (sampleSeed is ulong ss) rng = new Rng(ss);
        var x = new double[nd];
        for (int k = 0; k < x.Length; k++) x[k] = rng.NextNormal();
        var outputs = new double[MemoryLimit.Elements("n x outputs", sizeof(double), n, outDim)];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            var h = Evaluate(weights, widths, x.AsSpan(i * d, d));
            h.CopyTo(outputs, i * outDim);
            if (outDim == 1) y[i] = h[0] > 0 ? 1 : 0;
            else { int best = 0; for (int c = 1; c < outDim; c++) if (h[c] > h[best]) best = c; y[i] = best; }
        }
        var data = new Dataset($"relu-teacher(n={n}, d={d}, hidden=[{string.Join(",", hidden)}], C={classes})", x, y, [d], classes);
        return new TeacherData(data, weights, outputs);
    }

    private static double[] Evaluate(double[][] weights, int[] widths, ReadOnlySpan<double> input)
    {
        var h = input.ToArray();
        for (int l = 0; l < weights.Length; l++)
        {
            int fanIn = widths[l], fanOut = widths[l + 1];
            var next = new double[fanOut];
            for (int o = 0; o < fanOut; o++)
            {
                double s = 0;
                for (int k = 0; k < fanIn; k++) s += weights[l][o * fanIn + k] * h[k];
                next[o] = l < weights.Length - 1 ? Math.Max(s, 0) : s;
            }
            h = next;
        }
        return h;
    }
}
