using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures;

public class FoldedNetTests
{
    [Fact]
    public void FoldedLayersReproduceTheBatchNormNetInEvaluationMode()
    {
        var bn1 = new BatchNorm<double>(5);
        var m = new Sequential<double>([3], new Dense<double>(3, 5), bn1, new Relu<double>(), new Dense<double>(5, 2));
        var rng = new Rng(4);
        Init.Apply(m, InitScheme.He, rng);
        foreach (var p in new[] { bn1.Weight, bn1.Bias, bn1.RunningMean }) Init.FillNormal(p.Value.Span, rng, 0.7);
        var rv = bn1.RunningVar.Value.Span;
        for (int c = 0; c < rv.Length; c++) rv[c] = 0.5 + rng.NextDouble();
        var layers = FoldedNet.Layers(m);
        Assert.Equal(2, layers.Count);
        var x = new Tensor<double>([4, 3]);
        for (int i = 0; i < x.Length; i++) x.Span[i] = rng.NextNormal();
        var z = m.Predict(x).Span;   // evaluation mode
        for (int s = 0; s < 4; s++)
        {
            // h = relu(W~1 x + b~1), f = W~2 h, evaluated by hand
            var h = new double[5];
            for (int r = 0; r < 5; r++)
            {
                double v = layers[0].B![r];
                for (int c = 0; c < 3; c++) v += layers[0].W[r * 3 + c] * x.Span[s * 3 + c];
                h[r] = Math.Max(0, v);
            }
            for (int o = 0; o < 2; o++)
            {
                double f = 0;
                for (int r = 0; r < 5; r++) f += layers[1].W[o * 5 + r] * h[r];
                Assert.Equal(z[s * 2 + o], f, 10);
            }
        }
        double expected = Math.Sqrt(layers[0].W.Sum(v => v * v) + layers[0].B!.Sum(v => v * v)) * Math.Sqrt(layers[1].W.Sum(v => v * v));
        Assert.Equal(expected, FoldedNet.Rho(m), 12);
    }

    [Fact]
    public void RhoOfABiasFreeNetIsTheProductOfFrobeniusNorms()
    {
        var m = MeasureTestNets.Mlp([4, 6, 3], bias: false, seed: 2);
        double rho = m.Weights.Select(w => Math.Sqrt(w.Value.Span.ToArray().Sum(v => v * v))).Aggregate(1.0, (a, b) => a * b);
        Assert.Equal(rho, FoldedNet.Rho(m), 12);
    }
}
