using Gradscope.Measures;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures;

public class NeuralCollapseTests
{
    // Simplex ETF in R^C: mu_c = e_c - 1/C, rotated into R^p by a random orthonormal map, shifted by an offset.
    private static (double[] h, int[] y, double[] m) Etf(int c, int p, int perClass, double noise, ulong seed)
    {
        var rng = new Rng(seed);
        var q = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(p, c, (_, _) => rng.NextNormal()).QR().Q; // p x p
        var offset = Enumerable.Range(0, p).Select(_ => rng.NextNormal()).ToArray();
        var means = new double[c * p];
        for (int k = 0; k < c; k++)
            for (int j = 0; j < p; j++)
            {
                double s = 0;
                for (int a = 0; a < c; a++) s += q[j, a] * ((a == k ? 1 : 0) - 1.0 / c);
                means[k * p + j] = s;
            }
        int n = c * perClass;
        var h = new double[n * p]; var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % c;
            for (int j = 0; j < p; j++) h[i * p + j] = offset[j] + means[y[i] * p + j] + noise * rng.NextNormal();
        }
        return (h, y, means);
    }

    [Fact]
    public void SimplexEtfWithoutScatterIsFullyCollapsed()
    {
        int c = 4, p = 7;
        var (h, y, means) = Etf(c, p, 5, 0, 1);
        // W_L = M^T: row k = mu_k - mu_G = means[k] (the ETF means are centred).
        var pred = (int[])y.Clone();
        var r = NeuralCollapse.Compute(h, y, c, means, pred);
        Assert.True(r.NC1 < 1e-20, $"NC1 {r.NC1}");
        Assert.True(r.NC2Equinorm < 1e-12, $"equinorm {r.NC2Equinorm}");
        Assert.True(r.NC2Equiangularity < 1e-12, $"equiangularity {r.NC2Equiangularity}");
        Assert.True(r.NC3 < 1e-20, $"NC3 {r.NC3}");
        Assert.Equal(0.0, r.NC4);
    }

    [Fact]
    public void NC1MatchesDirectPseudoInverseWithScatter()
    {
        int c = 3, p = 5;
        var (h, y, _) = Etf(c, p, 10, 0.3, 2);
        var r = NeuralCollapse.Compute(h, y, c);
        // direct: Sigma_W, Sigma_B as p x p matrices, pinv by MathNet (eigenvalues < 1e-10 of largest dropped)
        int n = y.Length;
        var H = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, p, (i, j) => h[i * p + j]);
        var muG = H.ColumnSums() / n;
        var mus = Enumerable.Range(0, c).Select(k => Enumerable.Range(0, n).Where(i => y[i] == k).Select(i => H.Row(i)).Aggregate((a, b) => a + b) / (n / c)).ToArray();
        var sw = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(p, p);
        for (int i = 0; i < n; i++) { var d = H.Row(i) - mus[y[i]]; sw += d.OuterProduct(d); }
        sw /= n;
        var sb = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(p, p);
        foreach (var mu in mus) { var d = mu - muG; sb += d.OuterProduct(d); }
        sb /= c;
        var evd = sb.Evd();
        double max = evd.EigenValues.Max(e => e.Real);
        var pinv = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(p, p);
        for (int k = 0; k < p; k++)
        {
            double e = evd.EigenValues[k].Real;
            if (e > 1e-10 * max) pinv += evd.EigenVectors.Column(k).OuterProduct(evd.EigenVectors.Column(k)) / e;
        }
        double expected = (sw * pinv).Trace() / c;
        Assert.True(Math.Abs(r.NC1 - expected) < 1e-9 * expected, $"NC1 {r.NC1} vs {expected}");
        Assert.True(r.NC1 > 0.01);
    }

    [Fact]
    public void EquinormAndNc4ByHand()
    {
        // Two classes in R^1: means -1 and +3 (global mean 1): norms 2 and 2 -> equinorm 0; cos = -1 -> equiangularity 0.
        var r = NeuralCollapse.Compute([-1.0, 3.0], [0, 1], 2, predictions: [1, 1]);
        Assert.Equal(0, r.NC2Equinorm, 12);
        Assert.Equal(0, r.NC2Equiangularity, 12);
        Assert.Equal(0.5, r.NC4);
        // Three classes: means 0, 0, 3 in R^1 -> centred -1, -1, 2: norms 1,1,2 (mean 4/3, std sqrt(2)/3)
        var r3 = NeuralCollapse.Compute([0.0, 0.0, 3.0], [0, 1, 2], 3);
        Assert.Equal(Math.Sqrt(2) / 4, r3.NC2Equinorm, 12);
    }

    [Fact]
    public void BinaryNetIsRejectedAndLayerIsSelectable()
    {
        var data = MeasureTestNets.Gaussian(12, 4, 3, 5);
        var m = MeasureTestNets.Mlp([4, 6, 5, 3], bias: false, seed: 6);
        var last = NeuralCollapse.Of(m, data);
        Assert.NotNull(last.NC3);
        var first = NeuralCollapse.Of(m, data, layer: 2);
        Assert.Null(first.NC3);
        var bin = MeasureTestNets.Mlp([4, 6, 1], bias: false, seed: 6);
        Assert.Throws<ArgumentException>(() => NeuralCollapse.Of(bin, MeasureTestNets.Gaussian(12, 4, 2, 5)));
    }
}
