using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Training.Algorithms;

/// <summary>Small models and datasets shared by the algorithm tests.</summary>
internal static class Fixtures
{
    /// <summary>n Gaussian points in R^d labelled by sign(&lt;w*, x&gt;), with |&lt;w*, x&gt;| &gt;= gap (separable through the origin).</summary>
    public static Dataset Separable(int n, int d, ulong seed, double gap = 0.3)
    {
        var rng = new Rng(seed);
        var wStar = new double[d];
        for (int j = 0; j < d; j++) wStar[j] = rng.NextNormal();
        double wn = Math.Sqrt(wStar.Sum(v => v * v));
        var x = new double[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            double s;
            do
            {
                s = 0;
                for (int j = 0; j < d; j++) { x[i * d + j] = rng.NextNormal(); s += x[i * d + j] * wStar[j] / wn; }
            } while (Math.Abs(s) < gap);
            y[i] = s > 0 ? 1 : 0;
        }
        return new Dataset($"separable(n={n}, d={d})", x, y, [d], 2);
    }

    /// <summary>Two tight clusters: label 1 around +c, label 0 around -c (c = (1, 0.5, ..., 0.5)), noise <paramref name="noise"/>.</summary>
    public static Dataset Clusters(int n, int d, ulong seed, double noise = 0.1)
    {
        var rng = new Rng(seed);
        var x = new double[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 2;
            double sign = y[i] == 1 ? 1 : -1;
            for (int j = 0; j < d; j++) x[i * d + j] = sign * (j == 0 ? 1.0 : 0.5) + noise * rng.NextNormal();
        }
        return new Dataset($"clusters(n={n}, d={d})", x, y, [d], 2);
    }

    /// <summary>
    /// A bias-free ReLU net d -&gt; h -&gt; 1 whose hidden units split into two groups, one near +c (active on
    /// label 1 only, output weight +a) and one near -c (active on label 0, output weight -a), plus noise: every
    /// sample keeps each unit's pre-activation far from 0 along the training, so the flow never meets a ReLU kink.
    /// </summary>
    public static Sequential<double> ClusterNet(int d, int h, ulong seed, double scale1 = 1.0, double scale2 = 0.3)
    {
        var rng = new Rng(seed);
        var m = new Sequential<double>([d], new Dense<double>(d, h), new Relu<double>(), new Dense<double>(h, 1));
        var w1 = m.Weights[0].Value.Span;
        var w2 = m.Weights[1].Value.Span;
        for (int u = 0; u < h; u++)
        {
            double sign = u % 2 == 0 ? 1 : -1;
            for (int j = 0; j < d; j++) w1[u * d + j] = scale1 * (sign * (j == 0 ? 1.0 : 0.5) + 0.2 * rng.NextNormal());
            w2[u] = scale2 * sign * (1 + 0.2 * rng.NextNormal());
        }
        return m;
    }

    /// <summary>Gaussian inputs with arbitrary 0/1 labels (for regression with the square loss).</summary>
    public static Dataset Random(int n, int d, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new double[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = rng.NextInt(2);
        return new Dataset($"random(n={n}, d={d})", x, y, [d], 2);
    }

    /// <summary>A linear model f(x) = w x: one Dense(d, 1) without bias, initialized from <paramref name="w"/> (or zero).</summary>
    public static Sequential<double> Linear(int d, double[]? w = null)
    {
        var m = new Sequential<double>([d], new Dense<double>(d, 1));
        if (w is not null) w.CopyTo(m.Flat, 0);
        return m;
    }

    /// <summary>A bias-free ReLU net d -&gt; h -&gt; 1 (or deeper with <paramref name="hidden"/>), He-initialized.</summary>
    public static Sequential<double> Relu(int d, ulong seed, params int[] hidden)
    {
        var layers = new List<Layer<double>>();
        int prev = d;
        foreach (int h in hidden) { layers.Add(new Dense<double>(prev, h)); layers.Add(new Relu<double>()); prev = h; }
        layers.Add(new Dense<double>(prev, 1));
        var m = new Sequential<double>([d], layers.ToArray());
        Init.Apply(m, InitScheme.He, new Rng(seed));
        return m;
    }

    /// <summary>Raw margins y_i f(x_i) of a binary model on a dataset.</summary>
    public static double[] Margins(Sequential<double> model, Dataset data)
    {
        var z = model.Predict(Tensor<double>.From(data.X, data.N, data.D)).Span;
        var m = new double[data.N];
        for (int i = 0; i < data.N; i++) m[i] = (data.Y[i] == 1 ? 1 : -1) * z[i];
        return m;
    }

    /// <summary>Squared Frobenius norms ||W_k||_F^2 of every weight matrix.</summary>
    public static double[] LayerNormsSquared(Sequential<double> model) =>
        model.Weights.Select(w => w.Value.Span.ToArray().Sum(v => v * v)).ToArray();

    /// <summary>Runs <paramref name="steps"/> full-batch steps of <paramref name="algorithm"/>.</summary>
    public static void Run(Algorithm<double> algorithm, Objective<double> objective, int steps, double eta = 0.1, double lambda = 0)
    {
        algorithm.Initialize(objective);
        for (int t = 0; t < steps; t++) algorithm.Step(objective, ReadOnlySpan<int>.Empty, new StepContext(t, eta, lambda));
    }
}
