using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Gradscope.Claims;
using Gradscope.Data;
using Gradscope.IO;
using Gradscope.Nn;
using Gradscope.Sweeps;
using Gradscope.Tests.Training.Trainer;
using Gradscope.Training;
using Xunit.Abstractions;

namespace Gradscope.Tests.Fuzz;

/// <summary>
/// Seeded fuzz tests of every input reader over mutations of valid files (see <see cref="Mutator"/> and the policy in
/// <see cref="FuzzTally"/>): the safetensors reader, the training-config, model-description, sweep-file and
/// claim-definition parsers, and the CSV, IDX and .npy readers. Fixed seeds, so a failure names a case that reproduces.
/// </summary>
public class InputFuzzTests(ITestOutputHelper output)
{
    private static string Temp() => Directory.CreateTempSubdirectory("gs-fuzz-").FullName;

    // UTF-8, except that a lone surrogate (one of the mutations) is written as the invalid 3-byte sequence ED A0 80.
    private static void WriteText(string path, string text)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text.Substring(i, 2)));
                i++;
            }
            else if (char.IsSurrogate(text[i])) bytes.AddRange([0xED, 0xA0, 0x80]);
            else bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
        }
        File.WriteAllBytes(path, bytes.ToArray());
    }

    // ---- safetensors ----

    private static byte[] ValidSafetensors(string dir)
    {
        var path = Path.Combine(dir, "base.safetensors");
        SafeTensors.Write(path,
        [
            new SafeTensor("0.weight", SafeTensorDType.F32, [3, 2], [1, -2, 0.5, 4, 0, 1]),
            new SafeTensor("1.num_batches_tracked", SafeTensorDType.I64, [], [7]),
            new SafeTensor("2.weight", SafeTensorDType.F64, [1, 3], [Math.PI, -1, 2]),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        return File.ReadAllBytes(path);
    }

    private static byte[] WithHeader(string header, ReadOnlySpan<byte> data, byte[]? rawHeader = null)
    {
        var h = rawHeader ?? Encoding.UTF8.GetBytes(header);
        var b = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        data.CopyTo(b.AsSpan(8 + h.Length));
        return b;
    }

    [Fact]
    public void SafetensorsReaderGivesAValidResultOrANamedError()
    {
        var dir = Temp();
        try
        {
            var valid = ValidSafetensors(dir);
            int headerLen = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
            string header = Encoding.UTF8.GetString(valid, 8, headerLen);
            var data = valid.AsSpan(8 + headerLen).ToArray();
            var m = new Mutator(1101);
            var tally = new FuzzTally("safetensors", typeof(InvalidDataException), "f.safetensors");
            for (int i = 0; i < 800; i++)
            {
                byte[] bytes;
                string how;
                switch (i % 4)
                {
                    case 0 or 1: bytes = m.Bytes(valid, out how, 8 + headerLen); break;
                    case 2: // a JSON-level edit with a consistent length prefix, so the mutation reaches the entry checks
                    {
                        var (h, what) = MutateHeaderJson(m, header);
                        bytes = WithHeader(h, data);
                        how = what;
                        break;
                    }
                    default: // invalid UTF-8 or an escaped lone surrogate inside a string of the header
                    {
                        var hb = Encoding.UTF8.GetBytes(header);
                        var quotes = Enumerable.Range(0, hb.Length).Where(k => hb[k] == '"').ToList();
                        int q = m.Pick(quotes) + 1;
                        byte[] bad = m.Pick(new[] { new byte[] { 0xFF }, [0xC3], [0xED, 0xB0, 0x80], [0xF4, 0x90, 0x80, 0x80], "\\ud800"u8.ToArray(), "\\udfff\\ud800"u8.ToArray() });
                        bytes = WithHeader("", data, [.. hb[..q], .. bad, .. hb[q..]]);
                        how = $"{Convert.ToHexString(bad)} inside a string at {q}";
                        break;
                    }
                }
                tally.Case(i, how, () =>
                {
                    var tensors = SafeTensors.Parse(bytes, "f.safetensors", out _);
                    foreach (var t in tensors)
                        Assert.Equal(t.Shape.Aggregate(1L, (a, s) => a * s), t.Data.LongLength);
                });
            }
            tally.AssertClean(output, 300);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static (string Header, string How) MutateHeaderJson(Mutator m, string header)
    {
        switch (m.Next(6))
        {
            case 0:
            {
                var nums = Regex.Matches(header, @"\d+").ToList();
                var n = m.Pick(nums);
                string v = m.Pick(new[] { "0", "-1", "4294967296", "2147483647", "9223372036854775807", "18446744073709551616", "1e3", "1.5", "null", "\"4\"" });
                return (header[..n.Index] + v + header[(n.Index + n.Length)..], $"number {n.Value} -> {v}");
            }
            case 1:
            {
                int p = header.IndexOf("\"0.weight\"", StringComparison.Ordinal);
                int end = header.IndexOf('}', p) + 1;
                return (header[..1] + header[p..end] + "," + header[1..], "duplicate tensor entry");
            }
            case 2:
            {
                string d = m.Pick(new[] { "BF16", "F16", "f32", "", "I64 ", "U8" });
                return (header.Replace("\"F64\"", $"\"{d}\""), $"dtype F64 -> {d}");
            }
            case 3:
            {
                int depth = m.Pick(new[] { 10, 63, 65, 1000, 100000 });
                return ("{\"x\":" + new string('[', depth) + new string(']', depth) + "," + header[1..], $"nesting {depth}");
            }
            case 4: return (header.Replace("\"shape\":[3,2]", "\"shape\":[65536,65536,65536,65536]"), "overflowing shape");
            default:
            {
                var text = m.Text(header, out var how);
                return (text, how);
            }
        }
    }

    // ---- YAML readers ----

    private const string LayersConfig = """
        seed: 3
        model:
          input: [1, 4, 4]
          layers:
            - {type: conv2d, out_channels: 2, kernel: 3, padding: 1}
            - relu
            - flatten
            - {dense: {out: 3}}
        data:
          train: {name: separable, n: 20, d: 16, classes: 3}
        algorithm: {name: gd, eta: 0.05}
        schedule: {kind: step, factor: 0.5, every: 10}
        stop: {steps: 5, loss: 1e-3}
        probes: {every: 2, log_spaced: {per_decade: 3}}
        """;

    [Fact]
    public void TrainingConfigParserGivesAValidConfigOrANamedError()
    {
        var m = new Mutator(2202);
        var tally = new FuzzTally("training config", typeof(TrainConfigException), "cfg.yaml");
        for (int i = 0; i < 800; i++)
        {
            var text = m.Text(i % 2 == 0 ? TrainerTestConfigs.YamlTiny : LayersConfig, out var how);
            tally.Case(i, how, () => Assert.NotNull(TrainConfigYaml.Parse(text, "cfg.yaml").Model));
        }
        tally.AssertClean(output, 300);
    }

    private const string ModelText = """
        input: [1, 8, 8]
        name: small
        layers:
          - {type: conv2d, out_channels: 2, kernel: 3, stride: 1, padding: 1, bias: false}
          - {type: relu}
          - {type: avgpool2d, kernel: 2}
          - {type: batchnorm, momentum: 0.1, eps: 1e-5}
          - {type: flatten}
          - {type: dense, out: 4, key: head}
        """;

    [Fact]
    public void ModelDescriptionParserGivesABuildableModelOrANamedError()
    {
        var m = new Mutator(3303);
        var tally = new FuzzTally("model description", typeof(InvalidDataException), "model.yaml");
        for (int i = 0; i < 600; i++)
        {
            var text = m.Text(ModelText, out var how);
            tally.Case(i, how, () =>
            {
                var spec = ModelSpec.Parse(text, "model.yaml");
                // Sizes up to 64 keep every model built here small; huge sizes are the subject of HostileSizeTests.
                if (spec.Layers.All(l => new[] { l.Out, l.OutChannels, l.Kernel, l.Stride, l.Padding }.All(v => v is null or <= 64)) && spec.Input.All(d => d <= 64))
                {
                    var net = spec.Build<double>();
                    Assert.Equal(spec.Layers.Count, net.Layers.Count);
                }
            });
        }
        tally.AssertClean(output, 200);
    }

    private const string SweepText = """
        base:
          seed: 0
          model:
            mlp: {widths: [4, 6, 1]}
          data:
            train: {name: separable, n: 30, d: 4}
          algorithm: {name: gd, eta: 0.1}
          stop: {steps: 10}
        grid:
          algorithm.eta: [0.1, 0.2]
          model.mlp.widths: [[4, 6, 1], [4, 8, 1]]
        random:
          samples: 2
          stop.steps: {dist: choice, values: [5, 10]}
        replicates: 2
        resources: {cpus: 1, mem: 1G, time: "00:10:00"}
        chunk: 2
        """;

    [Fact]
    public void SweepFileParserGivesAValidSweepOrANamedError()
    {
        var dir = Temp();
        try
        {
            var path = Path.Combine(dir, "s.yaml");
            var m = new Mutator(4404);
            var tally = new FuzzTally("sweep file", typeof(SweepException), path);
            for (int i = 0; i < 500; i++)
            {
                WriteText(path, m.Text(SweepText, out var how));
                tally.Case(i, how, () =>
                {
                    var s = SweepFile.Load(path);
                    Assert.True(s.Chunk >= 1);
                });
            }
            tally.AssertClean(output, 150);
        }
        finally { Directory.Delete(dir, true); }
    }

    private const string ClaimText = """
        id: fuzz
        paper: "0"
        statement: >
          A statement.
        thresholds:
          drift:
            op: "<="
            value: 1.0e-6
            why: "a reason"
        quick:
          horizon: 20.0
          widths: [2, 3]
        full:
          horizon: 40.0
          widths: [2, 3]
        """;

    [Fact]
    public void ClaimDefinitionParserGivesAValidDefinitionOrANamedError()
    {
        var m = new Mutator(5505);
        var tally = new FuzzTally("claim definition", typeof(InvalidDataException), "claim.yaml");
        for (int i = 0; i < 300; i++)
        {
            var text = m.Text(ClaimText, out var how);
            tally.Case(i, how, () => Assert.NotNull(ClaimDefinition.Parse(text, "claim.yaml")));
        }
        tally.AssertClean(output, 100);
    }

    // ---- data files ----

    [Fact]
    public void CsvReaderGivesAValidDatasetOrANamedError()
    {
        var dir = Temp();
        try
        {
            var path = Path.Combine(dir, "d.csv");
            var csv = new StringBuilder("x0,x1,x2,y\n");
            var r = new Random(6);
            for (int i = 0; i < 8; i++) csv.Append($"{r.NextDouble():R},{-r.NextDouble():R},{r.Next(100)},{i % 3}\n");
            var valid = csv.ToString();
            var m = new Mutator(6606);
            var tally = new FuzzTally("csv", typeof(InvalidDataException), path);
            for (int i = 0; i < 500; i++)
            {
                string how;
                if (i % 5 == 4) File.WriteAllBytes(path, m.Bytes(Encoding.UTF8.GetBytes(valid), out how));
                else WriteText(path, m.Text(valid.Replace(",", ", "), out how));
                tally.Case(i, how, () =>
                {
                    var d = CsvDataset.Read(path);
                    Assert.True(d.N > 0);
                    Assert.Equal((long)d.N * d.D, d.X.LongLength);
                });
            }
            tally.AssertClean(output, 100);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void IdxReaderGivesAValidArrayOrANamedError()
    {
        var dir = Temp();
        try
        {
            var path = Path.Combine(dir, "images.idx");
            var valid = new byte[16 + 3 * 4 * 4];
            BinaryPrimitives.WriteInt32BigEndian(valid, Idx.ImagesMagic);
            BinaryPrimitives.WriteInt32BigEndian(valid.AsSpan(4), 3);
            BinaryPrimitives.WriteInt32BigEndian(valid.AsSpan(8), 4);
            BinaryPrimitives.WriteInt32BigEndian(valid.AsSpan(12), 4);
            for (int k = 16; k < valid.Length; k++) valid[k] = (byte)(k * 7);
            var m = new Mutator(7707);
            var tally = new FuzzTally("idx", typeof(InvalidDataException), path);
            for (int i = 0; i < 400; i++)
            {
                File.WriteAllBytes(path, m.Bytes(valid, out var how, 16));
                tally.Case(i, how, () =>
                {
                    var a = Idx.Read(path);
                    Assert.Equal(a.Shape.Aggregate(1L, (p, s) => p * s), a.Data.LongLength);
                });
            }
            tally.AssertClean(output, 150);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void NpyReaderGivesAValidArrayOrANamedError()
    {
        const string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }";
        var payload = new byte[3 * 4 * 8];
        for (int k = 0; k < 12; k++) BinaryPrimitives.WriteDoubleLittleEndian(payload.AsSpan(8 * k), k - 5.5);
        byte[] Build(string h) => [.. IO.HostileSizeTests.NpyBytes(h, 0), .. payload];
        var valid = Build(header);
        var m = new Mutator(8808);
        var tally = new FuzzTally("npy", typeof(InvalidDataException), "x.npy");
        for (int i = 0; i < 400; i++)
        {
            string how;
            byte[] bytes;
            if (i % 2 == 0) bytes = m.Bytes(valid, out how, 128);
            else
            {
                var h = m.Text(header, out how);
                bytes = Encoding.Latin1.GetByteCount(h) <= 117 ? Build(h) : valid;
                if (bytes == valid) how += " (too long, unchanged)";
            }
            tally.Case(i, how, () =>
            {
                var a = Npy.Read(bytes, "x.npy");
                Assert.Equal(a.Count, a.Data.LongLength);
            });
        }
        tally.AssertClean(output, 150);
    }
}
