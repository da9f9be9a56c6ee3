using MathNet.Numerics.LinearAlgebra;
using static Gradscope.Tests.Cli.ArrayFiles;
using static Gradscope.Tests.Cli.MeasureCommandTests;

namespace Gradscope.Tests.Cli;

/// <summary>
/// The .npy arrays of <c>gradscope measure</c> (--spectra, --outputs, --balance-matrices) as a user reads them: the CLI runs as
/// a real process on a safetensors file built here, and every array is read back from disk by a .npy parser and a
/// safetensors parser of the tests (<see cref="ArrayFiles"/>, not the project's) and compared with a computation done in the test: MathNet's SVD
/// of the weight matrices read from the model file or of an explicit Toeplitz matrix, forward passes by plain loops in double
/// precision, balance matrices formed as explicit products.
/// </summary>
public class MeasureArrayFilesTests
{
    // ---- plain-loop forward passes ----

    private static double[] DenseLayer(double[] w, double[]? b, int rows, int cols, double[] x)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = b is null ? 0 : b[r];
            for (int c = 0; c < cols; c++) s += w[r * cols + c] * x[c];
            y[r] = s;
        }
        return y;
    }

    /// <summary>Conv2d (O, C, k, k) with stride and zero padding on a (C, H, W) input, by direct summation over the taps.</summary>
    private static double[] ConvLayer(double[] w, int o, int c, int k, int s, int p, double[] x, int h, int wd, out int ho, out int wo)
    {
        int oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
        var y = new double[o * oh * ow];
        for (int oc = 0; oc < o; oc++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double sum = 0;
                    for (int ic = 0; ic < c; ic++)
                        for (int u = 0; u < k; u++)
                            for (int v = 0; v < k; v++)
                            {
                                int r = i * s - p + u, q = j * s - p + v;
                                if (r >= 0 && r < h && q >= 0 && q < wd) sum += w[((oc * c + ic) * k + u) * k + v] * x[(ic * h + r) * wd + q];
                            }
                    y[(oc * oh + i) * ow + j] = sum;
                }
        ho = oh; wo = ow;
        return y;
    }

    private static double[] Relu(double[] v) => v.Select(a => Math.Max(0, a)).ToArray();

    private static double Margin(double[] z, int y) => z.Length == 1 ? (y == 1 ? z[0] : -z[0]) : z[y] - z.Where((_, j) => j != y).Max();

    private static double[] Singular(double[] w, int rows, int cols) => Matrix<double>.Build.Dense(rows, cols, (i, j) => w[i * cols + j]).Svd(false).S.ToArray();

    // ---- tests ----

    [Fact]
    public void MlpWithBiasesSpectraOutputsAndMarginsMatchMathNetAndAHandForwardPassInRowOrder()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        var rng = new Random(21);
        int[] widths = [4, 6, 5, 3];
        var ws = new double[3][]; var bs = new double[3][];
        for (int l = 0; l < 3; l++) { ws[l] = Gauss(rng, widths[l + 1] * widths[l], false); bs[l] = Gauss(rng, widths[l + 1], false).Select(v => 0.3 * v).ToArray(); }
        string w = dir.File("m.safetensors"), m = dir.File("m.yaml"), tr = dir.File("train.csv"), te = dir.File("test.csv"), o = dir.File("out.json");
        WriteSafetensors(w, [("0.weight", [6, 4], ws[0], "F64"), ("0.bias", [6], bs[0], "F64"), ("2.weight", [5, 6], ws[1], "F64"), ("2.bias", [5], bs[1], "F64"),
            ("4.weight", [3, 5], ws[2], "F64"), ("4.bias", [3], bs[2], "F64")]);
        File.WriteAllText(m, "input: [4]\nlayers:\n  - {type: dense, out: 6, bias: true}\n  - {type: relu}\n  - {type: dense, out: 5, bias: true}\n  - {type: relu}\n  - {type: dense, out: 3, bias: true}\n");
        // Rows in no particular order, labels not sorted: the arrays must follow the files' row order.
        var xTrain = Enumerable.Range(0, 37).Select(_ => Gauss(rng, 4, false)).ToArray();
        var yTrain = xTrain.Select((_, i) => (i * 7 + 2) % 3).ToArray();
        var xTest = Enumerable.Range(0, 11).Select(_ => Gauss(rng, 4, false)).ToArray();
        var yTest = xTest.Select((_, i) => (i * 5 + 1) % 3).ToArray();
        WriteCsv(tr, xTrain, yTrain); WriteCsv(te, xTest, yTest);
        var (code, _, err) = CliProcess.Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --test \"{te}\" --out \"{o}\" --spectra --outputs --balance-matrices");
        Assert.True(code == 0, err);

        // The weights as the model file holds them, read back by this file's own parser.
        var file = new[] { "0", "2", "4" }.Select(k => (W: ReadTensor(w, k + ".weight"), B: ReadTensor(w, k + ".bias"))).ToArray();
        Assert.Equal(ws[1], file[1].W);
        double[] Forward(double[] x)
        {
            var h = x;
            for (int l = 0; l < 3; l++)
            {
                h = DenseLayer(file[l].W, file[l].B, widths[l + 1], widths[l], h);
                if (l < 2) h = Relu(h);
            }
            return h;
        }
        foreach (var (name, x, y) in new[] { ("train", xTrain, yTrain), ("test", xTest, yTest) })
        {
            var z = NpyOf(o, $"{name}.outputs");
            Assert.Equal([x.Length, 3], z.Shape);
            var mg = NpyOf(o, $"{name}.margins");
            Assert.Equal([x.Length], mg.Shape);
            for (int i = 0; i < x.Length; i++)
            {
                var zi = Forward(x[i]);
                SameValues(zi, z.Data.AsSpan(i * 3, 3).ToArray(), 1e-12, $"{name}.outputs row {i}");
                Near(Margin(zi, y[i]), mg.Data[i], 1e-12, $"{name}.margins row {i}");
            }
        }
        // Singular values of each weight matrix: MathNet's SVD of the matrix read from the model file, descending.
        for (int k = 0; k < 3; k++)
        {
            var s = NpyOf(o, $"layer.{k}.singular_values");
            var expected = Singular(file[k].W, widths[k + 1], widths[k]);
            Assert.Equal([expected.Length], s.Shape);
            SameValues(expected, s.Data, 1e-12 * expected[0], $"layer.{k}.singular_values");
            Assert.False(Root(o).GetProperty("arrays").TryGetProperty($"layer.{k}.kernel_singular_values", out _)); // dense: one side only
        }
        // A ReLU net with biases: B_k is written (its trace is the scalar balance b_k), its norm key is for deep linear nets only.
        for (int k = 0; k < 2; k++)
        {
            var b = NpyOf(o, $"layer.{k}.balance_matrix_full");
            int n = widths[k + 1];
            Assert.Equal([n, n], b.Shape);
            SameValues(BalanceMatrix(file[k].W, file[k + 1].W, widths[k], n, widths[k + 2]), b.Data, 1e-12, $"B_{k}");
        }
        Assert.True(Root(o).GetProperty("omitted").TryGetProperty("layer.*.balance_matrix", out var why));
        Assert.Contains("deep linear", why.GetString());
    }

    [Fact]
    public void ConvNetOperatorSpectraAreThoseOfExplicitToeplitzMatricesAndOutputsThoseOfAHandConvolution()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        var rng = new Random(31);
        // conv(2 -> 3, k 3, stride 2, pad 1) on 2 x 6 x 6 -> 3 x 3 x 3; relu; conv(3 -> 2, k 2, stride 1, pad 0) -> 2 x 2 x 2; relu; dense(8 -> 1, bias)
        const int C0 = 2, H0 = 6, O1 = 3, K1 = 3, S1 = 2, P1 = 1, O2 = 2, K2 = 2;
        double[] w1 = Gauss(rng, O1 * C0 * K1 * K1, false), w2 = Gauss(rng, O2 * O1 * K2 * K2, false), w3 = Gauss(rng, 8, false), b3 = [0.25];
        string w = dir.File("c.safetensors"), m = dir.File("c.yaml"), tr = dir.File("train.csv"), te = dir.File("test.csv"), o = dir.File("c.json");
        WriteSafetensors(w, ("0.weight", [O1, C0, K1, K1], w1, true), ("2.weight", [O2, O1, K2, K2], w2, true), ("5.weight", [1, 8], w3, true), ("5.bias", [1], b3, true));
        File.WriteAllText(m, $"input: [{C0}, {H0}, {H0}]\nlayers:\n  - {{type: conv2d, out_channels: {O1}, kernel: {K1}, stride: {S1}, padding: {P1}}}\n  - {{type: relu}}\n"
            + $"  - {{type: conv2d, out_channels: {O2}, kernel: {K2}}}\n  - {{type: relu}}\n  - {{type: flatten}}\n  - {{type: dense, out: 1, bias: true}}\n");
        var xTrain = Enumerable.Range(0, 19).Select(_ => Gauss(rng, C0 * H0 * H0, false)).ToArray();
        var yTrain = xTrain.Select((_, i) => i % 3 == 0 ? 1 : 0).ToArray();
        var xTest = Enumerable.Range(0, 7).Select(_ => Gauss(rng, C0 * H0 * H0, false)).ToArray();
        var yTest = xTest.Select((_, i) => i % 2).ToArray();
        WriteCsv(tr, xTrain, yTrain); WriteCsv(te, xTest, yTest);
        var (code, _, err) = CliProcess.Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --test \"{te}\" --out \"{o}\" --spectra --outputs --balance-matrices");
        Assert.True(code == 0, err);

        double[] k1 = ReadTensor(w, "0.weight"), k2 = ReadTensor(w, "2.weight"), d3 = ReadTensor(w, "5.weight"), bias = ReadTensor(w, "5.bias");
        double Forward(double[] x)
        {
            var h1 = Relu(ConvLayer(k1, O1, C0, K1, S1, P1, x, H0, H0, out int ha, out int wa));
            var h2 = Relu(ConvLayer(k2, O2, O1, K2, 1, 0, h1, ha, wa, out _, out _));
            return DenseLayer(d3, bias, 1, 8, h2)[0];
        }
        foreach (var (name, x, y) in new[] { ("train", xTrain, yTrain), ("test", xTest, yTest) })
        {
            var z = NpyOf(o, $"{name}.outputs");
            Assert.Equal([x.Length, 1], z.Shape);
            var mg = NpyOf(o, $"{name}.margins");
            for (int i = 0; i < x.Length; i++)
            {
                double f = Forward(x[i]);
                Near(f, z.Data[i], 1e-12, $"{name}.outputs row {i}");
                Near(y[i] == 1 ? f : -f, mg.Data[i], 1e-12, $"{name}.margins row {i}");
            }
        }
        // Operator spectra: MathNet's SVD of the explicit Toeplitz matrices (27 x 72 and 8 x 27); kernel spectra of the reshaped kernels.
        var t1 = Gradscope.Tests.Measures.ExplicitToeplitz.Conv(k1, O1, C0, H0, H0, K1, S1, P1);
        var t2 = Gradscope.Tests.Measures.ExplicitToeplitz.Conv(k2, O2, O1, 3, 3, K2, 1, 0);
        Assert.Equal((27, 72), (t1.RowCount, t1.ColumnCount));
        foreach (var (k, t, kernel, rows, cols) in new[] { (0, t1, k1, O1, C0 * K1 * K1), (1, t2, k2, O2, O1 * K2 * K2) })
        {
            var s = NpyOf(o, $"layer.{k}.singular_values");
            var expected = t.Svd(false).S.ToArray();
            Assert.Equal([Math.Min(t.RowCount, t.ColumnCount)], s.Shape);
            SameValues(expected, s.Data, 1e-12 * expected[0], $"layer.{k}.singular_values");
            var ks = NpyOf(o, $"layer.{k}.kernel_singular_values");
            var kexp = Singular(kernel, rows, cols);
            SameValues(kexp, ks.Data, 1e-12 * kexp[0], $"layer.{k}.kernel_singular_values");
        }
        SameValues(Singular(d3, 1, 8), NpyOf(o, "layer.2.singular_values").Data, 1e-12, "layer.2.singular_values");
        // No balance matrices for a conv net: the reason names the conv layer.
        Assert.Contains("conv2d", Root(o).GetProperty("omitted").GetProperty("layer.*.balance_matrix_full").GetString());
    }
}
