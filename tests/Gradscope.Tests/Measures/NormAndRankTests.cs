using Gradscope.Measures;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

public class NormAndRankTests
{
    [Fact]
    public void RankOneMatrixHasStableAndNumericalRankOne()
    {
        var rng = new Rng(3);
        var u = Vector<double>.Build.Dense(7, _ => rng.NextNormal());
        var v = Vector<double>.Build.Dense(5, _ => rng.NextNormal());
        var w = TestMatrices.Weight(u.OuterProduct(v));
        Assert.Equal(1.0, StableRank.Of(w), 8);
        Assert.Equal(1, NumericalRank.Of(w));
        Assert.Equal(1.0, EffectiveRank.Of(w), 6);
        // ||u v^T||_2 = ||u|| ||v|| = ||u v^T||_F
        Assert.Equal(u.L2Norm() * v.L2Norm(), SpectralNorm.Of(w), 9);
        Assert.Equal(u.L2Norm() * v.L2Norm(), FrobeniusNorm.Of(w), 9);
    }

    [Fact]
    public void OrthogonalMatrixHasSpectralNormOneAndStableRankN()
    {
        var q = TestMatrices.Gaussian(9, 9, 4).QR().Q;
        var w = TestMatrices.Weight(q);
        Assert.Equal(1.0, SpectralNorm.Of(w), 8);
        Assert.Equal(9.0, StableRank.Of(w), 6);
        Assert.Equal(9, NumericalRank.Of(w));
        Assert.Equal(9.0, EffectiveRank.Of(w), 8);
    }

    [Fact]
    public void PowerIterationMatchesFullSvd()
    {
        foreach (var (r, c, seed) in new[] { (30, 20, 5UL), (8, 50, 6UL), (64, 64, 7UL) })
        {
            var m = TestMatrices.Gaussian(r, c, seed);
            var w = TestMatrices.Weight(m);
            double svd = m.Svd(false).S[0];
            var top = SpectralNorm.PowerIteration(w);
            Assert.True(Math.Abs(top.Value - svd) <= 1e-7 * svd, $"{r}x{c}: power {top.Value} vs svd {svd}");
            // W v = s u
            var wv = m * Vector<double>.Build.DenseOfArray(top.Right);
            Assert.True((wv - top.Value * Vector<double>.Build.DenseOfArray(top.Left)).L2Norm() < 1e-3 * svd);
        }
    }

    [Fact]
    public void EffectiveRankOfHandSpectrum()
    {
        // p = (1/2, 1/4, 1/4): H = 1.5 ln 2, exp(H) = 2^1.5
        Assert.Equal(Math.Pow(2, 1.5), EffectiveRank.FromSpectrum([2, 1, 1, 0]), 12);
        Assert.Equal(2, NumericalRank.FromSpectrum([1, 0.5, 1e-9], 1e-6));
    }

    [Fact]
    public void SpectralComplexityOfHandCase()
    {
        // W1 = diag(3, 4) (2x2): s = 4, ||W^T||_{2,1} = 3 + 4 = 7; W2 = [1 1]: s = sqrt 2, (2,1) norm sqrt 2.
        var w1 = new WeightMatrix("0.weight", 0, 2, 2, [3, 0, 0, 4]);
        var w2 = new WeightMatrix("2.weight", 2, 1, 2, [1, 1]);
        double expected = 4 * Math.Sqrt(2) * Math.Pow(Math.Pow(7.0 / 4, 2.0 / 3) + 1, 1.5);
        Assert.Equal(expected, SpectralComplexity.Of([w1, w2]), 9);
        Assert.Equal(expected, SpectralComplexity.Of([w1, w2], fullSvd: true), 9);
        Assert.Equal(5 * Math.Sqrt(2), Rho.Of([w1, w2]), 12);
    }

    [Fact]
    public void BalanceAlignmentAndPathNormOfHandCase()
    {
        var m = MeasureTestNets.Mlp([2, 2, 1], bias: false, seed: 1);
        new double[] { 1, 2, 3, 4, 5, 6 }.CopyTo(m.Flat, 0); // W1 = [[1,2],[3,4]], W2 = [5, 6]
        var ws = WeightMatrix.Of(m);
        Assert.Equal(61.0 - 30.0, LayerBalance.Scalars(ws)[0], 12);
        // B = W2^T W2 - W1 W1^T = [[25,30],[30,36]] - [[5,11],[11,25]]
        var b = LayerBalance.Matrix(ws[0], ws[1]);
        Assert.Equal(20, b[0, 0], 10); Assert.Equal(19, b[0, 1], 10); Assert.Equal(11, b[1, 1], 10);
        // path norm^2 = sum_{i,j} W2_j^2 W1_ji^2 = 25 (1 + 4) + 36 (9 + 16) = 1025
        Assert.Equal(Math.Sqrt(1025), PathNorm.Of(m), 10);
        // alignment: v_1(W2) = (5,6)/|.|; u_1(W1) from MathNet SVD
        var svd = Matrix<double>.Build.DenseOfArray(new double[,] { { 1, 2 }, { 3, 4 } }).Svd(true);
        double expected = Math.Abs((5 * svd.U[0, 0] + 6 * svd.U[1, 0]) / Math.Sqrt(61));
        Assert.Equal(expected, Alignment.Of(ws[0], ws[1]), 8);
    }

    [Fact]
    public void EndToEndVectorOfLinearNetAndAngle()
    {
        var m = MeasureTestNets.Mlp([3, 4, 2, 1], bias: false, seed: 2, linear: true);
        var ws = WeightMatrix.Of(m).Select(w => w.ToMathNet()).ToArray();
        var expected = (ws[2] * ws[1] * ws[0]).Row(0);
        var w = EndToEnd.Vector(m);
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], w[i], 12);
        Assert.Equal(0, EndToEnd.Angle(w, w.Select(x => 2 * x).ToArray()), 6);
        Assert.Equal(Math.PI / 2, EndToEnd.Angle([1, 0], [0, 3]), 12);
        Assert.Throws<ArgumentException>(() => EndToEnd.Vector(MeasureTestNets.Mlp([3, 4, 1], false, 3)));
    }

    [Fact]
    public void BadShapesThrow()
    {
        Assert.Throws<ArgumentException>(() => new WeightMatrix("x", 0, 2, 3, new double[5]));
        var a = new WeightMatrix("a", 0, 2, 3, new double[6]);
        Assert.Throws<ArgumentException>(() => LayerBalance.Matrix(a, a));
        Assert.Throws<ArgumentException>(() => SpectralComplexity.From([1.0], [1.0, 2.0]));
    }
}
