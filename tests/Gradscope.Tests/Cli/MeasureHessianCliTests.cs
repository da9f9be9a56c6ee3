using System.Text.Json;
using Gradscope.Tests.Training.Trainer;
using MathNet.Numerics.LinearAlgebra;

namespace Gradscope.Tests.Cli;

/// <summary>
/// gradscope measure --hessian slq and --hessian-blocks on a run the real CLI trained, against --hessian exact on the same run:
/// the SLQ moments estimate tr(H^k)/P of the exact eigenvalues within their standard errors, the quadrature and density arrays
/// are written and named in the JSON, the per-layer block eigenvalues and traces match the exact matrix's diagonal blocks.
/// </summary>
public class MeasureHessianCliTests
{
    private const string Config = """
        dtype: f64
        seed: 9
        model: { mlp: { widths: [64, 6, 1], activation: relu } }
        data: { train: { name: optdigits-train, scale: 0.0625 }, binary: [3, 8], subsample: 80 }
        loss: { kind: logistic }
        algorithm: { name: gd, eta: 0.1 }
        stop: { steps: 20 }
        """;

    private static JsonElement Doc(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    private static double M(JsonElement doc, string key) => doc.GetProperty("measures").GetProperty(key).GetDouble();

    [Fact]
    public void SlqAndBlocksAgreeWithTheExactHessianOfTheRun()
    {
        string root = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            string cfg = Path.Combine(root, "h.yaml"), dir = Path.Combine(root, "h");
            File.WriteAllText(cfg, Config);
            var (code, _, err) = CliProcess.Run($"train \"{cfg}\" --out \"{dir}\" --threads 1");
            Assert.True(code == 0, err);
            string exactPath = Path.Combine(root, "exact.json"), slqPath = Path.Combine(root, "slq.json");
            (code, _, err) = CliProcess.Run($"measure --run \"{dir}\" --hessian exact --out \"{exactPath}\"");
            Assert.True(code == 0, err);
            (code, _, err) = CliProcess.Run($"measure --run \"{dir}\" --hessian slq --slq-probes 40 --slq-steps 30 --hessian-blocks --hutchinson 200 --out \"{slqPath}\"");
            Assert.True(code == 0, err);
            var exact = Doc(exactPath);
            var slq = Doc(slqPath);
            var eig = Gradscope.Data.Npy.Read(Path.Combine(root, exact.GetProperty("arrays").GetProperty("hessian.eigenvalues").GetString()!)).Data;
            int p = eig.Length;
            Assert.Equal(64 * 6 + 6, p);
            double radius = eig.Max(Math.Abs);
            for (int k = 1; k <= 4; k++)
            {
                double want = eig.Sum(x => Math.Pow(x, k)) / p;
                double got = M(slq, $"hessian.slq.moment.{k}"), se = M(slq, $"hessian.slq.moment.{k}_stderr");
                Assert.True(Math.Abs(got - want) <= 4 * se + 1e-12 * Math.Pow(radius, k), $"k = {k}: {got} +- {se} vs {want}");
            }
            Assert.Equal(eig[^1], M(slq, "hessian.slq.node_max"), 1e-6 * radius);
            Assert.True(M(slq, "hessian.slq.node_min") >= eig[0] - 1e-9 * radius);
            var arrays = slq.GetProperty("arrays");
            var quad = Gradscope.Data.Npy.Read(Path.Combine(root, arrays.GetProperty("hessian.slq.quadrature").GetString()!));
            Assert.Equal([40 * 30, 2], quad.Shape);
            var dens = Gradscope.Data.Npy.Read(Path.Combine(root, arrays.GetProperty("hessian.slq.density").GetString()!));
            Assert.Equal([1000, 2], dens.Shape);
            // The blocks: layer 0 (weight 6 x 64) and layer 2 (weight 1 x 6) of the exact matrix.
            var h = Gradscope.Data.Npy.Read(Path.Combine(root, exact.GetProperty("arrays").GetProperty("hessian.matrix").GetString()!)).Data;
            foreach (var (layer, offset, size) in new[] { (0, 0, 384), (2, 384, 6) })
            {
                var sub = Matrix<double>.Build.Dense(size, size, (i, j) => h[(offset + i) * p + offset + j]);
                var ev = sub.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).Order().ToArray();
                double r = ev.Max(Math.Abs);
                Assert.Equal(size, M(slq, $"hessian.layer.{layer}.size"));
                Assert.Equal(ev[^1], M(slq, $"hessian.layer.{layer}.lambda_max"), 1e-6 * r);
                double tr = sub.Trace(), se = M(slq, $"hessian.layer.{layer}.trace_stderr");
                Assert.True(Math.Abs(M(slq, $"hessian.layer.{layer}.trace") - tr) <= 4 * se + 1e-12 * r, $"layer {layer}: trace vs {tr}");
            }
            (code, _, err) = CliProcess.Run($"measure --run \"{dir}\" --hessian slq --slq-probes 0 --out \"{slqPath}\"");
            Assert.Equal(1, code);
            Assert.Contains("--slq-probes must be >= 1, got 0", err);
        }
        finally { Directory.Delete(root, true); }
    }
}
