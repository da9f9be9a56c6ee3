using Gradscope.Data;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Data;

/// <summary>Each synthetic generator's documented guarantee, checked independently.</summary>
public class SyntheticTests
{
    private static double MinMargin(Dataset d, double[] w)
    {
        double m = double.PositiveInfinity;
        for (int i = 0; i < d.N; i++)
        {
            double s = 0; var r = d.Row(i);
            for (int j = 0; j < d.D; j++) s += w[j] * r[j];
            m = Math.Min(m, (d.Y[i] == 1 ? 1 : -1) * s);
        }
        return m;
    }

    [Theory]
    [InlineData(50, 5, 0.5, 1)]
    [InlineData(200, 20, 0.1, 3)]
    public void SeparableDataHasMarginGammaAlongUAndUIsMaxMargin(int n, int d, double gamma, int pairs)
    {
        var s = SyntheticSeparable.Generate(n, d, gamma, seed: 42, supportPairs: pairs);
        Assert.Equal(1.0, Math.Sqrt(s.U.Sum(a => a * a)), 14);
        Assert.Equal(gamma, MinMargin(s.Data, s.U), 12);
        Assert.Equal(2 * pairs, s.SupportIndices.Length);
        Assert.Equal(n / 2, s.Data.Y.Count(v => v == 1));
        // No other unit direction does better: random directions and small perturbations of u
        var rng = new Rng(9);
        for (int t = 0; t < 200; t++)
        {
            var w = new double[d];
            double eps = t < 100 ? 1e-3 : 1.0;
            for (int j = 0; j < d; j++) w[j] = s.U[j] + eps * rng.NextNormal();
            double nrm = Math.Sqrt(w.Sum(a => a * a));
            for (int j = 0; j < d; j++) w[j] /= nrm;
            Assert.True(MinMargin(s.Data, w) < gamma + 1e-12, $"direction {t} beats u");
        }
        // Same seed, same data
        Assert.Equal(s.Data.X, SyntheticSeparable.Generate(n, d, gamma, seed: 42, supportPairs: pairs).Data.X);
    }

    [Fact]
    public void SeparableMaxMarginMatchesAnIndependentSolver()
    {
        // Hard-margin SVM through the origin by projected subgradient ascent on min_i y_i <w, x_i> over the unit ball
        var s = SyntheticSeparable.Generate(40, 3, 0.3, seed: 5);
        var w = new double[3] { 1, 1, 1 };
        for (int it = 1; it <= 20000; it++)
        {
            // subgradient of the min margin: y_i x_i of the worst sample
            int worst = 0; double m = double.PositiveInfinity;
            for (int i = 0; i < s.Data.N; i++)
            {
                double v = 0; var r = s.Data.Row(i);
                for (int j = 0; j < 3; j++) v += w[j] * r[j];
                v *= s.Data.Y[i] == 1 ? 1 : -1;
                if (v < m) { m = v; worst = i; }
            }
            var row = s.Data.Row(worst);
            double sign = s.Data.Y[worst] == 1 ? 1 : -1;
            for (int j = 0; j < 3; j++) w[j] += 0.5 / Math.Sqrt(it) * sign * row[j];
            double nrm = Math.Sqrt(w.Sum(a => a * a));
            if (nrm > 1) for (int j = 0; j < 3; j++) w[j] /= nrm;
        }
        double cos = w.Zip(s.U, (a, b) => a * b).Sum() / Math.Sqrt(w.Sum(a => a * a));
        Assert.True(cos > 0.999, $"solver direction has cosine {cos} with u");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void TeacherLabelsMatchAnIndependentForwardPass(int classes)
    {
        var t = SyntheticTeacher.Generate(300, 6, [8, 7], classes, seed: 3);
        var w = t.Weights.Select((wl, l) => Matrix<double>.Build.DenseOfRowMajor(l == 0 ? 8 : l == 1 ? 7 : (classes == 2 ? 1 : classes), l == 0 ? 6 : l == 1 ? 8 : 7, wl)).ToArray();
        var x = Matrix<double>.Build.DenseOfRowMajor(300, 6, t.Data.X).Transpose(); // (6, n)
        var h = (w[2] * (w[1] * (w[0] * x).PointwiseMaximum(0)).PointwiseMaximum(0)).Transpose(); // (n, out)
        for (int i = 0; i < 300; i++)
        {
            int expected = classes == 2 ? (h[i, 0] > 0 ? 1 : 0) : h.Row(i).MaximumIndex();
            Assert.Equal(expected, t.Data.Y[i]);
            Assert.Equal(h[i, 0], t.Outputs[i * (classes == 2 ? 1 : classes)], 12);
        }
        Assert.True(t.Data.Y.Distinct().Count() >= 2);
    }

    [Fact]
    public void CompositionalTreeEvaluatesTheDocumentedFormula()
    {
        var data = SyntheticCompositional.Generate(64, depth: 2, NodeFunction.Tanh, seed: 1);
        var tree = data.Tree;
        var c = tree.Coefficients;
        for (int i = 0; i < 64; i++)
        {
            var x = data.Data.Row(i);
            double l = Math.Tanh(c[0][0] * x[0] + c[0][1] * x[1]);
            double r = Math.Tanh(c[1][0] * x[2] + c[1][1] * x[3]);
            double f = Math.Tanh(c[2][0] * l + c[2][1] * r);
            Assert.Equal(f, data.Targets[i], 14);
            Assert.Equal(f > 0 ? 1 : 0, data.Data.Y[i]);
        }
    }

    [Fact]
    public void CompositionalPolynomialIsBoundedAndQuantileClassesBalanced()
    {
        var data = SyntheticCompositional.Generate(300, depth: 4, NodeFunction.Polynomial, seed: 2, TargetToClass.Quantile, classes: 3);
        Assert.Equal(16, data.Data.D);
        Assert.All(data.Targets, f => Assert.InRange(f, -1, 1));
        for (int k = 0; k < 3; k++) Assert.Equal(100, data.Data.Y.Count(v => v == k));
        // classes are ordered by target: every class-0 target is below every class-1 target
        Assert.True(data.Targets.Where((_, i) => data.Data.Y[i] == 0).Max() <= data.Targets.Where((_, i) => data.Data.Y[i] == 1).Min());
        Assert.Equal(data.Tree.Evaluate(data.Data.Row(0)), data.Targets[0]);
        Assert.Throws<ArgumentException>(() => SyntheticCompositional.Generate(10, 3, NodeFunction.Tanh, 1, TargetToClass.Sign, classes: 3));
    }

    [Fact]
    public void CompositionalGridLayoutPutsEachDepthTwoSubtreeInATwoByTwoBlock()
    {
        var leaves = SyntheticCompositional.Generate(20, depth: 4, NodeFunction.Tanh, seed: 3, sampleSeed: 9);
        var grid = SyntheticCompositional.Generate(20, depth: 4, NodeFunction.Tanh, seed: 3, sampleSeed: 9, layout: LeafLayout.Grid);
        Assert.Equal(new[] { 1, 4, 4 }, grid.Data.SampleShape);
        Assert.Equal(leaves.Data.Y, grid.Data.Y);
        Assert.Equal(leaves.Targets, grid.Targets);
        // Z order on a 4 x 4 image, written out by hand: block (rows 0-1, cols 0-1) holds leaves 0..3, block (0-1, 2-3) leaves 4..7,
        // block (2-3, 0-1) leaves 8..11, block (2-3, 2-3) leaves 12..15; inside a block the siblings (2j, 2j + 1) are side by side.
        int[] expected = [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15];
        Assert.Equal(expected, SyntheticCompositional.GridLeaves(4));
        for (int i = 0; i < 20; i++)
            for (int p = 0; p < 16; p++) Assert.Equal(leaves.Data.Row(i)[expected[p]], grid.Data.Row(i)[p]);
        Assert.Throws<ArgumentException>(() => SyntheticCompositional.Generate(10, 3, NodeFunction.Tanh, 1, layout: LeafLayout.Grid));
    }

    [Fact]
    public void LeastSquaresMinNormSolutionMatchesPseudoInverse()
    {
        var p = SyntheticLeastSquares.Generate(10, 30, seed: 4, noise: 0.1);
        var a = Matrix<double>.Build.DenseOfRowMajor(10, 30, p.A);
        var pinv = a.PseudoInverse(); // SVD-based, independent of the Cholesky solve
        var expected = pinv * Vector<double>.Build.DenseOfArray(p.B);
        for (int j = 0; j < 30; j++) Assert.Equal(expected[j], p.MinNormSolution[j], 10);
        Assert.All(p.Residual(p.MinNormSolution), r => Assert.Equal(0, r, 10));
        Assert.Throws<ArgumentException>(() => SyntheticLeastSquares.Generate(30, 30, 1));
    }
}
