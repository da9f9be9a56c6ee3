using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Cli;

/// <summary>
/// gradscope measure as a real process on networks written by hand in PyTorch's nn.Sequential state_dict layout
/// (safetensors bytes built here, independently of Gradscope's writer); every number is checked against a computation
/// done in the test (hand forward passes, explicit Toeplitz matrices, closed forms).
/// </summary>
public class MeasureCommandTests
{
    private static (int Code, string Out, string Err) Run(string args) => CliProcess.Run(args);

    /// <summary>8-byte little-endian header length, the JSON header (with torch's "__metadata__"), then the raw little-endian values.</summary>
    internal static void WriteSafetensors(string path, params (string Name, int[] Shape, double[] Values, bool F64)[] tensors) =>
        WriteSafetensors(path, tensors.Select(t => (t.Name, t.Shape, t.Values, t.F64 ? "F64" : "F32")).ToArray());

    internal static void WriteSafetensors(string path, (string Name, int[] Shape, double[] Values, string DType)[] tensors)
    {
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        var data = new List<byte>();
        foreach (var (name, shape, values, dtype) in tensors)
        {
            int size = dtype == "F32" ? 4 : 8;
            var b = new byte[values.Length * size];
            for (int i = 0; i < values.Length; i++)
                if (dtype == "F64") BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(i * 8), values[i]);
                else if (dtype == "I64") BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(i * 8), (long)values[i]);
                else BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), (float)values[i]);
            header.Append($",\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{data.Count},{data.Count + b.Length}]}}");
            data.AddRange(b);
        }
        header.Append('}');
        var h = Encoding.UTF8.GetBytes(header.ToString());
        var bytes = new byte[8 + h.Length + data.Count];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        File.WriteAllBytes(path, bytes);
    }

    internal static void WriteCsv(string path, double[][] x, int[] y)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", Enumerable.Range(0, x[0].Length).Select(j => "x" + j)) + ",y");
        for (int i = 0; i < x.Length; i++)
            sb.AppendLine(string.Join(",", x[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "," + y[i]);
        File.WriteAllText(path, sb.ToString());
    }

    // Values exactly representable in float32, so the F32 file and the test's float64 arithmetic agree.
    internal static double[] Gauss(Random r, int n, bool f32) =>
        Enumerable.Range(0, n).Select(_ =>
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
            return f32 ? (double)(float)g : g;
        }).ToArray();

    private static double[] MatVec(double[] w, int rows, int cols, double[] x)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) y[r] += w[r * cols + c] * x[c];
        return y;
    }

    private static double[] Relu(double[] v) => v.Select(a => Math.Max(0, a)).ToArray();
    private static double Norm(double[] v) => Math.Sqrt(v.Sum(a => a * a));
    private static Values Measures(string json) => new(JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("measures"), Omitted(json));

    /// <summary>The "measures" object; a missing key fails with the reasons the JSON gives for omitted keys.</summary>
    private sealed class Values(JsonElement measures, Dictionary<string, string> omitted)
    {
        public JsonElement GetProperty(string key) => measures.TryGetProperty(key, out var e) ? e
            : throw new Xunit.Sdk.XunitException($"measure '{key}' missing; omitted: {string.Join("; ", omitted.Select(p => p.Key + ": " + p.Value))}");
        public bool TryGetProperty(string key, out JsonElement e) => measures.TryGetProperty(key, out e);
    }
    private static Dictionary<string, string> Omitted(string json) =>
        JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("omitted").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    private static void Close(double expected, double actual, double rel = 1e-9) =>
        Assert.True(Math.Abs(expected - actual) <= rel * Math.Max(1e-12, Math.Abs(expected)), $"expected {expected}, got {actual}");

    private const string MlpYaml = "input: [3]\nlayers:\n  - {type: dense, out: 5}\n  - {type: relu}\n  - {type: dense, out: 3}\n";

    [Fact]
    public void MulticlassMlpF32MatchesHandComputations()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        var rng = new Random(7);
        double[] w1 = Gauss(rng, 15, true), w2 = Gauss(rng, 15, true);
        int n = 40;
        double[] Net(double[] xi) => MatVec(w2, 3, 5, Relu(MatVec(w1, 5, 3, xi)));
        double Margin(double[] zi, int yi) => zi[yi] - zi.Where((_, j) => j != yi).Max();
        // inputs that switch every hidden unit off give z = 0 and a zero margin; keep points with a clear argmax
        var x = Enumerable.Range(0, 400).Select(_ => Gauss(rng, 3, false)).Where(xi => { var zi = Net(xi); return Margin(zi, Array.IndexOf(zi, zi.Max())) > 1e-3; }).Take(n).ToArray();
        Assert.Equal(n, x.Length);
        var z = x.Select(Net).ToArray();
        var y = z.Select(zi => Array.IndexOf(zi, zi.Max())).ToArray(); // labels the net gets right: every margin > 0
        Assert.Equal(3, y.Distinct().Count());
        var margins = z.Select((zi, i) => Margin(zi, y[i])).ToArray();
        // a test set with labels shifted on the first 10 points: test error 10 / 40
        var yTest = y.Select((v, i) => i < 10 ? (v + 1) % 3 : v).ToArray();

        string w = dir.File("mlp.safetensors"), m = dir.File("mlp.yaml"), tr = dir.File("train.csv"), te = dir.File("test.csv"), o = dir.File("r.json");
        WriteSafetensors(w, ("0.weight", [5, 3], w1, false), ("2.weight", [3, 5], w2, false));
        File.WriteAllText(m, MlpYaml);
        WriteCsv(tr, x, y); WriteCsv(te, x, yTest);
        var (code, output, err) = Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --test \"{te}\" --out \"{o}\" --margins");
        Assert.True(code == 0, err);
        Assert.Contains("rho", output);
        var v = Measures(o);

        double f1 = Norm(w1), f2 = Norm(w2), rho = f1 * f2;
        Close(rho, v.GetProperty("rho").GetDouble());
        Close(f1, v.GetProperty("layer.0.frobenius").GetDouble());
        Close(f2 * f2 - f1 * f1, v.GetProperty("layer.0.balance").GetDouble());
        Close(margins.Min(), v.GetProperty("margin.min").GetDouble());
        Close(margins.Min() / rho, v.GetProperty("gamma_min").GetDouble());
        Assert.Equal(0.0, v.GetProperty("train_error").GetDouble());
        Close(0.25, v.GetProperty("test_error").GetDouble());
        // spectral norm and stable rank against MathNet's SVD of the matrix built here
        var s1 = Matrix<double>.Build.Dense(5, 3, (r, c) => w1[r * 3 + c]).Svd(false).S;
        Close(s1[0], v.GetProperty("layer.0.spectral").GetDouble(), 1e-8);
        Close(f1 * f1 / (s1[0] * s1[0]), v.GetProperty("layer.0.stable_rank").GetDouble(), 1e-8);
        // path norm: the sum over the 3 x 5 x 3 input-output paths of the product of squared weights, square-rooted
        double paths = 0;
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) for (int k = 0; k < 3; k++) paths += w1[j * 3 + i] * w1[j * 3 + i] * w2[k * 5 + j] * w2[k * 5 + j];
        Close(Math.Sqrt(paths), v.GetProperty("path_norm").GetDouble());
        // Frobenius-product bound B (sqrt(2 L ln 2) + 1) rho / (sqrt(n) gamma) with gamma the minimum raw margin
        double b = x.Max(Norm);
        Close(b * (Math.Sqrt(2 * 2 * Math.Log(2)) + 1) * rho / (Math.Sqrt(n) * margins.Min()), v.GetProperty("bound.frobenius_product").GetDouble());
        Close(Math.Sqrt(30 * 2 * Math.Log(30) / n), v.GetProperty("bound.vc").GetDouble());
        foreach (var key in new[] { "nc1", "nc2_equinorm", "nc2_equiangularity", "nc3", "nc4", "spectral_complexity", "bound.bft", "margin_spectral.q50" })
            Assert.True(v.TryGetProperty(key, out _), key);
        // --margins: the sorted margin distributions (empirical CDFs)
        var dist = JsonDocument.Parse(File.ReadAllText(o)).RootElement.GetProperty("margin_distribution");
        var sorted = margins.OrderBy(a => a).ToArray();
        var raw = dist.GetProperty("raw").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var byRho = dist.GetProperty("rho").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < n; i++) { Close(sorted[i], raw[i]); Close(sorted[i] / rho, byRho[i]); }
        var om = Omitted(o);
        Assert.Contains("conv", om["bound.conv_*"]);
        Assert.Contains("--ntk", om["ntk.*"]);
    }

    [Fact]
    public void BinaryRankOneNetF64ReadsLabelsAsPlusMinusOneAndOmitsCollapse()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        double[] u = [1, -2, 0.5, 3], vv = [2, 1, -1];
        var w1 = new double[12];
        for (int r = 0; r < 4; r++) for (int c = 0; c < 3; c++) w1[r * 3 + c] = u[r] * vv[c]; // rank one: stable rank 1, ||W||_2 = |u| |v|
        double[] w2 = [0.5, -1, 2, 1];
        var rng = new Random(3);
        int n = 20;
        var x = Enumerable.Range(0, n).Select(_ => Gauss(rng, 3, false)).ToArray();
        var f = x.Select(xi => MatVec(w2, 1, 4, Relu(MatVec(w1, 4, 3, xi)))[0]).ToArray();
        var y = f.Select(a => a > 0 ? 1 : 0).ToArray();
        y[0] = 1 - y[0]; // one wrong label: its margin y f(x) with y in {-1, +1} is negative
        var margins = f.Select((a, i) => (y[i] == 1 ? 1 : -1) * a).ToArray();

        string w = dir.File("bin.safetensors"), m = dir.File("bin.yaml"), tr = dir.File("train.csv"), o = dir.File("r.json");
        WriteSafetensors(w, ("0.weight", [4, 3], w1, true), ("2.weight", [1, 4], w2, true));
        File.WriteAllText(m, "input: [3]\nlayers:\n  - {type: dense, out: 4}\n  - {type: relu}\n  - {type: dense, out: 1}\n");
        WriteCsv(tr, x, y);
        var (code, _, err) = Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --out \"{o}\"");
        Assert.True(code == 0, err);
        var v = Measures(o);
        Close(1.0, v.GetProperty("layer.0.stable_rank").GetDouble(), 1e-9);
        Assert.Equal(1.0, v.GetProperty("layer.0.numerical_rank").GetDouble());
        Close(1.0, v.GetProperty("layer.0.effective_rank").GetDouble(), 1e-6);
        Close(Norm(u) * Norm(vv), v.GetProperty("layer.0.spectral").GetDouble());
        Close(margins.Min(), v.GetProperty("margin.min").GetDouble());
        Close(1.0 / n, v.GetProperty("train_error").GetDouble());
        var om = Omitted(o);
        Assert.Contains("binary", om["nc*"]);
        Assert.Contains("not positive", om["bound.bft"]); // a misclassified training point: no positive margin gamma
        Assert.Contains("deep linear", om["distance_to_max_margin"]);
    }

    [Fact]
    public void NetWithBiasesOmitsHomogeneousMeasuresWithReason()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        string w = dir.File("b.safetensors"), m = dir.File("b.yaml"), tr = dir.File("train.csv"), o = dir.File("r.json");
        WriteSafetensors(w, ("0.weight", [2, 2], [1, 0, 0, 1], false), ("0.bias", [2], [0.5, -0.5], false), ("2.weight", [1, 2], [1, -1], false));
        File.WriteAllText(m, "input: [2]\nlayers:\n  - {type: dense, out: 2, bias: true}\n  - {type: relu}\n  - {type: dense, out: 1}\n");
        WriteCsv(tr, [[1, 0], [0, 2], [2, 0], [0, 3]], [1, 0, 1, 0]);
        var (code, _, err) = Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --out \"{o}\"");
        Assert.True(code == 0, err);
        var v = Measures(o);
        var om = Omitted(o);
        foreach (var key in new[] { "rho", "gamma_min", "spectral_complexity", "path_norm", "bound.frobenius_product" })
        {
            Assert.False(v.TryGetProperty(key, out _), key);
            Assert.Contains("biases", om[key]);
        }
        // f(x) = relu(x0 + 0.5) - relu(x1 - 0.5): margins 1.5, -(0.5 - 1.5) = 1, 2.5, -(0.5 - 2.5) = 2 -> min 1
        Close(1.0, v.GetProperty("margin.min").GetDouble());
        Close(Math.Sqrt(2), v.GetProperty("layer.0.frobenius").GetDouble());
    }

    [Fact]
    public void ConvNetWithStrideAndPaddingMatchesExplicitToeplitzMatrix()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        const int H = 5, K = 3, S = 2, P = 1, O = 2, Out = (H + 2 * P - K) / S + 1; // 3 x 3 outputs per channel
        var rng = new Random(11);
        double[] wc = Gauss(rng, O * K * K, false), wd = Gauss(rng, O * Out * Out, false);
        // explicit dense-equivalent matrix M (O*Out*Out, H*H) of the conv: row (o, a, b), column (h, w)
        var mtx = new double[O * Out * Out, H * H];
        for (int oc = 0; oc < O; oc++)
            for (int a = 0; a < Out; a++)
                for (int b = 0; b < Out; b++)
                    for (int u = 0; u < K; u++)
                        for (int q = 0; q < K; q++)
                        {
                            int hh = a * S - P + u, ww = b * S - P + q;
                            if (hh >= 0 && hh < H && ww >= 0 && ww < H) mtx[(oc * Out + a) * Out + b, hh * H + ww] += wc[(oc * K + u) * K + q];
                        }
        double Forward(double[] img)
        {
            double f = 0;
            for (int r = 0; r < O * Out * Out; r++)
            {
                double s = 0;
                for (int c = 0; c < H * H; c++) s += mtx[r, c] * img[c];
                f += wd[r] * Math.Max(0, s); // relu, then flatten in (o, a, b) order as torch.flatten
            }
            return f;
        }
        int n = 16;
        var x = Enumerable.Range(0, n).Select(_ => Gauss(rng, H * H, false)).ToArray();
        var fx = x.Select(Forward).ToArray();
        var y = fx.Select(a => a > 0 ? 1 : 0).ToArray();

        string w = dir.File("conv.safetensors"), m = dir.File("conv.yaml"), tr = dir.File("train.csv"), o = dir.File("r.json");
        WriteSafetensors(w, ("0.weight", [O, 1, K, K], wc, true), ("3.weight", [1, O * Out * Out], wd, true));
        File.WriteAllText(m, $"input: [1, {H}, {H}]\nlayers:\n  - {{type: conv2d, out_channels: {O}, kernel: {K}, stride: {S}, padding: {P}}}\n  - {{type: relu}}\n  - {{type: flatten}}\n  - {{type: dense, out: 1}}\n");
        WriteCsv(tr, x, y);
        var (code, stdout, err) = Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --out \"{o}\"");
        Assert.True(code == 0, err);
        var v = Measures(o);
        double gamma = fx.Min(Math.Abs);
        Close(gamma, v.GetProperty("margin.min").GetDouble());
        double kernel = Norm(wc), dense = Norm(wd), mf = 0;
        foreach (double e in mtx) mf += e * e;
        mf = Math.Sqrt(mf);
        // The operator (the explicit Toeplitz matrix) is the default side; the kernel side is reported beside it.
        var t = Matrix<double>.Build.DenseOfArray(mtx);
        var svd = t.Svd(true);
        double st = svd.S[0], t21 = t.EnumerateRows().Sum(r => r.L2Norm());
        var kw = Matrix<double>.Build.Dense(O, K * K, (i, j) => wc[i * K * K + j]);
        Close(mf, v.GetProperty("layer.0.frobenius").GetDouble(), 1e-12);
        Close(st, v.GetProperty("layer.0.spectral").GetDouble(), 1e-12);
        Close(mf * mf / (st * st), v.GetProperty("layer.0.stable_rank").GetDouble());
        Close(kernel, v.GetProperty("layer.0.kernel_frobenius").GetDouble(), 1e-12);
        Close(kw.Svd(false).S[0], v.GetProperty("layer.0.kernel_spectral").GetDouble());
        Close(mf * dense, v.GetProperty("rho").GetDouble(), 1e-12);
        Close(kernel * dense, v.GetProperty("rho_kernel").GetDouble(), 1e-12);
        // R with s = (||T||_2, ||w_d||) and (2,1) norms (sum of T's row norms, ||w_d|| for the one-row dense layer)
        Close(st * dense * Math.Pow(Math.Pow(t21 / st, 2.0 / 3) + 1, 1.5), v.GetProperty("spectral_complexity").GetDouble());
        Close(mf / kernel, v.GetProperty("bound.conv_ratio").GetDouble());
        double bx = x.Max(Norm), c = Math.Sqrt(2 * 2 * Math.Log(2)) + 1;
        Close(bx * c * kernel * dense / (Math.Sqrt(n) * gamma), v.GetProperty("bound.conv_kernel_norm").GetDouble());
        Close(bx * c * mf * dense / (Math.Sqrt(n) * gamma), v.GetProperty("bound.conv_dense_equivalent").GetDouble());
        Close(bx * c * mf * dense / (Math.Sqrt(n) * gamma), v.GetProperty("bound.frobenius_product").GetDouble());
        // T_1 has O Out Out = 18 rows and the dense layer 18 columns: alignment |<w_d / ||w_d||, u_1(T)>|
        Close(Math.Abs(svd.U.Column(0).DotProduct(Vector<double>.Build.DenseOfArray(wd))) / dense, v.GetProperty("layer.0.alignment").GetDouble(), 1e-6);
        var layer0 = JsonDocument.Parse(File.ReadAllText(o)).RootElement.GetProperty("layers")[0];
        Assert.Equal([O * Out * Out, H * H], layer0.GetProperty("matrix").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([O, K * K], layer0.GetProperty("kernel_matrix").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Contains("kfro", stdout);
        Assert.Contains("rho_kernel", stdout);
    }

    [Fact]
    public void DeepLinearNetReportsEndToEndVectorAndAngleToSvmDirection()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        string w = dir.File("lin.safetensors"), m = dir.File("lin.yaml"), tr = dir.File("train.csv"), o = dir.File("r.json");
        // W2 W1 = [1, 0.5]; the hard-margin SVM direction (no intercept) of these four points is (1, 0)
        double[] w1 = [1, 0.5, 0.5, 0], w2 = [1, 0], w10 = [1, 0, 0, 1], w20 = [0.5, 0.5];
        WriteSafetensors(w, ("0.weight", [2, 2], w1, false), ("2.weight", [1, 2], w2, false));
        string w0 = dir.File("init.safetensors");
        WriteSafetensors(w0, ("0.weight", [2, 2], w10, false), ("2.weight", [1, 2], w20, false));
        File.WriteAllText(m, "input: [2]\nlayers:\n  - {type: dense, out: 2}\n  - {type: identity}\n  - {type: dense, out: 1}\n");
        double[][] x = [[1, 0], [-1, 0], [1, 1], [-1, -1]];
        WriteCsv(tr, x, [1, 0, 1, 0]);
        var (code, _, err) = Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --out \"{o}\" --ntk --initial \"{w0}\"");
        Assert.True(code == 0, err);
        var root = JsonDocument.Parse(File.ReadAllText(o)).RootElement;
        var e2e = root.GetProperty("end_to_end")[0].EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal([1.0, 0.5], e2e);
        var v = Measures(o);
        Close(Math.Atan(0.5), v.GetProperty("distance_to_max_margin").GetDouble(), 1e-6);
        // B = W2^T W2 - W1 W1^T = [[1, 0], [0, 0]] - [[1.25, 0.5], [0.5, 0.25]]
        Close(Math.Sqrt(2 * 0.25 * 0.25 + 2 * 0.5 * 0.5), v.GetProperty("layer.0.balance_matrix").GetDouble());
        // f = W2 W1 x: grad_W1 f = W2^T x^T, grad_W2 f = (W1 x)^T, so K_ij = |W2|^2 <x_i, x_j> + <W1 x_i, W1 x_j>
        double[] Kernel(double[] a1, double[] a2) =>
            [.. from xi in x from xj in x select a2.Sum(t => t * t) * (xi[0] * xj[0] + xi[1] * xj[1]) + MatVec(a1, 2, 2, xi).Zip(MatVec(a1, 2, 2, xj), (p, q) => p * q).Sum()];
        double[] k = Kernel(w1, w2), k0 = Kernel(w10, w20);
        Close(1 - k.Zip(k0, (p, q) => p * q).Sum() / (Norm(k) * Norm(k0)), v.GetProperty("ntk.kernel_distance").GetDouble(), 1e-9);
        Close(Enumerable.Range(0, 4).Sum(i => k[i * 4 + i]), v.GetProperty("ntk.trace").GetDouble());
        Close(Norm(k), v.GetProperty("ntk.frobenius").GetDouble());
        double[] flat = [.. w1, .. w2], flat0 = [.. w10, .. w20];
        Close(Norm(flat.Zip(flat0, (p, q) => p - q).ToArray()) / Norm(flat0), v.GetProperty("relative_weight_change").GetDouble());
    }

    [Fact]
    public void BatchNormNetWithCustomKeysUsesRunningStatisticsAndIgnoresTheStepCounter()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        string w = dir.File("bn.safetensors"), m = dir.File("bn.yaml"), tr = dir.File("train.csv"), o = dir.File("r.json");
        double[] w1 = [1, -1, 0.5, 2], gamma = [2, 0.5], beta = [0.125, -0.25], mean = [0.375, -0.5], var = [4, 0.25], w2 = [1, -2];
        // the layout of nn.Sequential(OrderedDict(features=nn.Sequential(Linear, BatchNorm1d, ReLU), classifier=Linear))
        WriteSafetensors(w, [("features.0.weight", [2, 2], w1, "F32"), ("features.1.weight", [2], gamma, "F32"), ("features.1.bias", [2], beta, "F32"),
            ("features.1.running_mean", [2], mean, "F32"), ("features.1.running_var", [2], var, "F32"), ("features.1.num_batches_tracked", [], [100], "I64"),
            ("classifier.weight", [1, 2], w2, "F32")]);
        File.WriteAllText(m, "input: [2]\nlayers:\n  - {type: dense, out: 2, key: features.0}\n  - {type: batchnorm, key: features.1}\n  - {type: relu, key: features.2}\n  - {type: dense, out: 1, key: classifier}\n");
        double[][] x = [[1, 2], [-1, 0.5], [0, -1], [2, 1]];
        double F(double[] xi)
        {
            var h = MatVec(w1, 2, 2, xi);
            for (int c = 0; c < 2; c++) h[c] = Math.Max(0, (h[c] - mean[c]) / Math.Sqrt(var[c] + 1e-5) * gamma[c] + beta[c]);
            return MatVec(w2, 1, 2, h)[0];
        }
        var f = x.Select(F).ToArray();
        WriteCsv(tr, x, [1, 1, 0, 0]);
        var (code, _, err) = Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --out \"{o}\"");
        Assert.True(code == 0, err);
        var v = Measures(o);
        Close(f.Select((a, i) => i < 2 ? a : -a).Min(), v.GetProperty("margin.min").GetDouble(), 1e-6);
        Close(Norm(w2), v.GetProperty("layer.1.frobenius").GetDouble()); // batch norm scales are not weight layers
        Assert.Contains("batch norm", Omitted(o)["rho"]);
        var layers = JsonDocument.Parse(File.ReadAllText(o)).RootElement.GetProperty("layers");
        Assert.Equal(["features.0.weight", "classifier.weight"], layers.EnumerateArray().Select(e => e.GetProperty("tensor").GetString()!).ToArray());
    }

    private static (string W, string M, string Train, string Out) GoodMlpFiles(Gradscope.Tests.Data.TempDir dir)
    {
        string w = dir.File("w.safetensors"), m = dir.File("m.yaml"), tr = dir.File("train.csv"), o = dir.File("out.json");
        File.WriteAllText(m, MlpYaml);
        WriteCsv(tr, [[1, 2, 3], [0, 1, 0]], [0, 2]);
        return (w, m, tr, o);
    }

    [Fact]
    public void BadInputsFailNamingTensorOrColumnAndBothShapesWithoutWritingOutput()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        var (w, m, tr, o) = GoodMlpFiles(dir);
        var ok1 = new double[15]; var ok2 = new double[15];
        ok1[0] = 1; ok2[0] = 1;
        void Fails(string what, params string[] expected)
        {
            var (code, _, err) = Run($"measure --weights \"{w}\" --model \"{m}\" --data \"{tr}\" --out \"{o}\"");
            Assert.True(code == 1, $"{what}: exit {code}, {err}");
            foreach (var e in expected) Assert.Contains(e, err);
            Assert.DoesNotContain("   at ", err);
            Assert.False(File.Exists(o), $"{what}: output written");
            Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp"));
        }

        // names: PyTorch layer 3 instead of 2 (e.g. an extra module in the Sequential)
        WriteSafetensors(w, ("0.weight", [5, 3], ok1, false), ("3.weight", [3, 5], ok2, false));
        Fails("names", "'2.weight'", "(3, 5)", "3.weight");
        // shapes: a hidden width of 4 in the file, 5 in the description
        WriteSafetensors(w, ("0.weight", [4, 3], new double[12], false), ("2.weight", [3, 4], new double[12], false));
        Fails("shape", "'0.weight'", "(4, 3)", "(5, 3)");
        // NaN in a weight
        var nan = (double[])ok2.Clone(); nan[7] = double.NaN;
        WriteSafetensors(w, ("0.weight", [5, 3], ok1, false), ("2.weight", [3, 5], nan, false));
        Fails("nan", "'2.weight'", "NaN", "(1, 2)", "(3, 5)");
        // dataset width: 4 columns for a 3-input model
        WriteSafetensors(w, ("0.weight", [5, 3], ok1, false), ("2.weight", [3, 5], ok2, false));
        WriteCsv(tr, [[1, 2, 3, 4]], [0]);
        Fails("width", "4 feature columns", "(3)", "'0.weight'", "(5, 3)");
        // labels beyond the outputs
        WriteCsv(tr, [[1, 2, 3]], [5]);
        Fails("labels", "label 5", "3 outputs");
    }
}
