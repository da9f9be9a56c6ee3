using System.Numerics;

namespace Gradscope.Measures;

using Gradscope.Autodiff;
using Gradscope.Data;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>Batched inference helpers for measures: network outputs and the features entering a layer, in float64.</summary>
public static class ModelEval
{
    private const int Chunk = 1024;

    /// <summary>f(x_i) for every sample, (n, C) row-major; throws if the dataset does not fit the model's input.</summary>
    public static double[] Outputs<T>(Sequential<T> model, Dataset data) where T : unmanaged, IFloatingPointIeee754<T> =>
        Features(model, data, model.Layers.Count);

    /// <summary>The input of layer <paramref name="layer"/> (the output of layers 0..layer-1) for every sample, flattened to (n, p).</summary>
    public static double[] Features<T>(Sequential<T> model, Dataset data, int layer) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int per = model.InputShape.Aggregate(1, (a, b) => a * b);
        if (per != data.D) throw new ArgumentException($"Measures: dataset '{data.Name}' has {data.D} features, the model expects {per}.");
        if (layer < 0 || layer > model.Layers.Count) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Measures: layer index must lie in [0, {model.Layers.Count}].");
        var tape = new Tape<T> { GradEnabled = false };
        double[]? result = null;
        int p = 0;
        for (int start = 0; start < data.N; start += Chunk)
        {
            int b = Math.Min(Chunk, data.N - start);
            var shape = new int[model.InputShape.Length + 1];
            shape[0] = b; model.InputShape.CopyTo(shape, 1);
            var x = new Tensor<T>(shape);
            var xs = x.Span;
            var src = data.X.AsSpan(start * data.D, b * data.D);
            for (int i = 0; i < src.Length; i++) xs[i] = T.CreateChecked(src[i]);
            tape.Reset();
            var h = model.ForwardTo(tape, tape.Input(x), layer, training: false).Value;
            if (result is null) { p = h.Length / Math.Max(1, b); result = new double[(long)data.N * p]; }
            var hs = h.Span;
            for (int i = 0; i < hs.Length; i++) result[(long)start * p + i] = double.CreateChecked(hs[i]);
        }
        return result ?? [];
    }

    /// <summary>Predicted labels from outputs (n, C): binary (C = 1) 1 iff f(x) &gt; 0, else the argmax.</summary>
    public static int[] Predictions(ReadOnlySpan<double> outputs, int n)
    {
        int c = n == 0 ? 1 : outputs.Length / n;
        var pred = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (c == 1) { pred[i] = outputs[i] > 0 ? 1 : 0; continue; }
            int best = 0;
            for (int j = 1; j < c; j++) if (outputs[i * c + j] > outputs[i * c + best]) best = j;
            pred[i] = best;
        }
        return pred;
    }
}
