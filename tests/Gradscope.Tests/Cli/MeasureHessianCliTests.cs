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

    [Fact]
    public void AnF32RunsHessianRunsInFloat32UnlessAskedOtherwiseAndAgreesWithTheExactOne()
    {
        string root = TrainerTestConfigs.TempDir();
        Directory.CreateDirectory(root);
        try
        {
            string cfg = Path.Combine(root, "h.yaml"), dir = Path.Combine(root, "h");
            File.WriteAllText(cfg, Config.Replace("dtype: f64", "dtype: f32"));
            var (code, _, err) = CliProcess.Run($"train \"{cfg}\" --out \"{dir}\" --threads 1");
            Assert.True(code == 0, err);
            string exactPath = Path.Combine(root, "exact.json"), f32Path = Path.Combine(root, "f32.json"), f64Path = Path.Combine(root, "f64.json");
            // exact: float64 products whatever the weights (auto)
            (code, _, err) = CliProcess.Run($"measure --run \"{dir}\" --hessian exact --out \"{exactPath}\"");
            Assert.True(code == 0, err);
            (code, _, err) = CliProcess.Run($"measure --run \"{dir}\" --hutchinson 300 --hessian-top 1 --out \"{f32Path}\"");
            Assert.True(code == 0, err);
            (code, _, err) = CliProcess.Run($"measure --run \"{dir}\" --hutchinson 300 --hessian-top 1 --hessian-dtype f64 --out \"{f64Path}\"");
            Assert.True(code == 0, err);
            var exact = Doc(exactPath);
            var eig = Gradscope.Data.Npy.Read(Path.Combine(root, exact.GetProperty("arrays").GetProperty("hessian.eigenvalues").GetString()!)).Data;
            double radius = eig.Max(Math.Abs), trace = eig.Sum();
            Assert.Equal(trace, M(exact, "hessian.trace"), 1e-12 * radius * eig.Length);
            var f32 = Doc(f32Path);
            var f64 = Doc(f64Path);
            foreach (var (name, doc, tol) in new[] { ("f32", f32, 1e-5), ("f64", f64, 1e-9) })
            {
                // the same Rademacher probes: the two routes differ by their products' rounding only
                double t = M(doc, "hessian.trace"), se = M(doc, "hessian.trace_stderr");
                Assert.True(Math.Abs(t - trace) <= 4 * se + tol * radius * eig.Length, $"{name}: trace {t} +- {se} vs exact {trace}");
                double top = M(doc, "hessian.top.0"), want = Math.Abs(eig[^1]) >= Math.Abs(eig[0]) ? eig[^1] : eig[0];
                Assert.True(Math.Abs(top - want) <= 1e-4 * radius, $"{name}: top eigenvalue {top} vs exact {want}");
            }
            Assert.True(Math.Abs(M(f32, "hessian.trace") - M(f64, "hessian.trace")) <= 1e-5 * radius * eig.Length);
            Assert.NotEqual(M(f32, "hessian.trace"), M(f64, "hessian.trace"));
            (code, _, err) = CliProcess.Run($"measure --run \"{dir}\" --hutchinson 3 --hessian-dtype f16 --out \"{f64Path}\"");
            Assert.NotEqual(0, code);
            Assert.Contains("f16", err);
        }
        finally { Directory.Delete(root, true); }
    }
}
