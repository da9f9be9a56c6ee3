using System.Diagnostics;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Cli.Bench;

/// <summary>
/// train_mlp.py (e): the empirical NTK Gram matrix K (256 x 256) of a bias-free ReLU MLP 100-512-512-1
/// (PyTorch default init) on 256 N(0,1) inputs in float64, by <see cref="EmpiricalNtk"/> (structured:
/// per-layer Gram products, no n x P Jacobian). One untimed call, then one timed call -> Gram matrices/s
/// (1 / seconds, so higher is better like every other workload).
/// </summary>
internal sealed class NtkWorkload : IBenchWorkload, IPeerCheckedWorkload
{
    /// <summary>Largest accepted max |K - K_peer| / max |K_peer| (float64 sums of 313,856 products in different orders).</summary>
    public const double CrossCheckTolerance = 1e-10;

    private const int N = 256, D = 100, Width = 512;

    public string Name => "ntk";
    public string Description => "empirical NTK Gram matrix of MLP 100-512-512-1 on 256 inputs (peer (e), f64)";
    public string Metric => "Grams/s";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings) =>
        // the peer (e) is defined in float64 only
        [new BenchCase("n=256 f64", "f64", new Dictionary<string, object> { ["workload"] = "ntk", ["threads"] = settings.Threads })];

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed)
    {
        var rng = new Rng((ulong)seed);
        var model = new Sequential<double>([D], new Dense<double>(D, Width), new Relu<double>(), new Dense<double>(Width, Width), new Relu<double>(), new Dense<double>(Width, 1));
        Init.Apply(model, InitScheme.PyTorchDefault, rng.Fork());
        var x = new double[N * D];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        EmpiricalNtk.Compute(model, x, N);
        long bytes0 = GC.GetTotalAllocatedBytes(true);
        long t0 = Stopwatch.GetTimestamp();
        EmpiricalNtk.Compute(model, x, N);
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long bytes = GC.GetTotalAllocatedBytes(true) - bytes0;
        return new BenchSample(1 / seconds, bytes, null);
    }

    /// <summary>
    /// K of <see cref="EmpiricalNtk"/> on the peer's own network (its initial weights) and inputs for this seed,
    /// against functorch's K: max |K - K_peer| / max |K_peer| must be &lt;= <see cref="CrossCheckTolerance"/>.
    /// </summary>
    public string CrossCheck(BenchCase benchCase, PeerDriver peer, int seed)
    {
        using var doc = peer.Request(new Dictionary<string, object> { ["workload"] = "ntk_check", ["threads"] = benchCase.Peer["threads"] }, seed);
        var root = doc.RootElement;
        int n = root.GetProperty("n").GetInt32();
        double[] x = root.GetProperty("x").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double[] kPeer = root.GetProperty("K").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var weights = root.GetProperty("weights").EnumerateArray().ToArray();
        if (weights.Length != 3 || x.Length != n * D || kPeer.Length != n * n)
            throw new InvalidOperationException($"ntk cross-check: the peer sent {weights.Length} weight matrices, {x.Length} inputs and {kPeer.Length} K entries; expected 3, {n * D} and {n * n}.");
        var model = new Sequential<double>([D], new Dense<double>(D, Width), new Relu<double>(), new Dense<double>(Width, Width), new Relu<double>(), new Dense<double>(Width, 1));
        var dense = model.Layers.OfType<Dense<double>>().ToArray();
        for (int l = 0; l < 3; l++)
        {
            var data = weights[l].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var w = dense[l].Weight.Value.Span;
            if (data.Length != w.Length)
                throw new InvalidOperationException($"ntk cross-check: peer weight {l} has {data.Length} entries, expected {w.Length}.");
            data.CopyTo(w);   // both (out, in) row-major
        }
        var k = EmpiricalNtk.Compute(model, x, n);
        double maxDiff = 0, maxPeer = 0;
        for (int i = 0; i < k.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(k[i] - kPeer[i]));
            maxPeer = Math.Max(maxPeer, Math.Abs(kPeer[i]));
        }
        double rel = maxDiff / maxPeer;
        string verdict = rel <= CrossCheckTolerance ? "ok" : "MISMATCH";
        return $"ntk        cross-check vs functorch (seed {seed}): max |K - K_peer| / max |K_peer| = {rel:E2} (tolerance {CrossCheckTolerance:E0}) {verdict}";
    }
}
