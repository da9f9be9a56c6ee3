using System.Numerics;

namespace Gradscope.Measures.PacBayes;

using Gradscope.Data;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>
/// Predictions of the stochastic net w ~ N(mean, diag(std^2)) with an independent weight draw for every
/// example, by the local reparameterization (Kingma, Salimans &amp; Welling 2015): for one input a, a dense
/// layer's pre-activation (W + S o E) a + (b + s_b o e) is exactly Gaussian with mean W a + b and variance
/// (S^2)(a^2) + s_b^2, so sampling each layer's pre-activations given the previous layer's sampled
/// activations draws the output of a fresh weight sample per example at the cost of two matrix products
/// per layer. Used for the Monte Carlo training error of the PAC-Bayes bound (Dziugaite &amp; Roy 2017):
/// n examples give n independent trials whose mean is the posterior's training error.
/// Supports nets of Dense, ReLU, Identity and Flatten layers (read by <see cref="MlpLayout"/>).
/// </summary>
public sealed class StochasticMlp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<(int In, int Out, T[] W, T[] S2, T[]? B, T[]? SB2)> _dense = [];
    private readonly List<bool> _reluAfter = [];

    /// <summary>Prepares the means and variances of every dense layer from flat vectors in the model's parameter layout.</summary>
    public StochasticMlp(Sequential<T> model, ReadOnlySpan<double> mean, ReadOnlySpan<double> std)
    {
        if (mean.Length != model.ParameterCount || std.Length != model.ParameterCount)
            throw new ArgumentException($"Stochastic net: mean ({mean.Length}) and std ({std.Length}) must have the model's {model.ParameterCount} parameters.");
        foreach (var l in MlpLayout.Of(model).Layers)
        {
            bool bias = l.BiasOffset >= 0;
            _dense.Add((l.In, l.Out, Slice(mean, l.WeightOffset, l.In * l.Out, false), Slice(std, l.WeightOffset, l.In * l.Out, true),
                bias ? Slice(mean, l.BiasOffset, l.Out, false) : null, bias ? Slice(std, l.BiasOffset, l.Out, true) : null));
            _reluAfter.Add(l.ReluAfter);
        }
        Outputs = _dense[^1].Out;
    }

    /// <summary>Number of outputs (1: binary, predicts 1 iff f(x) &gt; 0).</summary>
    public int Outputs { get; }

    /// <summary>
    /// Counts misclassified rows among <paramref name="rows"/> of <paramref name="data"/>, each classified by
    /// its own weight draw (noise from <paramref name="rng"/>, drawn in row order so results are deterministic).
    /// </summary>
    public long CountErrors(Dataset data, ReadOnlySpan<int> rows, Rng rng, int chunk = 500)
    {
        if (data.D != _dense[0].In) throw new ArgumentException($"Stochastic net: dataset '{data.Name}' has {data.D} features, the first layer expects {_dense[0].In}.");
        long errors = 0;
        for (int start = 0; start < rows.Length; start += chunk)
        {
            int b = Math.Min(chunk, rows.Length - start);
            var a = new T[b * data.D];
            for (int k = 0; k < b; k++)
            {
                var row = data.Row(rows[start + k]);
                for (int j = 0; j < row.Length; j++) a[k * data.D + j] = T.CreateChecked(row[j]);
            }
            for (int l = 0; l < _dense.Count; l++)
            {
                var (nin, nout, w, s2, bias, sb2) = _dense[l];
                var a2 = new T[a.Length];
                for (int i = 0; i < a.Length; i++) a2[i] = a[i] * a[i];
                var mu = new T[b * nout]; var v = new T[b * nout];
                Gemm.Multiply(false, true, b, nout, nin, T.One, a, nin, w, nin, T.Zero, mu, nout);
                Gemm.Multiply(false, true, b, nout, nin, T.One, a2, nin, s2, nin, T.Zero, v, nout);
                for (int k = 0; k < b; k++)
                    for (int o = 0; o < nout; o++)
                    {
                        int i = k * nout + o;
                        double m = double.CreateChecked(mu[i]) + (bias is null ? 0 : double.CreateChecked(bias[o]));
                        double var = double.CreateChecked(v[i]) + (sb2 is null ? 0 : double.CreateChecked(sb2[o]));
                        double h = m + Math.Sqrt(Math.Max(var, 0)) * rng.NextNormal();
                        if (_reluAfter[l] && h < 0) h = 0;
                        mu[i] = T.CreateChecked(h);
                    }
                a = mu;
            }
            for (int k = 0; k < b; k++)
            {
                int y = data.Y[rows[start + k]], pred;
                if (Outputs == 1) pred = a[k] > T.Zero ? 1 : 0;
                else { pred = 0; for (int j = 1; j < Outputs; j++) if (a[k * Outputs + j] > a[k * Outputs + pred]) pred = j; }
                if (pred != y) errors++;
            }
        }
        return errors;
    }

    private static T[] Slice(ReadOnlySpan<double> src, int offset, int count, bool square)
    {
        var r = new T[count];
        for (int i = 0; i < count; i++) { double v = src[offset + i]; r[i] = T.CreateChecked(square ? v * v : v); }
        return r;
    }
}
