using Gradscope.Claims;
using Gradscope.Measures;
using Gradscope.Training;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace Gradscope.Tests.Claims;

public class NonnegativeLeastSquaresTests
{
    // The NNLS optimum is the least-squares solution on its support, so it is the smallest residual over all supports
    // whose unconstrained solution is >= 0 (the empty support included): a brute-force enumeration of 2^n subsets.
    private static double BruteForce(Matrix<double> a, Vector<double> b)
    {
        int n = a.ColumnCount;
        double best = b.L2Norm();
        for (int mask = 1; mask < 1 << n; mask++)
        {
            var cols = Enumerable.Range(0, n).Where(j => (mask >> j & 1) == 1).ToArray();
            var sub = Matrix<double>.Build.Dense(a.RowCount, cols.Length, (i, k) => a[i, cols[k]]);
            if (sub.Rank() < cols.Length) continue;   // a dependent support is covered by one of its independent subsets
            var z = sub.PseudoInverse() * b;
            if (z.Any(v => v < -1e-12)) continue;
            best = Math.Min(best, (sub * z - b).L2Norm());
        }
        return best;
    }

    [Fact]
    public void MatchesTheEnumerationOfSupportsOnSeededProblems()
    {
        var rng = new Random(20261207);
        for (int trial = 0; trial < 300; trial++)
        {
            int m = 1 + rng.Next(8), n = 1 + rng.Next(6);
            var a = Matrix<double>.Build.Dense(m, n, (_, _) => rng.NextDouble() * 2 - 1);
            if (trial % 5 == 0 && n > 1) for (int i = 0; i < m; i++) a[i, n - 1] = 2 * a[i, 0];   // dependent columns
            Vector<double> b = trial % 7 == 0
                ? a * Vector<double>.Build.Dense(n, _ => rng.NextDouble())           // b inside the cone: residual 0
                : Vector<double>.Build.Dense(m, _ => rng.NextDouble() * 2 - 1);
            var (x, residual) = NonnegativeLeastSquares.Solve(a, b);
            Assert.All(x, v => Assert.True(v >= 0, $"trial {trial}: negative entry {v}"));
            Assert.Equal((a * Vector<double>.Build.DenseOfArray(x) - b).L2Norm(), residual, 12);
            Assert.True(Math.Abs(residual - BruteForce(a, b)) <= 1e-9 * (1 + b.L2Norm()), $"trial {trial} ({m} x {n}): NNLS {residual}, enumeration {BruteForce(a, b)}");
        }
    }

    [Fact]
    public void RejectsMismatchedOrNonFiniteInput()
    {
        var a = Matrix<double>.Build.Dense(3, 2, 1.0);
        Assert.Throws<ArgumentException>(() => NonnegativeLeastSquares.Solve(a, Vector<double>.Build.Dense(2)));
        a[1, 1] = double.NaN;
        Assert.Throws<ArgumentException>(() => NonnegativeLeastSquares.Solve(a, Vector<double>.Build.Dense(3)));
    }
}

public class KktResidualTests
{
    // A linear max-margin problem (q_i(w) = <w, y_i x_i>, degree 1) in R^3: the SVM solution of
    // min ||w||^2 s.t. 2 w1 >= 1, 2 w2 >= 1, 3 w1 + 3 w2 >= 1 is w* = (1/2, 1/2, 0) with multipliers (1/4, 1/4, 0).
    private static readonly double[] Gradients = [2, 0, 0, 0, 2, 0, 3, 3, 0];

    private static double[] LinearMargins(double[] w) =>
        Enumerable.Range(0, 3).Select(i => w[0] * Gradients[3 * i] + w[1] * Gradients[3 * i + 1] + w[2] * Gradients[3 * i + 2]).ToArray();

    [Theory]
    [InlineData(1.0)]
    [InlineData(7.0)]
    [InlineData(0.01)]
    public void SvmSolutionIsAnExactKktPointAtAnyScale(double scale)
    {
        double[] w = [0.5 * scale, 0.5 * scale, 0];
        var r = KktResidual.Of(w, LinearMargins(w), Gradients, 1);
        Assert.True(r.Residual < 1e-12, $"r = {r.Residual}");
        Assert.Equal(0.25, r.Multipliers[0], 10);
        Assert.Equal(0.25, r.Multipliers[1], 10);
        Assert.Equal(0, r.Multipliers[2], 10);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(3.0)]
    public void DirectionOutOfTheGradientSpanHasTheClosedFormResidual(double s)
    {
        // w = (1/2, 1/2, s): q = (1, 1, 3), feasible as it is; no margin gradient has a third component, and lambda =
        // (1/4, 1/4, 0) clears the rest with delta = 0, so r = eps = |s| / ||w||.
        double[] w = [0.5, 0.5, s];
        var r = KktResidual.Of(w, LinearMargins(w), Gradients, 1);
        Assert.Equal(s / Math.Sqrt(0.5 + s * s), r.Residual, 10);
        Assert.Equal(r.Residual, r.Epsilon, 10);
        Assert.Equal(0, r.Delta, 10);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.3)]
    public void ExcessMarginOfASupportPointIsPricedByDelta(double s)
    {
        // w = (1/2, 1/2 + s, 0): q = (1, 1 + 2s, 3 + 3s), theta~ = w, N^2 = ||w||^2. With lambda_3 = 0,
        // r^2 = [(1/2 - 2 l1)^2 + (1/2 + s - 2 l2)^2] / N^2 + (2 s l2 / N^2)^2, minimized at l1 = 1/4 and
        // l2 = (1/2 + s) / (2 + 2 s^2 / N^2) (setting the derivative in l2 to 0); lambda_3 > 0 only adds to both terms.
        double[] w = [0.5, 0.5 + s, 0];
        double n2 = 0.25 + (0.5 + s) * (0.5 + s);
        double l2 = (0.5 + s) / (2 + 2 * s * s / n2);
        double expected = Math.Sqrt(Math.Pow(0.5 + s - 2 * l2, 2) / n2 + Math.Pow(2 * s * l2 / n2, 2));
        var r = KktResidual.Of(w, LinearMargins(w), Gradients, 1);
        Assert.Equal(expected, r.Residual, 10);
        Assert.Equal(l2, r.Multipliers[1], 8);
        Assert.Equal(2 * s * l2 / n2, r.Delta, 8);
    }

    [Fact]
    public void InfeasibleDirectionIsNaN()
    {
        double[] w = [0.5, -0.5, 0];
        Assert.True(double.IsNaN(KktResidual.Of(w, LinearMargins(w), Gradients, 1).Residual));
    }

    private static Trainer<double> SmallNet() => new(TrainConfigYaml.Parse("""
        dtype: f64
        model: { mlp: { widths: [3, 8, 1], activation: relu }, init: { scheme: he } }
        data: { train: { name: separable, n: 8, d: 3, margin: 0.2, seed: 5 } }
        loss: { kind: exponential }
        algorithm: { name: loss_scaled_gd, eta: 0.05 }
        stop: { steps: 3000 }
        """, "kkt-test"));

    [Fact]
    public void NetResidualAgreesWithFiniteDifferenceGradientsAndIgnoresLayerScales()
    {
        var trainer = SmallNet();
        trainer.Run();
        var model = trainer.Model;
        var data = trainer.Train;
        var segments = WeightSegment.Of(model, out _);
        var flat = (double[])model.Flat.Clone();
        // V: every layer at unit Frobenius norm, then q_i = y_i f(x_i; V) and central differences of q_i.
        foreach (var s in segments)
        {
            double norm = Math.Sqrt(flat.AsSpan(s.Offset, s.Length).ToArray().Sum(v => v * v));
            for (int i = s.Offset; i < s.Offset + s.Length; i++) flat[i] /= norm;
        }
        int p = flat.Length, n = data.N;
        double[] Q(double[] theta)
        {
            theta.CopyTo(model.Flat, 0);
            return Margins.Raw(model, data);
        }
        var q = Q(flat);
        Assert.True(q.Min() > 0, "the trained test net must separate its data");
        var g = new double[n * p];
        const double h = 1e-6;
        for (int j = 0; j < p; j++)
        {
            var plus = (double[])flat.Clone(); plus[j] += h;
            var minus = (double[])flat.Clone(); minus[j] -= h;
            var qp = Q(plus); var qm = Q(minus);
            for (int i = 0; i < n; i++) g[i * p + j] = (qp[i] - qm[i]) / (2 * h);
        }
        var byDifferences = KktResidual.Of(flat, q, g, segments.Length);

        // The net's own weights, with the layers rescaled by unequal factors: the directions V are the same.
        var scaled = (double[])flat.Clone();
        for (int i = segments[0].Offset; i < segments[0].Offset + segments[0].Length; i++) scaled[i] *= 3.7;
        for (int i = segments[1].Offset; i < segments[1].Offset + segments[1].Length; i++) scaled[i] *= 0.2;
        scaled.CopyTo(model.Flat, 0);
        var viaNet = KktResidual.OfDirections(model, data);
        Assert.Equal(scaled, model.Flat);   // restored
        Assert.True(Math.Abs(viaNet.Residual - byDifferences.Residual) <= 1e-6 * (1 + byDifferences.Residual),
            $"net {viaNet.Residual} vs finite differences {byDifferences.Residual}");
        Assert.True(viaNet.Residual > 0 && viaNet.Residual < 1);
    }
}
