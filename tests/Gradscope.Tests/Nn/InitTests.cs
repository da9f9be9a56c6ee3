using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Nn;

public class InitTests
{
    private static double[,] Gram(double[] w, int rows, int cols, bool rowsGram)
    {
        int n = rowsGram ? rows : cols;
        var g = new double[n, n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                double s = 0;
                if (rowsGram) for (int k = 0; k < cols; k++) s += w[a * cols + k] * w[b * cols + k];
                else for (int k = 0; k < rows; k++) s += w[k * cols + a] * w[k * cols + b];
                g[a, b] = s;
            }
        return g;
    }

    [Theory]
    [InlineData(4, 7)]
    [InlineData(7, 4)]
    [InlineData(5, 5)]
    public void OrthogonalGivesOrthonormalRowsOrColumns(int rows, int cols)
    {
        var model = new Sequential<double>([cols], new Dense<double>(cols, rows));
        Init.Apply(model, InitScheme.Orthogonal, new Rng(80));
        var w = model.Flat;
        var g = Gram(w, rows, cols, rowsGram: rows <= cols);
        int n = g.GetLength(0);
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) Assert.True(Math.Abs(g[a, b] - (a == b ? 1 : 0)) < 1e-12, $"gram[{a},{b}] = {g[a, b]}");
    }

    [Fact]
    public void OrthogonalConvFiltersAreOrthonormal()
    {
        var conv = new Conv2d<double>(3, 4, 3);
        var model = new Sequential<double>([3, 5, 5], conv);
        Init.Apply(model, InitScheme.Orthogonal, new Rng(81));
        var g = Gram(model.Flat, 4, 27, rowsGram: true);
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++) Assert.True(Math.Abs(g[a, b] - (a == b ? 1 : 0)) < 1e-12);
    }

    [Fact]
    public void BalancedInitBalancesConsecutiveLayers()
    {
        int[] widths = [5, 4, 6, 3];
        var model = new Sequential<double>([5], new Dense<double>(5, 4), new Identity<double>(), new Dense<double>(4, 6), new Identity<double>(), new Dense<double>(6, 3));
        Init.Apply(model, InitScheme.Balanced, new Rng(82), scale: 0.7);
        var ws = model.Weights;
        for (int k = 0; k + 1 < ws.Count; k++)
        {
            var wk = ws[k].Value.Span.ToArray(); var wn = ws[k + 1].Value.Span.ToArray();
            var left = Gram(wn, widths[k + 2], widths[k + 1], rowsGram: false);   // W_{k+1}^T W_{k+1}
            var right = Gram(wk, widths[k + 1], widths[k], rowsGram: true);       // W_k W_k^T
            for (int a = 0; a < widths[k + 1]; a++)
                for (int b = 0; b < widths[k + 1]; b++)
                    Assert.True(Math.Abs(left[a, b] - right[a, b]) < 1e-10, $"layer {k}: [{a},{b}] {left[a, b]} vs {right[a, b]}");
        }
    }

    [Fact]
    public void HeInitHasVarianceTwoOverFanInForDenseAndConv()
    {
        // fan_in = 200 (dense) and 8 * 5 * 5 = 200 (conv): variance 2/200 = 0.01; with ~20000 draws the sample
        // variance has relative std sqrt(2/20000) = 1%, so 5% is a loose bound.
        var dense = new Sequential<double>([200], new Dense<double>(200, 100));
        Init.Apply(dense, InitScheme.He, new Rng(83));
        var conv = new Conv2d<double>(8, 100, 5);
        var cm = new Sequential<double>([8, 9, 9], conv);
        Init.Apply(cm, InitScheme.He, new Rng(84));
        Assert.Equal(200, conv.FanIn);
        int[] lcShape = [8, 9, 9];
        var lc = new LocallyConnected2d<double>(lcShape, 4, 5);
        var lm = new Sequential<double>(lcShape, lc);
        Init.Apply(lm, InitScheme.He, new Rng(85));
        Assert.Equal(200, lc.FanIn);
        foreach (var w in new[] { dense.Flat, cm.Flat, lm.Flat })
        {
            double mean = w.Average(), var = w.Select(v => (v - mean) * (v - mean)).Average();
            Assert.True(Math.Abs(mean) < 0.005, $"mean {mean}");
            Assert.True(Math.Abs(var / 0.01 - 1) < 0.05, $"variance {var}, expected 0.01");
        }
    }

    [Fact]
    public void BatchNormInitializesToIdentityAffine()
    {
        var model = new Sequential<double>([3, 4, 4], new Conv2d<double>(3, 2, 3, 1, 1), new BatchNorm<double>(2), new Relu<double>());
        Init.Apply(model, InitScheme.He, new Rng(86));
        Assert.Equal([1.0, 1.0], model["1.weight"].Value.Span.ToArray());
        Assert.Equal([0.0, 0.0], model["1.bias"].Value.Span.ToArray());
        Assert.Single(model.Weights);
    }

    private static double[] BuildAndTrain(ulong seed)
    {
        var rng = new Rng(seed);
        int n = 16;
        var x = new double[n * 2 * 6 * 6];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        var y = Enumerable.Range(0, n).Select(i => i % 3).ToArray();
        var data = new Dataset("toy", x, y, [2, 6, 6], 3);
        var model = new Sequential<double>([2, 6, 6],
            new Conv2d<double>(2, 4, 3, 1, 1), new BatchNorm<double>(4), new Relu<double>(),
            new Conv2d<double>(4, 4, 3, 2, 1, bias: true), new Relu<double>(),
            new AvgPool2d<double>(3), new Flatten<double>(), new Dense<double>(4, 3));
        Init.Apply(model, InitScheme.He, rng);
        var objective = new Objective<double>(model, data, LossKind.CrossEntropy);
        var gd = new Gd<double>();
        var batch = new int[8];
        for (int step = 0; step < 5; step++)
        {
            for (int i = 0; i < batch.Length; i++) batch[i] = rng.NextInt(n);
            gd.Step(objective, batch, new StepContext(step, 0.1, 0));
        }
        return model.Flat.Concat(model.NamedBuffers.SelectMany(b => b.Value.Span.ToArray())).ToArray();
    }

    [Fact]
    public void SameSeedGivesBitIdenticalParametersAfterTraining()
    {
        var a = BuildAndTrain(90);
        var b = BuildAndTrain(90);
        Assert.Equal(a.Select(BitConverter.DoubleToInt64Bits), b.Select(BitConverter.DoubleToInt64Bits));
        Assert.NotEqual(a, BuildAndTrain(91));
    }
}
