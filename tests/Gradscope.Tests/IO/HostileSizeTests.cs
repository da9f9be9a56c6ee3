using System.Buffers.Binary;
using System.Text;
using Gradscope.Data;
using Gradscope.IO;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Sweeps;
using Gradscope.Sweeps.Ranking;
using Gradscope.Tensors;
using Gradscope.Tests.Data;
using Gradscope.Tests.Training.Trainer;
using Gradscope.Training;

namespace Gradscope.Tests.IO;

/// <summary>
/// Sizes and values at the edge of the representable: every size product is checked and bounded before allocation
/// (errors name the config key or file), a header-only CSV is a clear error, and numbers near the double range make
/// measures omitted rather than crash.
/// </summary>
public class HostileSizeTests
{
    private static TrainConfigException Load(string yaml) =>
        Assert.Throws<TrainConfigException>(() => new Trainer<double>(TrainConfigYaml.Parse(yaml, "cfg.yaml")));

    [Theory]
    [InlineData("n: 2147483647", "2147483647 x 4")]   // used to throw OverflowException from new double[n * d]
    [InlineData("n: 1000000000", "1000000000 x 4")]   // n * d wrapped to a positive int and allocated ~11 GB
    public void AHugeGeneratorSizeNamesTheKey(string n, string product)
    {
        var e = Load(TrainerTestConfigs.YamlTiny.Replace("n: 30", n));
        Assert.StartsWith("cfg.yaml:6: data.train.n: ", e.Message);
        Assert.Contains($"n x d = {product}", e.Message);
    }

    [Fact]
    public void HugeWidthsNameTheKey()
    {
        var e = Load(TrainerTestConfigs.YamlTiny.Replace("widths: [4, 6, 1]", "widths: [4, 100000, 100000, 1]"));
        Assert.StartsWith("cfg.yaml:4: model.mlp.widths: ", e.Message);
        // 100000 x 100000 = 10^10 elements: over the 2^31 - 57 per-array limit, found by 64-bit arithmetic
        Assert.Contains("100000 x 100000 is 10000000000 elements", e.Message);
        var layers = TrainerTestConfigs.YamlTiny.Replace("mlp: {widths: [4, 6, 1], activation: relu}",
            "layers:\n    - {type: dense, out: 2000000000}\n    - {type: relu}\n    - {type: dense, out: 1}");
        Assert.StartsWith("cfg.yaml:5: model.layers[0].out: ", Load(layers).Message);
    }

    [Fact]
    public void MemoryLimitMultipliesInCheckedArithmetic()
    {
        Assert.Equal(6, MemoryLimit.Elements("a x b", 8, 2, 3));
        // 2^32 x 2^32 wraps to 0 in 64-bit unchecked arithmetic
        Assert.Contains("beyond 2^63", Assert.Throws<ArgumentException>(() => MemoryLimit.Elements("a x b", 8, 1L << 32, 1L << 32)).Message);
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => MemoryLimit.Elements("a", 8, -1)).Message);
        Assert.Equal(4L << 30, MemoryLimit.ParseBytes("4G"));
        Assert.Equal(512L << 20, MemoryLimit.ParseBytes("512m"));
        Assert.Equal(1000, MemoryLimit.ParseBytes("1000"));
        Assert.Null(MemoryLimit.ParseBytes("lots"));
    }

    [Fact]
    public void AHeaderOnlyCsvIsANoDataRowsError()
    {
        using var t = new TempDir();
        var path = t.File("h.csv");
        File.WriteAllText(path, "x0,x1,y\n\n");
        var e = Assert.Throws<InvalidDataException>(() => CsvDataset.Read(path));
        Assert.Equal($"'{path}': no data rows after the header x0,...,x1,y.", e.Message);
    }

    [Fact]
    public void IdxAndNpyDimensionsWhoseProductOverflowsAreRefused()
    {
        using var t = new TempDir();
        // 4 dimensions of 65536: the product 2^64 wraps to 0 in unchecked 64-bit arithmetic, which matched an empty payload
        var idx = new byte[4 + 16];
        idx[2] = 0x08; idx[3] = 4;
        for (int k = 0; k < 4; k++) BinaryPrimitives.WriteInt32BigEndian(idx.AsSpan(4 + 4 * k), 65536);
        var ipath = Path.Combine(t.Path, "x.idx");
        File.WriteAllBytes(ipath, idx);
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(ipath));
        Assert.Contains(ipath, e.Message);
        Assert.Contains("has more than 2147483647 elements", e.Message);

        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536, 65536, 65536), }";
        var npy = NpyBytes(header, 0);
        var ne = Assert.Throws<InvalidDataException>(() => Npy.Read(npy, "x.npy"));
        Assert.StartsWith("'x.npy': .npy shape", ne.Message);
    }

    internal static byte[] NpyBytes(string header, int payload)
    {
        var h = Encoding.ASCII.GetBytes(header.PadRight(118) + "\n");
        var b = new byte[10 + h.Length + payload];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }.CopyTo(b, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), (ushort)h.Length);
        h.CopyTo(b, 10);
        return b;
    }

    // A 3-class net 3 -> 4 -> 3 with given weights, and 30 points, every class present.
    private static (Sequential<double> Net, Dataset Data) Net(double weightScale, double firstInput)
    {
        var net = ModelSpec.Parse("input: [3]\nlayers:\n  - {type: dense, out: 4}\n  - {type: relu}\n  - {type: dense, out: 3}\n", "m.yaml").Build<double>();
        var r = new Random(3);
        foreach (var p in net.NamedParameters)
            for (int i = 0; i < p.Value.Length; i++) p.Value[i] = (r.NextDouble() - 0.5) * (p.Name == "0.weight" ? weightScale : 1);
        var x = Enumerable.Range(0, 90).Select(_ => r.NextDouble() - 0.5).ToArray();
        x[0] = x[1] = x[2] = firstInput;
        var y = Enumerable.Range(0, 30).Select(i => i % 3).ToArray();
        return (net, new Dataset("d", x, y, [3], 3));
    }

    [Fact]
    public void AFinite1e308InputMakesNeuralCollapseOmittedNotACrash()
    {
        var (net, data) = Net(1, 1e308);
        var report = new MeasureSuite(new MeasureOptions { FullSvd = true }).Compute(net, data);
        // the input 1e308 overflows the features to Inf; the eigen solver used to index past its arrays on them
        Assert.Contains(report.Omitted, o => o.Key == "nc*" && o.Reason.Contains("not finite"));
        Assert.DoesNotContain("nc1", report.Values.Keys);
        Assert.True(report.Values.ContainsKey("layer.0.frobenius")); // the weights are fine, so their measures remain
        // direct: features with an Inf row
        var feats = new double[] { 1, 2, double.PositiveInfinity, 0, 3, 1, 2, 2 };
        Assert.Throws<ArgumentException>(() => NeuralCollapse.Compute(feats, [0, 1, 0, 1], 2));
    }

    [Fact]
    public void HugeFiniteWeightsMakeTheNonFiniteMeasuresOmitted()
    {
        var (net, data) = Net(1e308, 100);
        // the first hidden unit's weights all positive: on the first sample (inputs 100) its products overflow, so it is +Inf
        // after the ReLU, and with every output weight of that unit positive all outputs are +Inf and the margin is
        // Inf - Inf = NaN, whether or not the GEMM fuses its multiply-adds (a fused multiply-add does not round the
        // product, so an Inf - Inf inside a dot product is not guaranteed)
        var w0 = net.NamedParameters.First(p => p.Name == "0.weight").Value;
        for (int i = 0; i < 3; i++) w0[i] = Math.Abs(w0[i]) + 1e307;
        var w2 = net.NamedParameters.First(p => p.Name == "2.weight").Value;
        for (int j = 0; j < 3; j++) w2[j * 4] = Math.Abs(w2[j * 4]) + 0.1;
        var report = new MeasureSuite(new MeasureOptions { FullSvd = true }).Compute(net, data);
        Assert.Contains(report.Omitted, o => o.Key == "margin.*" && o.Reason.Contains("not finite"));
        Assert.Contains(report.Omitted, o => o.Key == "layer.0.effective_rank");
        Assert.Contains(report.Omitted, o => o.Key == "bound.bft");
        Assert.True(report.Values.ContainsKey("train_error"));
        Assert.Equal(4.0 * 3 + 3 * 4, report.Values["n_params"]);
    }

    [Fact]
    public void RankMeasuresOnATruncatedPointModelNamesThePointAndFile()
    {
        using var t = new TempDir();
        var run = Directory.CreateDirectory(Path.Combine(t.Path, "p7")).FullName;
        File.WriteAllText(Path.Combine(run, "config.yaml"), TrainerTestConfigs.YamlTiny);
        var weights = Path.Combine(run, "model.safetensors");
        SafeTensors.Write(weights, [new SafeTensor("0.weight", SafeTensorDType.F64, [6, 4], new double[24]), new SafeTensor("2.weight", SafeTensorDType.F64, [1, 6], new double[6])]);
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length - 13)]);
        var point = new PointRecord(7, "h", "p7", "{}", 0, "done", null, null, null, 1, 1, "{}");
        var e = Assert.Throws<SweepException>(() => new MeasureSuiteSource().Measures(run, point));
        Assert.StartsWith("point 7: run directory", e.Message);
        Assert.Contains(weights, e.Message);
        File.WriteAllText(Path.Combine(run, "measures.json"), "{\"rho\": 1,");
        var f = Assert.Throws<SweepException>(() => new MeasuresFileSource().Measures(run, point));
        Assert.Contains("measures.json", f.Message);
    }
}
