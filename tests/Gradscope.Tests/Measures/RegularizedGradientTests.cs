using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Measures;

public class RegularizedGradientTests
{
    // A linear model f(x) = w.x on a binary task with the square loss l = (f(x) - y)^2, y = +1/-1:
    // grad L_S = (2/|S|) sum_{i in S} (w.x_i - y_i) x_i in closed form.
    private static (Objective<double> Obj, double[] W, Dataset Data) Linear(int n, int d, ulong seed)
    {
        var data = MeasureTestNets.Gaussian(n, d, 2, seed);
        var model = new Sequential<double>([d], new Dense<double>(d, 1, false));
        Init.Apply(model, InitScheme.He, new Rng(seed + 1));
        return (new Objective<double>(model, data, LossKind.Square), model.Flat.ToArray(), data);
    }

    private static double ClosedForm(double[] w, Dataset data, IEnumerable<int> samples, double lambda)
    {
        var s = samples.ToArray();
        var g = new double[w.Length];
        foreach (int i in s)
        {
            var x = data.Row(i);
            double f = 0;
            for (int j = 0; j < w.Length; j++) f += w[j] * x[j];
            double r = f - (data.Y[i] == 1 ? 1 : -1);
            for (int j = 0; j < w.Length; j++) g[j] += 2 * r * x[j] / s.Length;
        }
        return Math.Sqrt(g.Select((v, j) => (v + lambda * w[j]) * (v + lambda * w[j])).Sum());
    }

    [Fact]
    public void FullBatchNormMatchesClosedForm()
    {
        var (obj, w, data) = Linear(12, 5, 3);
        double got = RegularizedGradient.Norm(obj, ReadOnlySpan<int>.Empty, 0.3);
        Assert.Equal(ClosedForm(w, data, Enumerable.Range(0, 12), 0.3), got, 1e-12);
    }

    [Fact]
    public void BatchNormsMatchClosedFormPerBatchIncludingTheShortLastOne()
    {
        var (obj, w, data) = Linear(11, 4, 5);
        int[] order = [3, 7, 0, 10, 1, 5, 9, 2, 8, 4, 6];
        var norms = RegularizedGradient.BatchNorms(obj, order, 4, 0.05);
        Assert.Equal(3, norms.Length);
        Assert.Equal(ClosedForm(w, data, order[0..4], 0.05), norms[0], 1e-12);
        Assert.Equal(ClosedForm(w, data, order[4..8], 0.05), norms[1], 1e-12);
        Assert.Equal(ClosedForm(w, data, order[8..], 0.05), norms[2], 1e-12);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var (obj, _, _) = Linear(6, 3, 7);
        Assert.Throws<ArgumentException>(() => RegularizedGradient.Norm(obj, ReadOnlySpan<int>.Empty, -1));
        Assert.Throws<ArgumentException>(() => RegularizedGradient.BatchNorms(obj, new[] { 0, 1 }, 0, 0.1));
        Assert.Throws<ArgumentException>(() => RegularizedGradient.BatchNorms(obj, ReadOnlySpan<int>.Empty, 2, 0.1));
    }
}
