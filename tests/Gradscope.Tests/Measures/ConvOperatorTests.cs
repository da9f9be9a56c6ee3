using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Measures;

/// <summary>
/// Explicit dense-equivalent (Toeplitz) matrices of conv and locally connected layers, built here by looping over
/// output positions and taps, independently of the library's operators.
/// </summary>
internal static class ExplicitToeplitz
{
    /// <summary>
    /// M (O oh ow, C H W) of a conv with weight w (O, C, k, k): M[(o, i, j), (c, i s - p + u, j s - p + v)] = w[o, c, u, v]
    /// for taps inside the input.
    /// </summary>
    public static Matrix<double> Conv(double[] w, int o, int c, int h, int wd, int k, int s, int p) =>
        Build(o, c, h, wd, k, s, p, (pos, oc, ic, u, v) => w[((oc * c + ic) * k + u) * k + v]);

    /// <summary>M of a locally connected layer with weight w (P, O, C k k): the filter of position pos = i ow + j.</summary>
    public static Matrix<double> Local(double[] w, int o, int c, int h, int wd, int k, int s, int p) =>
        Build(o, c, h, wd, k, s, p, (pos, oc, ic, u, v) => w[(pos * o + oc) * (c * k * k) + (ic * k + u) * k + v]);

    private static Matrix<double> Build(int o, int c, int h, int wd, int k, int s, int p, Func<int, int, int, int, int, double> tap)
    {
        int oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
        var m = Matrix<double>.Build.Dense(o * oh * ow, c * h * wd);
        for (int oc = 0; oc < o; oc++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ic = 0; ic < c; ic++)
                        for (int u = 0; u < k; u++)
                            for (int v = 0; v < k; v++)
                            {
                                int row = i * s - p + u, col = j * s - p + v;
                                if (row < 0 || row >= h || col < 0 || col >= wd) continue;
                                m[(oc * oh + i) * ow + j, (ic * h + row) * wd + col] += tap(i * ow + j, oc, ic, u, v);
                            }
        return m;
    }

    /// <summary>sum over rows of the row's Euclidean norm: ||M^T||_{2,1}.</summary>
    public static double RowSum21(Matrix<double> m) => m.EnumerateRows().Sum(r => r.L2Norm());

    /// <summary>Largest singular value by MathNet's SVD.</summary>
    public static double Spectral(Matrix<double> m) => m.Svd(false).S.Maximum();
}

public class ConvOperatorTests
{
    public static IEnumerable<object[]> Cases()
    {
        int[][] channels = [[1, 1], [3, 4], [4, 2]];
        int[][] inputs = [[7, 9], [10, 6]];
        int n = 0;
        foreach (var ch in channels)
            foreach (int s in new[] { 1, 2 })
                foreach (int p in new[] { 0, 1, 2 })
                    foreach (int k in new[] { 3, 5 })
                    {
                        var hw = inputs[n++ % 2];
                        yield return [ch[0], ch[1], hw[0], hw[1], k, s, p];
                    }
    }

    private static void AssertRelative(double expected, double actual, double tol, string what)
        => Assert.True(Math.Abs(expected - actual) <= tol * Math.Abs(expected), $"{what}: {actual:R} vs {expected:R} (relative {Math.Abs(expected - actual) / Math.Abs(expected):G3})");

    /// <summary>Forward and adjoint maps, norms and the explicit matrix of an operator against M.</summary>
    internal static void CheckOperator(LayerOperator op, Matrix<double> m, ulong seed)
    {
        Assert.Equal((m.RowCount, m.ColumnCount), (op.Rows, op.Cols));
        var rng = new Rng(seed);
        var x = Enumerable.Range(0, op.Cols).Select(_ => rng.NextNormal()).ToArray();
        var y = Enumerable.Range(0, op.Rows).Select(_ => rng.NextNormal()).ToArray();
        var tx = new double[op.Rows]; var ty = new double[op.Cols];
        op.Apply(x, tx);
        op.ApplyTranspose(y, ty);
        var mx = m * Vector<double>.Build.DenseOfArray(x);
        var my = m.TransposeThisAndMultiply(Vector<double>.Build.DenseOfArray(y));
        Assert.True((mx - Vector<double>.Build.DenseOfArray(tx)).L2Norm() <= 1e-12 * mx.L2Norm(), "T x");
        Assert.True((my - Vector<double>.Build.DenseOfArray(ty)).L2Norm() <= 1e-12 * my.L2Norm(), "T^T y");
        AssertRelative(m.FrobeniusNorm(), op.Frobenius(), 1e-12, "||T||_F");
        AssertRelative(ExplicitToeplitz.RowSum21(m), op.RowSum21(), 1e-12, "||T^T||_{2,1}");
        double s1 = ExplicitToeplitz.Spectral(m);
        AssertRelative(s1, OperatorNorm.Top(op).Value, 1e-12, "||T||_2 (Lanczos)");
        AssertRelative(s1, OperatorNorm.PowerIteration(op, 1e-12).Value, 1e-9, "||T||_2 (power iteration)");
        var t = op.ToMatrix();
        double diff = 0;
        for (int i = 0; i < op.Rows; i++) for (int j = 0; j < op.Cols; j++) diff = Math.Max(diff, Math.Abs(t.Data[i * op.Cols + j] - m[i, j]));
        Assert.True(diff <= 1e-15 * m.Enumerate().Max(Math.Abs), $"explicit T differs by {diff}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvOperatorMatchesExplicitToeplitzMatrix(int cin, int cout, int h, int w, int k, int s, int p)
    {
        var conv = new Conv2d<double>(cin, cout, k, s, p);
        Init.FillNormal(conv.Weight.Value.Span, new Rng((ulong)(cin * 1000 + cout * 100 + k * 10 + s + p * 7)), 1.0);
        var op = ConvOperator.Create(conv, [cin, h, w]);
        var m = ExplicitToeplitz.Conv(conv.Weight.Value.Span.ToArray(), cout, cin, h, w, k, s, p);
        CheckOperator(op, m, 17);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LocallyConnectedOperatorMatchesExplicitMatrix(int cin, int cout, int h, int w, int k, int s, int p)
    {
        var lc = new LocallyConnected2d<double>([cin, h, w], cout, k, s, p);
        Init.FillNormal(lc.Weight.Value.Span, new Rng((ulong)(cin * 1000 + cout * 100 + k * 10 + s + p * 7 + 5)), 1.0);
        var op = LocallyConnectedOperator.Create(lc);
        var m = ExplicitToeplitz.Local(lc.Weight.Value.Span.ToArray(), cout, cin, h, w, k, s, p);
        CheckOperator(op, m, 19);
    }

    [Fact]
    public void OperatorsOfAModelFollowItsWeightsAndShapes()
    {
        var conv = new Conv2d<double>(2, 3, 3, 2, 1);
        var lc = new LocallyConnected2d<double>([3, 4, 3], 2, 3, 1, 1);
        var m = new Sequential<double>([2, 7, 6], conv, new Relu<double>(), lc, new Relu<double>(), new Dense<double>(24, 5));
        Init.Apply(m, InitScheme.He, new Rng(9));
        var ops = LayerOperator.Of(m);
        Assert.Equal(["conv2d", "locally_connected2d", "dense"], ops.Select(o => o.Kind));
        Assert.Equal([(36, 84), (24, 36), (5, 24)], ops.Select(o => (o.Rows, o.Cols)));
        Assert.Equal([false, false, true], ops.Select(o => o.IsKernelMatrix));
        CheckOperator(ops[0], ExplicitToeplitz.Conv(conv.Weight.Value.Span.ToArray(), 3, 2, 7, 6, 3, 2, 1), 3);
        CheckOperator(ops[1], ExplicitToeplitz.Local(lc.Weight.Value.Span.ToArray(), 2, 3, 4, 3, 3, 1, 1), 4);
        var wd = m.Weights[2].Value;
        CheckOperator(ops[2], Matrix<double>.Build.Dense(5, 24, (i, j) => wd[i, j]), 5);
        var t = new[]
        {
            ExplicitToeplitz.Conv(conv.Weight.Value.Span.ToArray(), 3, 2, 7, 6, 3, 2, 1),
            ExplicitToeplitz.Local(lc.Weight.Value.Span.ToArray(), 2, 3, 4, 3, 3, 1, 1),
            Matrix<double>.Build.Dense(5, 24, (i, j) => wd[i, j]),
        };
        var sv = t.Select(ExplicitToeplitz.Spectral).ToArray();
        double r = sv.Aggregate(1.0, (a, b) => a * b) * Math.Pow(Enumerable.Range(0, 3).Sum(k => Math.Pow(ExplicitToeplitz.RowSum21(t[k]) / sv[k], 2.0 / 3)), 1.5);
        AssertRelative(r, SpectralComplexity.OfOperators(ops), 1e-11, "R of the operators");
        AssertRelative(t.Aggregate(1.0, (a, b) => a * b.FrobeniusNorm()), Rho.OfOperators(ops), 1e-12, "rho of the operators");
    }

    [Fact]
    public void LanczosIsDeterministicAndWarmStartsConverge()
    {
        var conv = new Conv2d<double>(3, 4, 3, 1, 1);
        Init.FillNormal(conv.Weight.Value.Span, new Rng(21), 1.0);
        var op = ConvOperator.Create(conv, [3, 12, 11]);
        var a = OperatorNorm.Top(op);
        var b = OperatorNorm.Top(op);
        Assert.Equal(a.Value, b.Value);
        Assert.Equal(a.Right, b.Right);
        // T v_1 = s_1 u_1 and T^T u_1 = s_1 v_1 for the returned triple
        var tu = new double[op.Cols];
        op.ApplyTranspose(a.Left, tu);
        double res = 0;
        for (int j = 0; j < op.Cols; j++) res = Math.Max(res, Math.Abs(tu[j] - a.Value * a.Right[j]));
        Assert.True(res <= 1e-5 * a.Value, $"residual {res}");
        var warm = OperatorNorm.Top(op, start: a.Right);
        Assert.True(warm.Iterations < a.Iterations, $"{warm.Iterations} vs {a.Iterations}");
        Assert.Equal(a.Value, warm.Value, 12);
        var explicitTop = ExplicitToeplitz.Spectral(ExplicitToeplitz.Conv(conv.Weight.Value.Span.ToArray(), 4, 3, 12, 11, 3, 1, 1));
        Assert.True(Math.Abs(explicitTop - a.Value) <= 1e-12 * explicitTop);
        // every iterate is a lower bound of ||T||_2, also when stopped early
        Assert.True(OperatorNorm.PowerIteration(op, maxIterations: 3).Value <= explicitTop * (1 + 1e-15));
        Assert.True(OperatorNorm.Top(op, maxSteps: 3).Value <= explicitTop * (1 + 1e-15));
    }

    [Fact]
    public void RestartedLanczosWithASmallBasisReachesTheSameNorm()
    {
        var conv = new Conv2d<double>(2, 3, 3, 1, 1);
        Init.FillNormal(conv.Weight.Value.Span, new Rng(23), 1.0);
        var op = ConvOperator.Create(conv, [2, 9, 8]);
        double expected = ExplicitToeplitz.Spectral(ExplicitToeplitz.Conv(conv.Weight.Value.Span.ToArray(), 3, 2, 9, 8, 3, 1, 1));
        // at most 12 basis vectors per cycle: the run restarts from its Ritz vector
        var twelve = OperatorNorm.Top(op, maxSteps: 4000, maxBasisDoubles: 12 * op.Cols);
        Assert.True(twelve.Iterations > 12, $"{twelve.Iterations} steps");
        Assert.True(Math.Abs(twelve.Value - expected) <= 1e-12 * expected, $"{twelve.Value:R} vs {expected:R}");
    }

    [Fact]
    public void ZeroOperatorHasZeroNorms()
    {
        var conv = new Conv2d<double>(1, 2, 3, 1, 0);
        var op = ConvOperator.Create(conv, [1, 5, 5]);
        Assert.Equal(0, op.Frobenius());
        Assert.Equal(0, op.RowSum21());
        Assert.Equal(0, OperatorNorm.PowerIteration(op).Value);
        Assert.Equal(0, OperatorNorm.Top(op).Value);
    }
}
