using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>
/// A probe at two threads, where the layers' eigenproblems and the forward pass over the measured samples run side by side
/// (MeasureContext.Prepare, GramSpectrum.OfEach): its margins, error, norms and ranks against a forward pass and SVDs done
/// by MathNet, and the same report on every run.
/// </summary>
/// <remarks>Runs in the "Gemm" collection (alone): it sets the process-wide Parallelism.Threads.</remarks>
[Collection("Gemm")]
public class ConcurrentProbeTests
{
    // 90 -> 120 -> 100 -> 4, bias-free ReLU: two layers with eigenproblems of order 90 and 100, worth a thread each.
    private static (Sequential<double> Model, Dataset Data) Net() =>
        (MeasureTestNets.Mlp([90, 120, 100, 4], bias: false, seed: 31), MeasureTestNets.Gaussian(150, 90, 4, 32));

    private static T AtThreads<T>(int threads, Func<T> f)
    {
        int saved = Parallelism.Threads;
        try { Parallelism.Threads = threads; return f(); }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void ATwoThreadProbeMatchesAnIndependentForwardPassAndSvd()
    {
        var (model, data) = Net();
        var report = AtThreads(2, () => new MeasureSuite(MeasureOptions.Probe).Compute(model, data)).Values;

        // the forward pass by MathNet: Z = relu(relu(X W1^T) W2^T) W3^T
        var ws = model.Layers.OfType<Dense<double>>().Select(d => Matrix<double>.Build.Dense(d.Weight.Value.Shape[0], d.Weight.Value.Shape[1], (i, j) => d.Weight.Value[i, j])).ToList();
        var h = Matrix<double>.Build.Dense(data.N, data.D, (i, j) => data.X[i * data.D + j]);
        for (int k = 0; k < ws.Count; k++)
        {
            h = h * ws[k].Transpose();
            if (k + 1 < ws.Count) h = h.PointwiseMaximum(0);
        }
        int wrong = 0;
        double minMargin = double.PositiveInfinity;
        for (int i = 0; i < data.N; i++)
        {
            int y = data.Y[i], best = 0;
            double other = double.NegativeInfinity;
            for (int c = 0; c < 4; c++)
            {
                if (h[i, c] > h[i, best]) best = c;
                if (c != y) other = Math.Max(other, h[i, c]);
            }
            if (best != y) wrong++;
            minMargin = Math.Min(minMargin, h[i, y] - other);
        }
        Assert.Equal((double)wrong / data.N, report["train_error"]);
        Assert.Equal(minMargin, report["margin.min"], 1e-12 * Math.Abs(minMargin) + 1e-14);

        for (int k = 0; k < ws.Count; k++)
        {
            var s = ws[k].Svd(false).S.ToArray().OrderByDescending(x => x).ToArray();
            Assert.Equal(s[0], report[$"layer.{k}.spectral"], 1e-10 * s[0]);
            Assert.Equal(EffectiveRank.FromSpectrum(s), report[$"layer.{k}.effective_rank"], 1e-9);
            Assert.Equal(NumericalRank.FromSpectrum(s, MeasureOptions.Probe.NumericalRankTolerance), report[$"layer.{k}.numerical_rank"]);
        }
    }

    [Fact]
    public void TwoThreadsGiveTheSameReportOnEveryRun()
    {
        var (model, data) = Net();
        var first = AtThreads(2, () => new MeasureSuite(MeasureOptions.Probe).Compute(model, data)).Values;
        for (int rep = 0; rep < 3; rep++)
        {
            var again = AtThreads(2, () => new MeasureSuite(MeasureOptions.Probe).Compute(model, data)).Values;
            Assert.Equal(first.OrderBy(kv => kv.Key), again.OrderBy(kv => kv.Key));
        }
    }

    [Fact]
    public void AForwardPassThatFailsBesideTheEigenproblemsIsStillReported()
    {
        var (model, _) = Net();
        var wrong = MeasureTestNets.Gaussian(20, 7, 4, 33);
        var ex = AtThreads(2, () => Assert.Throws<ArgumentException>(() => new MeasureSuite(MeasureOptions.Probe).Compute(model, wrong)));
        Assert.Contains("has 7 features, the model expects 90", ex.Message);
    }
}
