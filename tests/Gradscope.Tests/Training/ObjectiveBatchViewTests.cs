using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

namespace Gradscope.Tests.Training;

/// <summary>
/// A batch of consecutive samples is evaluated on a view of the whole input (no copy): its loss and gradient must be
/// those of the same samples evaluated as a dataset of their own, and of the same samples reached through the copying path.
/// </summary>
public class ObjectiveBatchViewTests
{
    private const int N = 23, D = 7, C = 3;

    private static Dataset Data(ulong seed, bool reversed = false)
    {
        var rng = new Rng(seed);
        var x = new double[N * D];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        var y = new int[N];
        for (int i = 0; i < N; i++) y[i] = (int)(rng.NextUInt64() % C);
        if (!reversed) return new Dataset("d", x, y, [D], C);
        var xr = new double[N * D]; var yr = new int[N];
        for (int i = 0; i < N; i++) { Array.Copy(x, (N - 1 - i) * D, xr, i * D, D); yr[i] = y[N - 1 - i]; }
        return new Dataset("d-reversed", xr, yr, [D], C);
    }

    private static Dataset Slice(Dataset d, int start, int b) =>
        new("slice", d.X.AsSpan(start * D, b * D).ToArray(), d.Y.AsSpan(start, b).ToArray(), [D], C);

    private static Sequential<double> Model()
    {
        var m = new Sequential<double>([D], new Dense<double>(D, 5, bias: true), new Relu<double>(), new Dense<double>(5, C));
        Init.Apply(m, InitScheme.PyTorchDefault, new Rng(9));
        return m;
    }

    private static (LossEval Eval, double[] Grad) Run(Objective<double> o, int[] indices)
    {
        var e = o.Evaluate(indices);
        return (e, (double[])o.Model.FlatGrad.Clone());
    }

    [Fact]
    public void ConsecutiveBatchesEqualTheSameSamplesAsTheirOwnDatasetAndThroughTheCopy()
    {
        var data = Data(1);
        var view = new Objective<double>(Model(), data, LossKind.CrossEntropy);
        var copy = new Objective<double>(Model(), Data(1, reversed: true), LossKind.CrossEntropy);
        // several starts and sizes, the last one ending at the last sample, so the view is re-pointed and reshaped
        foreach (var (start, b) in new[] { (0, 5), (5, 5), (3, 8), (0, N), (15, 8), (22, 1), (2, 5) })
        {
            var (ev, gv) = Run(view, Enumerable.Range(start, b).ToArray());
            var own = new Objective<double>(Model(), Slice(data, start, b), LossKind.CrossEntropy);
            var (eo, go) = Run(own, []);
            // in the reversed dataset sample i sits at N - 1 - i: decreasing indices, the copying path, the same order
            var (ec, gc) = Run(copy, Enumerable.Range(start, b).Select(i => N - 1 - i).ToArray());
            Assert.Equal(eo.L, ev.L); Assert.Equal(eo.Correct, ev.Correct); Assert.Equal(b, ev.Count);
            Assert.Equal(go, gv);
            Assert.Equal(ec.L, ev.L); Assert.Equal(gc, gv);
        }
    }

    [Fact]
    public void IndicesThatOnlyLookConsecutiveTakeTheCopy()
    {
        var data = Data(2);
        var o = new Objective<double>(Model(), data, LossKind.Square);
        // a run with a repeat, and a run that starts in range but would end past the last sample
        var (e1, g1) = Run(o, [4, 5, 5, 6]);
        var own = new Objective<double>(Model(), new Dataset("rep", [.. data.X.AsSpan(4 * D, 2 * D), .. data.X.AsSpan(5 * D, 2 * D)],
            [data.Y[4], data.Y[5], data.Y[5], data.Y[6]], [D], C), LossKind.Square);
        var (e2, g2) = Run(own, []);
        Assert.Equal(e2.L, e1.L); Assert.Equal(g2, g1);
        Assert.ThrowsAny<Exception>(() => o.Evaluate([21, 22, 23]));
    }
}
